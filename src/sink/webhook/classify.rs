//! One answer → the outcome of the alert it carried (`docs/webhook.md`,
//! "What happens to each answer"), on top of the shared status table
//! ([`crate::sink::http::status`]). Pure: status and body in, decision out.
//!
//! One request carries one alert, so [`Verdict::Protocol`] is that
//! alert's final outcome (accepted, or rejected alone) and the rest of the
//! batch is still sent; [`Verdict::All`] ends the attempt.
//!
//! The one refinement from the body: PagerDuty answers 400 for an event it
//! finds invalid (rejected: dead-letter that alert), and also for a
//! malformed `routing_key`, which is the sink's configuration and would
//! fail every alert alike (misconfigured).

use serde::Deserialize;

use super::config::Format;
use crate::sink::http::status::{self, Class};
use crate::sink::http::Verdict;
use crate::sink::Outcome;

/// PagerDuty's error body: `{"status", "message", "errors": [...]}`.
#[derive(Debug, Default, Deserialize)]
struct PdReply {
    status: Option<String>,
    message: Option<String>,
    #[serde(default)]
    errors: Vec<String>,
}

impl PdReply {
    fn describe(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        parts.extend(self.status.as_deref());
        parts.extend(self.message.as_deref());
        parts.extend(self.errors.iter().map(String::as_str));
        parts.join("; ")
    }
}

/// What the body says, shortened for a log line (HTML from a proxy).
fn what(body: &[u8]) -> String {
    if let Ok(r) = serde_json::from_slice::<PdReply>(body) {
        let d = r.describe();
        if !d.is_empty() {
            return d;
        }
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(160)]);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        "empty body".to_owned()
    } else {
        format!("`{text}`")
    }
}

/// Classifies the answer to one alert's request.
pub(crate) fn classify(format: Format, status: u16, body: &[u8]) -> Verdict<Outcome> {
    let what = || what(body);
    match status::class(status) {
        Class::Success => Verdict::Protocol(Outcome::Accepted),
        Class::TooLarge => Verdict::TooLarge(format!("HTTP 413: {}", what())),
        Class::Retry => Verdict::All(Outcome::Retryable(format!("HTTP {status}: {}", what()))),
        Class::Misconfigured => Verdict::All(Outcome::Misconfigured(match (status, format) {
            (400, Format::Pagerduty) => {
                let w = what();
                if !w.contains("routing_key") {
                    return Verdict::Protocol(Outcome::Rejected {
                        reason: format!("PagerDuty refused the event: {w}"),
                        status: Some("400".to_owned()),
                    });
                }
                format!("HTTP 400: {w}; check `routing_key` (the service's Events API v2 integration key)")
            }
            (401 | 403, Format::Pagerduty) => format!(
                "HTTP {status}: {}; check `routing_key` and `url`",
                what()
            ),
            (401 | 403, Format::Generic) => format!(
                "HTTP {status}: {}; check `auth_header` and `headers`",
                what()
            ),
            (404, _) => format!("HTTP 404: {}; check `url`", what()),
            (400, Format::Generic) => format!(
                "HTTP 400: {}; the receiver refuses the alert body (every alert has the same shape): check `url` and what the receiver expects",
                what()
            ),
            _ => format!("unexpected HTTP {status}: {}; check `url`", what()),
        })),
    }
}

#[cfg(test)]
mod tests;
