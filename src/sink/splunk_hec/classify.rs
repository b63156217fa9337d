//! What one HEC response means (`docs/sinks.md` §1.5, §1.6), on
//! top of the shared status table ([`crate::sink::http::status`]).
//!
//! The HTTP status is read first and the body defensively: load
//! balancers and proxies answer with HTML, and a 413 from Splunk itself is
//! HTML too.

use serde::Deserialize;

use crate::sink::http::status::{self, Class};
use crate::sink::http::Verdict;
use crate::sink::{HealthError, Outcome};

/// The JSON body HEC answers with (`{"text":…,"code":…}` plus `ackId` or
/// `invalid-event-number`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Reply {
    /// HEC's message (`Success`, `Invalid token`, …).
    pub text: Option<String>,
    /// HEC's status code (0 success, 6 invalid data format, …).
    pub code: Option<i64>,
    #[serde(rename = "ackId")]
    pub ack_id: Option<u64>,
    #[serde(rename = "invalid-event-number")]
    pub invalid_event_number: Option<usize>,
}

impl Reply {
    /// The body parsed, or `None` when it is not an HEC reply.
    pub fn parse(body: &[u8]) -> Option<Reply> {
        serde_json::from_slice(body).ok()
    }

    fn describe(&self) -> String {
        match (&self.text, self.code) {
            (Some(t), Some(c)) => format!("{t} (code {c})"),
            (Some(t), None) => t.clone(),
            (None, Some(c)) => format!("code {c}"),
            (None, None) => "no HEC reply".to_owned(),
        }
    }
}

/// What only HEC says about an `/event` request: the sink-specific part
/// of [`Verdict`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Hec {
    /// Taken; with acks on, durable only once `ack_id` is acknowledged.
    Accepted { ack_id: Option<u64> },
    /// An event in the request can never be accepted. `index` (zero-based,
    /// within the request) is Splunk's `invalid-event-number` when given;
    /// without it the sink bisects.
    BadEvent {
        index: Option<usize>,
        reason: String,
        status: String,
    },
    /// Code 10/11: the server no longer knows our channel. The request is
    /// `Misconfigured` with this text, and the channel is rotated.
    ChannelLost(String),
}

/// Short text of a non-JSON body for logs (HTML from a proxy).
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(120)]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn misconfigured(status: u16, what: String, hint: &str) -> Verdict<Hec> {
    Verdict::All(Outcome::Misconfigured(format!(
        "HTTP {status}: {what}; {hint}"
    )))
}

/// Classifies an `/event` response: the shared status table first
/// ([`status::class`]), then what HEC's body adds.
pub(crate) fn event_response(status: u16, body: &[u8]) -> Verdict<Hec> {
    let reply = Reply::parse(body);
    let what = reply
        .as_ref()
        .map(Reply::describe)
        .unwrap_or_else(|| format!("non-HEC body `{}`", snippet(body)));
    let code = reply.as_ref().and_then(|r| r.code);
    match status::class(status) {
        Class::Success => match &reply {
            // 24/25: success, but the queue/ack service is filling up.
            Some(r) if matches!(r.code, Some(0 | 24 | 25)) => {
                Verdict::Protocol(Hec::Accepted { ack_id: r.ack_id })
            }
            Some(r) if r.code.is_none() && r.text.as_deref() == Some("Success") => {
                Verdict::Protocol(Hec::Accepted { ack_id: r.ack_id })
            }
            _ => misconfigured(status, what, "the endpoint does not answer like Splunk HEC"),
        },
        Class::TooLarge => Verdict::TooLarge(format!("HTTP 413: {what}")),
        Class::Retry => Verdict::All(Outcome::Retryable(format!("HTTP {status}: {what}"))),
        Class::Misconfigured => match status {
            401 | 403 => misconfigured(status, what, "check `token` (enabled, allowed for this index)"),
            400 => match code {
                Some(6 | 12 | 13 | 15) => Verdict::Protocol(Hec::BadEvent {
                    index: reply.as_ref().and_then(|r| r.invalid_event_number),
                    reason: format!("Splunk HEC refused the event: {what}"),
                    status: format!("400 code {}", code.unwrap_or_default()),
                }),
                Some(7) => misconfigured(
                    status,
                    what,
                    "the index is not allowed for this token: check `index`, `index_by_*` and the token's allowed indexes",
                ),
                Some(10 | 11) => Verdict::Protocol(Hec::ChannelLost(format!(
                    "HTTP 400: {what}; the channel was refused, a new one is used from now on"
                ))),
                Some(14) => misconfigured(status, what, "the token has indexer acknowledgement off"),
                Some(16) => misconfigured(status, what, "query-string auth is off (it is never used here)"),
                _ => misconfigured(status, what, "check `endpoint` and the token's settings"),
            },
            _ => misconfigured(status, what, "check `endpoint` (the URL of the collector, port 8088 by default)"),
        },
    }
}

/// What an `/ack` response says. Not a [`Verdict`]: an `/ack` answer
/// settles requests sent earlier (through their ackIds), not the events
/// of the request it answers, so it has its own cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckReply {
    /// The ids Splunk reported `true` (indexed and replicated).
    Status(Vec<u64>),
    /// Code 14: the token has acks off; fall back to HTTP 200 semantics.
    Disabled(String),
    /// Code 10/11: the server no longer knows the channel.
    ChannelLost(String),
    /// 401/403 or token codes: the pending requests cannot be confirmed.
    Refused(String),
    /// Anything else (busy, 5xx, garbage): ask again next time.
    Unclear(String),
}

#[derive(Deserialize)]
struct AckBody {
    acks: std::collections::HashMap<String, bool>,
}

/// Classifies an `/ack` response.
pub fn ack_response(status: u16, body: &[u8]) -> AckReply {
    if status == 200 {
        if let Ok(b) = serde_json::from_slice::<AckBody>(body) {
            let done = b
                .acks
                .iter()
                .filter(|(_, ok)| **ok)
                .filter_map(|(id, _)| id.parse().ok())
                .collect();
            return AckReply::Status(done);
        }
    }
    let reply = Reply::parse(body);
    let what = reply
        .as_ref()
        .map(Reply::describe)
        .unwrap_or_else(|| format!("non-HEC body `{}`", snippet(body)));
    let text = format!("ack query: HTTP {status}: {what}");
    match (status, reply.and_then(|r| r.code)) {
        (400, Some(14)) => AckReply::Disabled(text),
        (400, Some(10 | 11)) => AckReply::ChannelLost(text),
        (401 | 403, _) | (_, Some(1..=4)) => AckReply::Refused(text),
        _ => AckReply::Unclear(text),
    }
}

/// What `/health` says; never a gate on sending.
pub fn health_response(status: u16, body: &[u8]) -> Result<(), HealthError> {
    let what = Reply::parse(body)
        .map(|r| r.describe())
        .unwrap_or_else(|| snippet(body));
    match status {
        200 => Ok(()),
        // Absent or blocked by a proxy: says nothing about sending.
        404 => {
            tracing::warn!(
                message =
                    "Splunk HEC health endpoint not found; readiness unknown, sending goes on"
            );
            Ok(())
        }
        _ => Err(HealthError::Unhealthy {
            status,
            message: format!("Splunk HEC health: HTTP {status}: {what}"),
        }),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz;
