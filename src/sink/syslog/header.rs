//! Syslog headers: RFC 5424 (with structured data) and RFC 3164.

use std::fmt::Write;

use super::fields::{cap, FIELD_CAP_BYTES};
use crate::event::time::format_rfc3339_nanos;
use crate::event::Enrichment;

/// Who sends: the configured parts of an RFC 5424 header.
#[derive(Debug, Clone)]
pub struct Identity {
    /// HOSTNAME: printable ASCII, at most 255 bytes.
    pub hostname: String,
    /// APP-NAME: printable ASCII, at most 48 bytes.
    pub app_name: String,
    pub sd_id: String,
    /// Start MSG with a UTF-8 BOM.
    pub bom: bool,
}

/// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] ` and, when
/// configured, the UTF-8 BOM that starts MSG. PROCID is always `-`: the
/// events are not ours, and a bridge pid helps no one.
pub fn rfc5424(out: &mut String, pri: u8, enc: &Identity, e: &Enrichment) {
    let msgid = e
        .method()
        .map(|m| printable(m, 32))
        .filter(|m| !m.is_empty());
    let _ = write!(
        out,
        "<{pri}>1 {} {} {} - {} ",
        timestamp_5424(e.time_unix_nanos),
        nil_if_empty(&enc.hostname),
        nil_if_empty(&enc.app_name),
        msgid.as_deref().unwrap_or("-"),
    );
    structured_data(out, &enc.sd_id, e);
    out.push(' ');
    if enc.bom {
        out.push('\u{feff}');
    }
}

/// `[sd_id id="…" principal="…" …]`: the fields SIEM rules key on, so they
/// need not parse the JSON. Absent values are left out, not sent empty.
fn structured_data(out: &mut String, sd_id: &str, e: &Enrichment) {
    out.push('[');
    out.push_str(sd_id);
    let sev = e.severity.as_str();
    let params: [(&str, Option<&str>); 10] = [
        ("id", Some(e.event_id())),
        ("type", Some(e.event_type())),
        ("principal", e.principal().normalized),
        ("verdict", Some(e.verdict.as_str())),
        ("severity", Some(sev)),
        ("organization", e.crn().organization),
        ("environment", e.crn().environment),
        ("cluster", e.crn().cluster),
        ("resourceType", e.crn().resource_type),
        ("resourceName", e.crn().resource_name),
    ];
    let source_ip = ("sourceIp", e.source_ip());
    for (name, value) in params.into_iter().chain([source_ip]) {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape_param_value(out, cap(value, FIELD_CAP_BYTES));
        out.push('"');
    }
    out.push(']');
}

/// RFC 5424 §6.3.3: `"`, `\` and `]` MUST be escaped in PARAM-VALUE.
pub fn escape_param_value(out: &mut String, v: &str) {
    for c in v.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// `<PRI>Mmm dd hh:mm:ss HOSTNAME ` in UTC (RFC 3164 has no zone; UTC is
/// the only choice that does not depend on where the bridge runs).
pub fn rfc3164(out: &mut String, pri: u8, hostname: &str, unix_nanos: i64) {
    let ts = format_rfc3339_nanos(unix_nanos);
    let month: usize = ts[5..7].parse().unwrap_or(1);
    let day: u32 = ts[8..10].parse().unwrap_or(1);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let _ = write!(
        out,
        "<{pri}>{} {day:>2} {} {} ",
        MONTHS[month - 1],
        &ts[11..19],
        nil_if_empty(hostname)
    );
}

/// RFC 3339 UTC with microseconds, or whole seconds when the fraction is
/// zero (RFC 5424 allows at most 6 fraction digits).
pub fn timestamp_5424(unix_nanos: i64) -> String {
    // i64 nanoseconds span the years 1677–2262: always four digits.
    let ts = format_rfc3339_nanos(unix_nanos);
    let micros = &ts[20..26];
    if micros == "000000" {
        format!("{}Z", &ts[..19])
    } else {
        format!("{}.{micros}Z", &ts[..19])
    }
}

/// Printable US-ASCII (33–126) only, others replaced by `_`, at most `max`.
pub fn printable(s: &str, max: usize) -> String {
    s.chars()
        .map(|c| if ('!'..='~').contains(&c) { c } else { '_' })
        .take(max)
        .collect()
}

fn nil_if_empty(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}
