//! Event fields a rule can group by or count distinct values of.

use serde::Deserialize;

use super::facts::Facts;

/// A field of an event, by the name used in `group_by` and `field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Principal,
    SourceIp,
    /// The credential an authentication used or tried.
    Identifier,
    /// The resource as a CRN path (`kafka=…/topic=orders`).
    Resource,
    ResourceName,
    Operation,
    Method,
    ClientId,
    EventType,
    Verdict,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Principal => "principal",
            Field::SourceIp => "source_ip",
            Field::Identifier => "identifier",
            Field::Resource => "resource",
            Field::ResourceName => "resource_name",
            Field::Operation => "operation",
            Field::Method => "method",
            Field::ClientId => "client_id",
            Field::EventType => "event_type",
            Field::Verdict => "verdict",
        }
    }

    /// The field's value in `f`, if the event has it.
    pub fn value(self, f: &Facts<'_>) -> Option<String> {
        let s = |v: Option<&str>| v.map(str::to_owned);
        match self {
            Field::Principal => s(f.principal),
            // As an address: one written two ways is one value.
            Field::SourceIp => f
                .source_ip
                .map(|ip| super::addr::canonical(ip).into_owned()),
            Field::Identifier => s(f.identifier()),
            Field::Resource => f.resource_key(),
            Field::ResourceName => s(f.resource_name),
            Field::Operation => s(f.operation),
            Field::Method => s(f.e.method()),
            Field::ClientId => s(f.e.client_id()),
            Field::EventType => Some(f.e.event_type().to_owned()),
            Field::Verdict => Some(f.e.verdict.as_str().to_owned()),
        }
    }
}

/// The group key of `f` over `fields` (`principal=User:bob,source_ip=…`);
/// `None` when the event lacks one of them. No fields: one group, `*`.
pub fn group_key(fields: &[Field], f: &Facts<'_>) -> Option<String> {
    if fields.is_empty() {
        return Some("*".to_owned());
    }
    let mut key = String::new();
    for (i, field) in fields.iter().enumerate() {
        let v = field.value(f)?;
        if i > 0 {
            key.push(',');
        }
        key.push_str(field.name());
        key.push('=');
        key.push_str(&v);
    }
    Some(key)
}
