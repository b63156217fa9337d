//! ArcSight CEF (`docs/sinks.md` §3.6) behind an RFC 3164 header.
//!
//! `CEF:0|Confluent|Audit Log|1|<signature>|<name>|<severity>|<extension>`
//!
//! | CEF | from |
//! |---|---|
//! | Device Event Class ID | `enrichment.method`, else `enrichment.type` |
//! | Name | `<method or type> <verdict>` |
//! | Severity | `enrichment.severity`: info 1, low 3, medium 5, high 8, critical 10 |
//! | `rt` | `enrichment.time_unix_nanos` in ms |
//! | `externalId` | `enrichment.event_id` |
//! | `cat` | `enrichment.type` |
//! | `act` | `enrichment.method` |
//! | `outcome` | `enrichment.verdict` |
//! | `suser` | `enrichment.principal.normalized` |
//! | `src` / `c6a2` / `shost` | `enrichment.source_ip` (IPv4 / IPv6 / other) |
//! | `cs1`…`cs6` | CRN, organization, environment, cluster, resource type, resource name (labels in `csNLabel`) |
//! | `msg` | the enriched event, compact JSON (last, so it is the part cut to fit) |

use std::borrow::Cow;
use std::net::IpAddr;

use super::fields::{cap, ten_point_severity, FIELD_CAP_BYTES};
use crate::event::Enrichment;

/// Writes the CEF header and every extension but `msg`, ending in ` msg=`.
pub fn head(out: &mut String, e: &Enrichment) {
    let signature = e.method().unwrap_or(e.event_type());
    out.push_str("CEF:0|Confluent|Audit Log|1|");
    escape_header(out, cap(signature, 1023));
    out.push('|');
    let name = format!("{signature} {}", e.verdict.as_str());
    escape_header(out, cap(&name, 512));
    out.push('|');
    out.push_str(&ten_point_severity(e.severity).to_string());
    out.push('|');

    let rt = e.time_unix_nanos.div_euclid(1_000_000).to_string();
    let mut pairs: Vec<(&str, &str)> = vec![
        ("rt", &rt),
        ("externalId", e.event_id()),
        ("cat", e.event_type()),
    ];
    pairs.extend(e.method().map(|m| ("act", m)));
    pairs.push(("outcome", e.verdict.as_str()));
    pairs.extend(e.principal().normalized.map(|p| ("suser", p)));
    if let Some(ip) = e.source_ip() {
        match ip.parse::<IpAddr>() {
            Ok(IpAddr::V4(_)) => pairs.push(("src", ip)),
            Ok(IpAddr::V6(_)) => {
                pairs.push(("c6a2", ip));
                pairs.push(("c6a2Label", "Source IPv6 Address"));
            }
            Err(_) => pairs.push(("shost", ip)),
        }
    }
    let custom = [
        ("cs1", "cs1Label", "crn", e.crn().raw),
        ("cs2", "cs2Label", "organization", e.crn().organization),
        ("cs3", "cs3Label", "environment", e.crn().environment),
        ("cs4", "cs4Label", "cluster", e.crn().cluster),
        ("cs5", "cs5Label", "resourceType", e.crn().resource_type),
        ("cs6", "cs6Label", "resourceName", e.crn().resource_name),
    ];
    for (key, label_key, label, value) in custom {
        if let Some(v) = value {
            pairs.push((key, v));
            pairs.push((label_key, label));
        }
    }
    for (k, v) in pairs {
        if v.is_empty() {
            continue;
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&escape_value(cap(v, FIELD_CAP_BYTES)));
        out.push(' ');
    }
    out.push_str("msg=");
}

/// Header fields: `\` → `\\`, `|` → `\|`; line breaks are not allowed in
/// the header and become spaces.
pub fn escape_header(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// Extension values: `\` → `\\`, `=` → `\=`, line feed → `\n`, carriage
/// return → `\r`. `|` needs no escape here.
pub fn escape_value(v: &str) -> Cow<'_, str> {
    replace_ascii(v, |c| match c {
        b'\\' => Some("\\\\"),
        b'=' => Some("\\="),
        b'\n' => Some("\\n"),
        b'\r' => Some("\\r"),
        _ => None,
    })
}

/// Replaces ASCII bytes by strings, copying the runs between them; the
/// value is borrowed when nothing needs replacing (the common case).
/// Byte-wise is UTF-8 safe: ASCII bytes never occur inside a multibyte
/// character.
pub fn replace_ascii(v: &str, rep: impl Fn(u8) -> Option<&'static str>) -> Cow<'_, str> {
    let b = v.as_bytes();
    let Some(first) = b.iter().position(|&c| rep(c).is_some()) else {
        return Cow::Borrowed(v);
    };
    let mut out = String::with_capacity(v.len() + v.len() / 8 + 8);
    let mut start = 0;
    for (i, &c) in b.iter().enumerate().skip(first) {
        if let Some(r) = rep(c) {
            out.push_str(&v[start..i]);
            out.push_str(r);
            start = i + 1;
        }
    }
    out.push_str(&v[start..]);
    Cow::Owned(out)
}
