//! IBM QRadar LEEF 2.0 (`docs/sinks.md` §3.7) behind an RFC 3164 header, with
//! `^` as the attribute delimiter.
//!
//! `LEEF:2.0|Confluent|Audit Log|1|<event id>|^|key=value^key=value…`
//!
//! LEEF defines no escaping, so:
//! * a `^` inside a value is written as the six characters `\u005e`. In
//!   the JSON of `msg` that is a JSON escape for the same character, so the
//!   event stays exact; in the other attributes it is a visible marker;
//! * line breaks in values are written as `\n` / `\r`;
//! * `|` in the header's event id becomes `_`.
//!
//! | LEEF | from |
//! |---|---|
//! | EventID (header) | `enrichment.method`, else `enrichment.type` |
//! | `devTime` (`devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ`) | `enrichment.time_unix_nanos`, UTC |
//! | `cat` | `enrichment.type` |
//! | `sev` | `enrichment.severity`: info 1, low 3, medium 5, high 8, critical 10 |
//! | `usrName` | `enrichment.principal.normalized` |
//! | `src` (or `srcHost` when not an IP address) | `enrichment.source_ip` |
//! | `eventId`, `action`, `outcome` | event id, method, verdict |
//! | `crn`, `organization`, `environment`, `cluster`, `resourceType`, `resourceName` | `enrichment.crn.*` |
//! | `msg` | the enriched event, compact JSON (last, so it is the part cut to fit) |

use std::borrow::Cow;
use std::net::IpAddr;

use super::cef::replace_ascii;
use super::fields::{cap, ten_point_severity, FIELD_CAP_BYTES};
use crate::event::time::format_rfc3339_nanos;
use crate::event::Enrichment;

/// The attribute delimiter declared in the header.
pub const DELIMITER: char = '^';

/// Writes the LEEF header and every attribute but `msg`, ending in `^msg=`.
pub fn head(out: &mut String, e: &Enrichment) {
    let event_id: String = cap(e.method().unwrap_or(e.event_type()), 255)
        .chars()
        .map(|c| match c {
            '|' => '_',
            '\r' | '\n' => ' ',
            c => c,
        })
        .collect();
    out.push_str("LEEF:2.0|Confluent|Audit Log|1|");
    out.push_str(&event_id);
    out.push_str("|^|");

    let ts = format_rfc3339_nanos(e.time_unix_nanos);
    let dev_time = format!("{}.{}+0000", &ts[..19], &ts[20..23]);
    let sev = ten_point_severity(e.severity).to_string();
    let mut attrs: Vec<(&str, &str)> = vec![
        ("devTime", &dev_time),
        ("devTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ"),
        ("cat", e.event_type()),
        ("sev", &sev),
    ];
    attrs.extend(e.principal().normalized.map(|p| ("usrName", p)));
    if let Some(ip) = e.source_ip() {
        let key = if ip.parse::<IpAddr>().is_ok() {
            "src"
        } else {
            "srcHost"
        };
        attrs.push((key, ip));
    }
    attrs.push(("eventId", e.event_id()));
    attrs.extend(e.method().map(|m| ("action", m)));
    attrs.push(("outcome", e.verdict.as_str()));
    let crn = e.crn();
    for (k, v) in [
        ("crn", crn.raw),
        ("organization", crn.organization),
        ("environment", crn.environment),
        ("cluster", crn.cluster),
        ("resourceType", crn.resource_type),
        ("resourceName", crn.resource_name),
    ] {
        attrs.extend(v.map(|v| (k, v)));
    }
    for (k, v) in attrs {
        if v.is_empty() {
            continue;
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&escape_value(cap(v, FIELD_CAP_BYTES)));
        out.push(DELIMITER);
    }
    out.push_str("msg=");
}

/// A plain attribute value: delimiter and line breaks replaced.
pub fn escape_value(v: &str) -> Cow<'_, str> {
    replace_ascii(v, |c| match c {
        b'^' => Some("\\u005e"),
        b'\n' => Some("\\n"),
        b'\r' => Some("\\r"),
        _ => None,
    })
}

/// The JSON of `msg`: compact JSON holds no raw line breaks, and `^` can
/// only occur inside strings, where `\u005e` means the same character.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    escape_value(json)
}
