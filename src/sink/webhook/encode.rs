//! One alert event → one request body. Pure: event in, bytes out.
//!
//! The event is the alert's CloudEvent as the pipeline renders it
//! ([`crate::process::Processor::alert_event`]); its `data` is the alert
//! object (`docs/detect.md`, "Alerts"). `generic` sends `data` byte for
//! byte; `pagerduty` wraps it in an Events API v2 `trigger`.

use std::borrow::Cow;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::config::{Format, Link};
use crate::event::validate::ALERT_TYPE;
use crate::event::{Event, Severity};
use crate::secret::Secret;

/// PagerDuty truncates nothing: a longer `payload.summary` is refused.
pub const MAX_SUMMARY_CHARS: usize = 1024;
/// PagerDuty refuses a longer `dedup_key` (alert ids are 35).
pub const MAX_DEDUP_KEY_CHARS: usize = 255;
/// PagerDuty refuses larger events (512 KB).
pub const MAX_PAGERDUTY_BYTES: usize = 512 * 1024;

/// Why one event cannot be sent. Each one means the event can never be
/// accepted as it is: it is dead-lettered without costing a request.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The pipeline sends this sink alerts only; anything else is a bug
    /// upstream, refused here rather than paged.
    #[error("the webhook sink sends detection alerts only (type io.siem-bridge.detection.alert), not events of type `{0}`")]
    NotAnAlert(String),
    #[error("the alert event cannot be read: {0}")]
    Unreadable(serde_json::Error),
    #[error("the alert id has {0} characters; PagerDuty's dedup_key allows at most 255")]
    IdTooLong(usize),
    #[error("the PagerDuty event is {0} bytes; PagerDuty accepts at most 512 KB")]
    TooLarge(usize),
}

/// Builds request bodies for one sink.
#[derive(Debug, Clone)]
pub struct Encoder {
    pub format: Format,
    /// PagerDuty only (empty for `generic`).
    pub routing_key: Secret,
    pub source: String,
    pub component: String,
    pub links: Vec<Link>,
}

/// The parts of the rendered CloudEvent the bodies need.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: &'a RawValue,
}

/// The alert fields a PagerDuty event is made of.
#[derive(Deserialize)]
struct AlertView<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    rule: Cow<'a, str>,
    #[serde(borrow)]
    summary: Cow<'a, str>,
    #[serde(borrow)]
    group_key: Cow<'a, str>,
    #[serde(borrow)]
    last_time: Cow<'a, str>,
}

#[derive(Serialize)]
struct PagerDutyEvent<'a> {
    routing_key: &'a str,
    event_action: &'static str,
    dedup_key: &'a str,
    payload: Payload<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<PdLink<'a>>,
}

#[derive(Serialize)]
struct Payload<'a> {
    summary: Cow<'a, str>,
    source: &'a str,
    severity: &'static str,
    timestamp: &'a str,
    component: &'a str,
    group: &'a str,
    class: &'a str,
    custom_details: &'a RawValue,
}

#[derive(Serialize)]
struct PdLink<'a> {
    href: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

impl Encoder {
    /// The request body for `event`.
    pub fn encode(&self, event: &Event) -> Result<Vec<u8>, EncodeError> {
        let ty = event.enrichment.event_type();
        if ty != ALERT_TYPE {
            return Err(EncodeError::NotAnAlert(ty.to_owned()));
        }
        let env: Envelope = serde_json::from_str(&event.json).map_err(EncodeError::Unreadable)?;
        match self.format {
            Format::Generic => Ok(env.data.get().as_bytes().to_vec()),
            Format::Pagerduty => self.pagerduty(env.data, event.enrichment.severity),
        }
    }

    fn pagerduty(&self, data: &RawValue, severity: Severity) -> Result<Vec<u8>, EncodeError> {
        let a: AlertView = serde_json::from_str(data.get()).map_err(EncodeError::Unreadable)?;
        let id_len = a.id.chars().count();
        if id_len > MAX_DEDUP_KEY_CHARS {
            return Err(EncodeError::IdTooLong(id_len));
        }
        let links = self
            .links
            .iter()
            .map(|l| PdLink {
                href: l
                    .href
                    .replace("{id}", &encode_part(&a.id))
                    .replace("{rule}", &encode_part(&a.rule)),
                text: l.text.as_deref(),
            })
            .collect();
        let body = serde_json::to_vec(&PagerDutyEvent {
            routing_key: self.routing_key.expose(),
            event_action: "trigger",
            dedup_key: &a.id,
            payload: Payload {
                summary: truncate(&a.summary, MAX_SUMMARY_CHARS),
                source: &self.source,
                severity: pagerduty_severity(severity),
                timestamp: &a.last_time,
                component: &self.component,
                group: &a.group_key,
                class: &a.rule,
                custom_details: data,
            },
            links,
        })
        .expect("serialising to a Vec cannot fail");
        if body.len() > MAX_PAGERDUTY_BYTES {
            return Err(EncodeError::TooLarge(body.len()));
        }
        Ok(body)
    }
}

/// PagerDuty's four severities from the alert's five.
pub fn pagerduty_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "info",
    }
}

/// `s` cut to at most `max` characters, the last one `…` when cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some(_) => {
            let keep = s.char_indices().nth(max - 1).map_or(s.len(), |(i, _)| i);
            Cow::Owned(format!("{}…", &s[..keep]))
        }
    }
}

fn encode_part(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests;
