//! The `enrichment` object: computed once per event, read by filters,
//! sinks, dashboards and outside checks. Its field names are a contract
//! (`docs/events.md`, "Enrichment fields").

use std::borrow::Cow;

use super::crn::{CrnField, ScopeIds};
use super::enrichment::{CrnSpans, Enrichment, KafkaSpans, PrincipalSpans, Span, Text};
use super::principal;
use super::time::parse_rfc3339;
use super::values::{Dialect, Rfc3339, TimeSource};
use super::view::{Data, Envelope, Field};
use super::{KafkaCoords, Severity, Verdict};

/// Builds the enrichment of a validated event. `ingest_nanos` is used only
/// when neither the event nor Kafka gives a time; `classify` gives the
/// severity of the otherwise complete enrichment (the policy's severity
/// table, which sits above this module).
#[inline]
pub fn enrich(
    env: &Envelope,
    kafka: Option<&KafkaCoords>,
    ingest_nanos: i64,
    classify: impl FnOnce(&Enrichment) -> Severity,
) -> Enrichment {
    // Built (and dropped) only for a view without a `data` object, which
    // validation never passes on (`enrich` takes any view, so it stays
    // handled): a default `Data` made and dropped for every event cost
    // about 85 instructions.
    let empty;
    let data = match env.data.get() {
        Some(data) => data,
        None => {
            empty = Data::default();
            &empty
        }
    };
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

    // One buffer for every string; 1 KiB fits a typical cloud event's.
    let mut text = Text::with_capacity(1024);
    let t = &mut text;
    let event_id = t.field(&env.id).unwrap_or_default();
    let event_type_span = t.field(&env.event_type).unwrap_or_default();
    let method = t.field(&data.method_name);
    let service = t.field(&data.service_name);
    let principal = principal_info(data, t);
    let crn = crn_info(env, data, t);
    let operation = authz.and_then(|a| t.field(&a.operation));
    let resource_type = authz.and_then(|a| t.field(&a.resource_type));
    let resource_name = authz.and_then(|a| t.field(&a.resource_name));
    let access_type = request.and_then(|r| t.field(&r.access_type));
    let role = request
        .and_then(|r| r.data.get())
        .and_then(|d| first_non_empty(&d.role_name, &d.role_name_camel).and_then(|f| t.field(f)));
    let source_ip = meta.and_then(|m| source_ip(m, t));
    let client_id = request
        .and_then(|r| first_non_empty(&r.client_id_snake, &r.client_id_camel))
        .or_else(|| meta.map(|m| &m.client_id))
        .and_then(|f| t.field(f));
    let correlation_id = request
        .and_then(|r| first_non_empty(&r.correlation_id_snake, &r.correlation_id_camel))
        .and_then(|f| t.field(f));
    let kafka = kafka.map(|k| KafkaSpans {
        topic: t.checked(&k.topic),
        partition: k.partition,
        offset: k.offset,
        timestamp: k.timestamp,
    });
    let mut e = Enrichment {
        text,
        event_id,
        event_type: event_type_span,
        dialect: dialect(event_type, data),
        method,
        service,
        time: Rfc3339(time_unix_nanos),
        time_unix_nanos,
        time_source,
        severity: Severity::Info,
        verdict: verdict(event_type, data),
        failed_auth,
        request_failed,
        principal,
        crn,
        operation,
        resource_type,
        resource_name,
        access_type,
        role,
        source_ip,
        client_id,
        correlation_id,
        kafka,
        extras: env.extras,
    };
    e.severity = classify(&e);
    e
}

/// Rule FAIL (`docs/audit-log-format.md` §8).
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

/// The first of two keys (snake and camel case) holding a non-empty string.
fn first_non_empty<'f, 'a>(a: &'f Field<'a>, b: &'f Field<'a>) -> Option<&'f Field<'a>> {
    [a, b].into_iter().find(|f| f.non_empty().is_some())
}

fn principal_info(data: &Data, t: &mut Text) -> PrincipalSpans {
    let Some(authn) = data.authentication_info.get() else {
        return PrincipalSpans::default();
    };
    let raw = authn.principal.filter(|p| p.get() != "null");
    let raw_span = raw.map(|p| t.json(p.get()));
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
    let kind = normalized.as_deref().map(principal::kind_of);
    let normalized = normalized.map(|n| match (&n, raw, raw_span) {
        // `"User:sa-1"` normalises to its own text: point into the copy
        // of the raw principal instead of copying again.
        (Cow::Borrowed(s), Some(raw), Some(span))
            if raw.get().get(1..).is_some_and(|r| r.as_ptr() == s.as_ptr()) =>
        {
            span.sub(1..1 + s.len())
        }
        _ => t.checked(&n),
    });
    PrincipalSpans {
        kind,
        normalized,
        raw: raw_span,
        email: email.map(|e| t.checked(&e)),
        identity: t.field(&authn.identity),
        acting: acting.map(|a| t.checked(&a)),
    }
}

fn crn_info(env: &Envelope, data: &Data, t: &mut Text) -> CrnSpans {
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
        .into_iter()
        .find(|(_, v)| v.non_empty().is_some())
    {
        Some((field, raw)) => CrnSpans::build(field, raw, t, &scope),
        None => CrnSpans::from_scope(&scope, t),
    }
}

fn source_ip(meta: &super::view::RequestMetadata, t: &mut Text) -> Option<Span> {
    if let Some(a) = meta
        .client_address_list
        .0
        .iter()
        .find(|a| a.ip.non_empty().is_some())
    {
        return t.field(&a.ip);
    }
    // Java's InetAddress.toString(): "host/1.2.3.4" or "/1.2.3.4"; an
    // InetSocketAddress adds the port ("/1.2.3.4:9092", "/[::1]:9092").
    let raw = meta.client_address.non_empty()?;
    let ip = without_port(raw.rsplit_once('/').map_or(raw, |(_, ip)| ip));
    (!ip.is_empty()).then(|| t.checked(ip))
}

/// The address without a `:port` suffix: "1.2.3.4:9092" → "1.2.3.4",
/// "[2001:db8::1]:9092" → "2001:db8::1". A bare IPv6 address (more than one
/// colon, no brackets) is returned whole.
fn without_port(a: &str) -> &str {
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split_once(']').map_or(a, |(ip, _)| ip);
    }
    match a.split_once(':') {
        Some((ip, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => ip,
        _ => a,
    }
}
