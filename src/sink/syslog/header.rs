//! Syslog headers: RFC 5424 (with structured data) and RFC 3164.

use super::fields::{cap, FIELD_CAP_BYTES};
use crate::event::time::rfc3339_nanos;
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
    // Written piece by piece: `write!` and the timestamp's `format!` cost
    // ≈ 1,000 instructions and two allocations per event.
    out.push('<');
    out.push_str(itoa::Buffer::new().format(pri));
    out.push_str(">1 ");
    write_timestamp_5424(out, e.time_unix_nanos);
    out.push(' ');
    out.push_str(nil_if_empty(&enc.hostname));
    out.push(' ');
    out.push_str(nil_if_empty(&enc.app_name));
    out.push_str(" - ");
    let msgid = out.len();
    if let Some(m) = e.method() {
        push_printable(out, m, 32);
    }
    if out.len() == msgid {
        out.push('-');
    }
    out.push(' ');
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
    // Looked up once, not once per CRN part.
    let crn = e.crn();
    let params: [(&str, Option<&str>); 11] = [
        ("id", Some(e.event_id())),
        ("type", Some(e.event_type())),
        ("principal", e.principal_normalized()),
        ("verdict", Some(e.verdict.as_str())),
        ("severity", Some(sev)),
        ("organization", crn.organization),
        ("environment", crn.environment),
        ("cluster", crn.cluster),
        ("resourceType", crn.resource_type),
        ("resourceName", crn.resource_name),
        ("sourceIp", e.source_ip()),
    ];
    // The enrichment's strings hold no `"` and no `\` (almost always): then
    // only `]` is looked for, not all three with `memchr3`, whose set-up
    // costs more than these short values (≈ 100 instructions each).
    let clean = e.strings_clean();
    for (name, value) in params {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        let value = cap(value, FIELD_CAP_BYTES);
        if clean && !value.as_bytes().contains(&b']') {
            out.push_str(value);
        } else {
            escape_param_value(out, value);
        }
        out.push('"');
    }
    out.push(']');
}

/// RFC 5424 §6.3.3: `"`, `\` and `]` MUST be escaped in PARAM-VALUE.
pub fn escape_param_value(out: &mut String, v: &str) {
    if memchr::memchr3(b'"', b'\\', b']', v.as_bytes()).is_none() {
        out.push_str(v);
        return;
    }
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
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let ts = rfc3339_nanos(unix_nanos);
    let ts = std::str::from_utf8(&ts).expect("ASCII digits");
    let month: usize = ts[5..7].parse().unwrap_or(1);
    out.push('<');
    out.push_str(itoa::Buffer::new().format(pri));
    out.push('>');
    out.push_str(MONTHS[month - 1]);
    // The day right-aligned in two places: `Jan  5`.
    out.push_str(if ts.as_bytes()[8] == b'0' { "  " } else { " " });
    out.push_str(ts[8..10].trim_start_matches('0'));
    out.push(' ');
    out.push_str(&ts[11..19]);
    out.push(' ');
    out.push_str(nil_if_empty(hostname));
    out.push(' ');
}

/// RFC 3339 UTC with microseconds, or whole seconds when the fraction is
/// zero (RFC 5424 allows at most 6 fraction digits), appended to `out`.
fn write_timestamp_5424(out: &mut String, unix_nanos: i64) {
    // i64 nanoseconds span the years 1677–2262: always four digits.
    let ts = rfc3339_nanos(unix_nanos);
    let ts = std::str::from_utf8(&ts).expect("ASCII digits");
    out.push_str(&ts[..19]);
    let micros = &ts[20..26];
    if micros != "000000" {
        out.push('.');
        out.push_str(micros);
    }
    out.push('Z');
}

/// Printable US-ASCII (33–126) only, others replaced by `_`, at most `max`.
pub fn printable(s: &str, max: usize) -> String {
    let mut out = String::new();
    push_printable(&mut out, s, max);
    out
}

/// [`printable`] appended to `out`.
fn push_printable(out: &mut String, s: &str, max: usize) {
    if s.len() <= max && s.bytes().all(|b| (b'!'..=b'~').contains(&b)) {
        out.push_str(s);
        return;
    }
    out.extend(
        s.chars()
            .map(|c| if ('!'..='~').contains(&c) { c } else { '_' })
            .take(max),
    );
}

fn nil_if_empty(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}
