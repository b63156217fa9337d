//! One line per record: readable text (coloured on a terminal) or NDJSON.
//! Records the pipeline would dead-letter are printed too, marked as such,
//! so an investigator never misses that something unreadable arrived.

use serde::Serialize;

use crate::event::time::format_rfc3339_nanos;
use crate::event::{DeadLetterReason, Event, KafkaCoords, Severity, Verdict};

/// What is shown for one record.
pub enum Shown<'a> {
    Event(&'a Event),
    /// A record the pipeline would dead-letter.
    Invalid {
        reason: &'a DeadLetterReason,
        kafka: &'a KafkaCoords,
        raw: &'a [u8],
    },
}

/// Output mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Text { colour: bool },
    Json,
}

const RESET: &str = "\x1b[0m";

fn paint(out: &mut String, colour: bool, code: &str, text: &str) {
    if colour {
        out.push_str(code);
        out.push_str(text);
        out.push_str(RESET);
    } else {
        out.push_str(text);
    }
}

fn severity_colour(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
        Severity::Info => "\x1b[2m",
    }
}

/// The line for `shown`, without the newline.
pub fn format(shown: &Shown<'_>, style: Style) -> String {
    match (shown, style) {
        (Shown::Event(e), Style::Json) => e.json.clone(),
        (Shown::Event(e), Style::Text { colour }) => text(e, colour),
        (Shown::Invalid { reason, kafka, raw }, Style::Json) => invalid_json(reason, kafka, raw),
        (Shown::Invalid { reason, kafka, .. }, Style::Text { colour }) => {
            let mut out = String::new();
            let time = kafka.timestamp.map_or_else(|| "-".to_owned(), ms_rfc3339);
            out.push_str(&time);
            out.push(' ');
            paint(&mut out, colour, "\x1b[1;35m", "DEAD-LETTER");
            out.push(' ');
            out.push_str(&reason.to_string());
            out.push(' ');
            out.push_str(&coords(kafka));
            out
        }
    }
}

/// `2025-03-04T09:05:00.318Z CRITICAL denied  User:sa-1 kafka.Produce topic=sensitive-pay from 203.0.113.7 [topic/0@12]`
fn text(e: &Event, colour: bool) -> String {
    let n = &e.enrichment;
    let mut out = String::with_capacity(160);
    out.push_str(&ms_rfc3339(n.time_unix_nanos.div_euclid(1_000_000)));
    out.push(' ');
    paint(
        &mut out,
        colour,
        severity_colour(n.severity),
        &format!("{:<8}", n.severity.as_str().to_uppercase()),
    );
    out.push(' ');
    let verdict = format!("{:<7}", n.verdict.as_str());
    if matches!(n.verdict, Verdict::Denied | Verdict::Failure) {
        paint(&mut out, colour, "\x1b[1;31m", &verdict);
    } else {
        out.push_str(&verdict);
    }
    out.push(' ');
    out.push_str(n.principal().normalized.unwrap_or("-"));
    out.push(' ');
    out.push_str(n.method().unwrap_or(n.event_type()));
    out.push(' ');
    let crn = n.crn();
    match (crn.resource_type, crn.resource_name) {
        (Some(t), Some(v)) => {
            out.push_str(t);
            out.push('=');
            out.push_str(v);
        }
        _ => out.push_str(n.resource_name().unwrap_or("-")),
    }
    if let Some(ip) = n.source_ip() {
        out.push_str(" from ");
        out.push_str(ip);
    }
    if let Some(k) = &n.kafka() {
        out.push(' ');
        out.push_str(&coords(k));
    }
    out
}

fn coords(k: &KafkaCoords) -> String {
    format!("[{}/{}@{}]", k.topic, k.partition, k.offset)
}

fn ms_rfc3339(ms: i64) -> String {
    // Millisecond precision is what Kafka and most events carry.
    let full = format_rfc3339_nanos(ms.saturating_mul(1_000_000));
    format!("{}Z", &full[..23])
}

#[derive(Serialize)]
struct InvalidLine<'a> {
    dead_letter: Invalid<'a>,
}

#[derive(Serialize)]
struct Invalid<'a> {
    reason_code: &'static str,
    reason: String,
    kafka: &'a KafkaCoords,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_base64: Option<String>,
}

/// `{"dead_letter":{"reason_code":…,"reason":…,"kafka":{…},"raw":…}}`: the
/// same fields as a dead-letter file entry, without the write time.
fn invalid_json(reason: &DeadLetterReason, kafka: &KafkaCoords, raw: &[u8]) -> String {
    use base64::Engine;
    let (text, b64) = match std::str::from_utf8(raw) {
        Ok(s) => (Some(s), None),
        Err(_) => (
            None,
            Some(base64::engine::general_purpose::STANDARD.encode(raw)),
        ),
    };
    serde_json::to_string(&InvalidLine {
        dead_letter: Invalid {
            reason_code: reason.code(),
            reason: reason.to_string(),
            kafka,
            raw: text,
            raw_base64: b64,
        },
    })
    .expect("serialising strings cannot fail")
}

#[cfg(test)]
mod tests;
