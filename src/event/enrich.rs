//! The `enrichment` object: computed once per event, read by filters,
//! sinks, dashboards and outside checks. Its field names are a contract
//! (README "Enrichment fields").

use std::fmt;

use serde::{Serialize, Serializer};

use super::crn::{CrnField, CrnInfo, ScopeIds};
use super::principal::{self, PrincipalInfo};
use super::time::{format_rfc3339_nanos, parse_rfc3339};
use super::view::{Data, Envelope, Field};
use super::{KafkaCoords, Severity, Verdict};
use crate::policy::SeverityPolicy;

/// Which payload shape the event used (`audit-log-format.md` §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    Broker,
    Cloud,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Broker => "broker",
            Dialect::Cloud => "cloud",
        }
    }
}

/// Where `enrichment.time` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// The event's own `time` parsed.
    Event,
    /// The Kafka record timestamp.
    Kafka,
    /// The moment siem-bridge read the record.
    Ingest,
}

impl TimeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeSource::Event => "event",
            TimeSource::Kafka => "kafka",
            TimeSource::Ingest => "ingest",
        }
    }
}

/// Unix nanoseconds that serialise as RFC 3339 UTC with 9 fraction digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339(pub i64);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_rfc3339_nanos(self.0))
    }
}

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// See the README's field list for the meaning of each field.
#[derive(Debug, Clone, Serialize)]
pub struct Enrichment {
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub dialect: Dialect,
    pub method: Option<String>,
    pub service: Option<String>,
    pub time: Rfc3339,
    pub time_unix_nanos: i64,
    pub time_source: TimeSource,
    pub severity: Severity,
    pub verdict: Verdict,
    pub failed_auth: bool,
    pub request_failed: bool,
    pub principal: PrincipalInfo,
    pub crn: CrnInfo,
    pub operation: Option<String>,
    pub resource_type: Option<String>,
    /// `authorizationInfo.resourceName` (a plain name, not a CRN).
    pub resource_name: Option<String>,
    /// `request.accessType` (cloud dialect): READ_ONLY, MODIFICATION, UNKNOWN.
    pub access_type: Option<String>,
    /// The role named in a role-binding request, when the request says.
    pub role: Option<String>,
    pub source_ip: Option<String>,
    pub client_id: Option<String>,
    pub correlation_id: Option<String>,
    pub kafka: Option<KafkaCoords>,
}

fn own(f: &Field) -> Option<String> {
    f.non_empty().map(str::to_owned)
}

/// Builds the enrichment of a validated event. `ingest_nanos` is used only
/// when neither the event nor Kafka gives a time.
pub fn enrich(
    env: &Envelope,
    kafka: Option<&KafkaCoords>,
    ingest_nanos: i64,
    severity: &SeverityPolicy,
) -> Enrichment {
    let empty = Data::default();
    let data = env.data.get().unwrap_or(&empty);
    let authz = data.authorization_info.get();
    let request = data.request.get();
    let meta = data.request_metadata.get();
    let event_type = env.event_type.as_str().unwrap_or_default();

    let (time_unix_nanos, time_source) = match env.time.as_str().and_then(parse_rfc3339) {
        Some(t) => (t, TimeSource::Event),
        None => match kafka.and_then(|k| k.timestamp) {
            Some(ms) => (ms.saturating_mul(1_000_000), TimeSource::Kafka),
            None => (ingest_nanos, TimeSource::Ingest),
        },
    };

    let failed_auth = is_failed_auth(event_type, data);
    let request_failed = data
        .result
        .get()
        .is_some_and(|r| r.status.as_str() == Some("FAILURE"));

    let mut e = Enrichment {
        event_id: env.id.as_str().unwrap_or_default().to_owned(),
        event_type: event_type.to_owned(),
        dialect: dialect(event_type, data),
        method: own(&data.method_name),
        service: own(&data.service_name),
        time: Rfc3339(time_unix_nanos),
        time_unix_nanos,
        time_source,
        severity: Severity::Info,
        verdict: verdict(event_type, data),
        failed_auth,
        request_failed,
        principal: principal_info(data),
        crn: crn_info(env, data),
        operation: authz.and_then(|a| own(&a.operation)),
        resource_type: authz.and_then(|a| own(&a.resource_type)),
        resource_name: authz.and_then(|a| own(&a.resource_name)),
        access_type: request.and_then(|r| own(&r.access_type)),
        role: request
            .and_then(|r| r.data.get())
            .and_then(|d| own(&d.role_name).or_else(|| own(&d.role_name_camel))),
        source_ip: meta.and_then(source_ip),
        client_id: request
            .and_then(|r| own(&r.client_id_snake).or_else(|| own(&r.client_id_camel)))
            .or_else(|| meta.and_then(|m| own(&m.client_id))),
        correlation_id: request
            .and_then(|r| own(&r.correlation_id_snake).or_else(|| own(&r.correlation_id_camel))),
        kafka: kafka.cloned(),
    };
    e.severity = severity.classify(&e);
    e
}

/// Rule FAIL (`audit-log-format.md` §8).
fn is_failed_auth(event_type: &str, data: &Data) -> bool {
    let authz = data.authorization_info.get();
    if authz.is_some_and(|a| a.granted == Field::Bool(false)) {
        return true;
    }
    if authz
        .and_then(|a| a.result.as_str())
        .is_some_and(|r| r.eq_ignore_ascii_case("DENY"))
    {
        return true;
    }
    if event_type.ends_with("/authentication") {
        if let Some(status) = data.result.get().and_then(|r| r.status.as_str()) {
            if status != "SUCCESS" {
                return true;
            }
        }
    }
    data.authentication_info
        .get()
        .and_then(|a| a.result.as_str())
        .is_some_and(|r| r != "SUCCESS" && r != "UNSET")
}

fn verdict(event_type: &str, data: &Data) -> Verdict {
    if let Some(authz) = data.authorization_info.get() {
        match &authz.granted {
            Field::Bool(true) => return Verdict::Allowed,
            Field::Bool(false) => return Verdict::Denied,
            _ => {}
        }
        match authz
            .result
            .as_str()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("ALLOW") => return Verdict::Allowed,
            Some("DENY") => return Verdict::Denied,
            _ => {}
        }
    }
    let status = data.result.get().and_then(|r| r.status.as_str());
    let authn = data
        .authentication_info
        .get()
        .and_then(|a| a.result.as_str())
        .filter(|r| *r != "UNSET");
    if event_type.ends_with("/authentication") {
        if let Some(s) = status.or(authn) {
            return if s == "SUCCESS" {
                Verdict::Success
            } else {
                Verdict::Failure
            };
        }
    }
    if authn.is_some_and(|r| r != "SUCCESS") || status == Some("FAILURE") {
        return Verdict::Failure;
    }
    match status {
        Some("SUCCESS") => Verdict::Success,
        _ => Verdict::Unknown,
    }
}

/// Decided by content, not by `type`; the type breaks ties.
fn dialect(event_type: &str, data: &Data) -> Dialect {
    let authn = data.authentication_info.get();
    let principal_first = authn
        .and_then(|a| a.principal)
        .and_then(|p| p.get().as_bytes().first().copied());
    let cloud = principal_first == Some(b'{')
        || !data.cloud_resources.0.is_empty()
        || authn.is_some_and(|a| a.result.as_str().is_some())
        || data
            .authorization_info
            .get()
            .is_some_and(|a| a.result.as_str().is_some() && a.granted.is_missing())
        || data
            .request
            .get()
            .is_some_and(|r| !r.access_type.is_missing())
        || data
            .request_metadata
            .get()
            .is_some_and(|m| !m.client_address_list.0.is_empty());
    if cloud {
        return Dialect::Cloud;
    }
    let broker = principal_first == Some(b'"')
        || data
            .authorization_info
            .get()
            .is_some_and(|a| !a.granted.is_missing());
    if broker
        || event_type == "io.confluent.kafka.server/authentication"
        || event_type == "io.confluent.kafka.server/authorization"
    {
        Dialect::Broker
    } else {
        Dialect::Cloud
    }
}

fn principal_info(data: &Data) -> PrincipalInfo {
    let Some(authn) = data.authentication_info.get() else {
        return PrincipalInfo::default();
    };
    let (normalized, email) = match authn.principal {
        Some(raw) => principal::normalize(raw, authn.principal_resource_id.as_str()),
        None => (None, None),
    };
    let acting = data.authorization_info.get().and_then(|a| {
        let raw = a
            .rbac
            .get()
            .and_then(|r| r.acting_principal)
            .or_else(|| a.acl.get().and_then(|r| r.acting_principal))?;
        principal::normalize(raw, None).0
    });
    PrincipalInfo {
        kind: normalized.as_deref().map(principal::kind_of),
        normalized,
        raw: authn
            .principal
            .filter(|p| p.get() != "null")
            .map(|p| p.to_owned()),
        email,
        identity: own(&authn.identity),
        acting,
    }
}

fn crn_info(env: &Envelope, data: &Data) -> CrnInfo {
    let mut scope = ScopeIds::default();
    for cr in &data.cloud_resources.0 {
        let scoped = cr
            .scope
            .get()
            .into_iter()
            .flat_map(|s| s.resources.0.iter());
        for r in scoped.chain(cr.resource.get()) {
            if let (Some(kind), Some(id)) = (r.kind.as_str(), r.resource_id.as_str()) {
                scope.observe(kind, id);
            }
        }
    }
    let candidates = [
        (CrnField::ResourceName, &data.resource_name),
        (CrnField::Subject, &env.subject),
        (CrnField::Source, &env.source),
    ];
    match candidates
        .iter()
        .find_map(|(f, v)| v.non_empty().map(|s| (*f, s)))
    {
        Some((field, raw)) => CrnInfo::build(field, raw, &scope),
        None => CrnInfo::from_scope(&scope),
    }
}

fn source_ip(meta: &super::view::RequestMetadata) -> Option<String> {
    if let Some(ip) = meta
        .client_address_list
        .0
        .iter()
        .find_map(|a| a.ip.non_empty())
    {
        return Some(ip.to_owned());
    }
    // Java's InetAddress.toString(): "host/1.2.3.4" or "/1.2.3.4".
    let raw = meta.client_address.non_empty()?;
    let ip = raw.rsplit_once('/').map_or(raw, |(_, ip)| ip);
    (!ip.is_empty()).then(|| ip.to_owned())
}
