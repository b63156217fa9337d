//! Helpers every format shares (header, CEF, LEEF): severities and the
//! cap on mapped fields. A leaf module, so the formats and the encoder
//! that picks between them do not import each other in a circle.

use crate::event::Severity;

/// The most bytes a mapped field (SD-PARAM, CEF/LEEF attribute) takes.
pub const FIELD_CAP_BYTES: usize = 512;

/// `enrichment.severity` → syslog severity (RFC 5424 §6.2.1): denials and
/// failures rise above the informational default.
pub fn syslog_severity(s: Severity) -> u8 {
    match s {
        Severity::Info => 6,     // Informational
        Severity::Low => 5,      // Notice
        Severity::Medium => 4,   // Warning
        Severity::High => 3,     // Error
        Severity::Critical => 2, // Critical
    }
}

/// `enrichment.severity` → CEF severity (0–10) and LEEF `sev` (1–10), in
/// the bands both use: 0–3 low, 4–6 medium, 7–8 high, 9–10 very high.
/// Always in range by construction, so no clamping is needed.
pub fn ten_point_severity(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Low => 3,
        Severity::Medium => 5,
        Severity::High => 8,
        Severity::Critical => 10,
    }
}

/// The longest prefix of `s` of at most `max` bytes ending on a character
/// boundary.
pub fn cap(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests;
