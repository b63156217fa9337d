//! What one HEC response means (`docs/sinks.md` §1.5, §1.6).
//!
//! The HTTP status is read first and the body defensively: load
//! balancers and proxies answer with HTML, and a 413 from Splunk itself is
//! HTML too.

use std::time::Duration;

use serde::Deserialize;

/// The JSON body HEC answers with (`{"text":…,"code":…}` plus `ackId` or
/// `invalid-event-number`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Reply {
    pub text: Option<String>,
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

/// What to do about one `/event` response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Taken; with acks on, durable only once `ack_id` is acknowledged.
    Accepted { ack_id: Option<u64> },
    /// Temporary (busy, throttled, 5xx): send again later.
    Retry(String),
    /// An event in the request can never be accepted. `index` (zero-based,
    /// within the request) is Splunk's `invalid-event-number` when given;
    /// without it the sink bisects.
    BadEvent {
        index: Option<usize>,
        reason: String,
        status: String,
    },
    /// The body is over the server's (or a proxy's) size limit: split it.
    TooLarge(String),
    /// The sink is wrong, not the events: pause, never dead-letter.
    /// `rotate_channel`: the server no longer knows our channel.
    Misconfigured {
        message: String,
        rotate_channel: bool,
    },
}

/// Short text of a non-JSON body for logs (HTML from a proxy).
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(120)]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `Retry-After` in seconds (the form HEC and proxies use).
pub fn retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn misconfigured(status: u16, what: String, hint: &str) -> Verdict {
    Verdict::Misconfigured {
        message: format!("HTTP {status}: {what}; {hint}"),
        rotate_channel: false,
    }
}

/// Classifies an `/event` response.
pub fn event_response(status: u16, body: &[u8]) -> Verdict {
    let reply = Reply::parse(body);
    let what = reply
        .as_ref()
        .map(Reply::describe)
        .unwrap_or_else(|| format!("non-HEC body `{}`", snippet(body)));
    let code = reply.as_ref().and_then(|r| r.code);
    match status {
        200..=299 => match &reply {
            // 24/25: success, but the queue/ack service is filling up.
            Some(r) if matches!(r.code, Some(0 | 24 | 25)) => Verdict::Accepted { ack_id: r.ack_id },
            Some(r) if r.code.is_none() && r.text.as_deref() == Some("Success") => {
                Verdict::Accepted { ack_id: r.ack_id }
            }
            _ => misconfigured(status, what, "the endpoint does not answer like Splunk HEC"),
        },
        413 => Verdict::TooLarge(format!("HTTP 413: {what}")),
        408 | 429 | 500..=599 => Verdict::Retry(format!("HTTP {status}: {what}")),
        401 | 403 => misconfigured(status, what, "check `token` (enabled, allowed for this index)"),
        400 => match code {
            Some(6 | 12 | 13 | 15) => Verdict::BadEvent {
                index: reply.as_ref().and_then(|r| r.invalid_event_number),
                reason: format!("Splunk HEC refused the event: {what}"),
                status: format!("400 code {}", code.unwrap_or_default()),
            },
            Some(7) => misconfigured(
                status,
                what,
                "the index is not allowed for this token: check `index`, `index_by_*` and the token's allowed indexes",
            ),
            Some(10 | 11) => Verdict::Misconfigured {
                message: format!(
                    "HTTP 400: {what}; the channel was refused, a new one is used from now on"
                ),
                rotate_channel: true,
            },
            Some(14) => misconfigured(status, what, "the token has indexer acknowledgement off"),
            Some(16) => misconfigured(status, what, "query-string auth is off (it is never used here)"),
            _ => misconfigured(status, what, "check `endpoint` and the token's settings"),
        },
        _ => misconfigured(status, what, "check `endpoint` (the URL of the collector, port 8088 by default)"),
    }
}

/// What an `/ack` response says.
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
pub fn health_response(status: u16, body: &[u8]) -> Result<(), String> {
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
        _ => Err(format!("Splunk HEC health: HTTP {status}: {what}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(status: u16, body: &str) -> Verdict {
        event_response(status, body.as_bytes())
    }

    fn is_misconfigured(v: &Verdict) -> bool {
        matches!(v, Verdict::Misconfigured { .. })
    }

    #[test]
    fn code_table() {
        assert_eq!(
            v(200, r#"{"text":"Success","code":0}"#),
            Verdict::Accepted { ack_id: None }
        );
        assert_eq!(
            v(200, r#"{"text":"Success","code":0,"ackId":7}"#),
            Verdict::Accepted { ack_id: Some(7) }
        );
        assert!(matches!(
            v(503, r#"{"text":"Server is busy","code":9}"#),
            Verdict::Retry(_)
        ));
        assert!(matches!(
            v(429, r#"{"text":"HEC queue at capacity","code":26}"#),
            Verdict::Retry(_)
        ));
        assert!(matches!(
            v(500, r#"{"text":"Internal server error","code":8}"#),
            Verdict::Retry(_)
        ));
        assert!(matches!(
            v(502, "<html><body>Bad Gateway</body></html>"),
            Verdict::Retry(_)
        ));
        assert!(matches!(v(408, ""), Verdict::Retry(_)));
        for (status, code) in [
            (403, 1),
            (401, 2),
            (401, 3),
            (403, 4),
            (400, 7),
            (400, 14),
            (400, 16),
        ] {
            let body = format!(r#"{{"text":"x","code":{code}}}"#);
            let verdict = v(status, &body);
            assert!(is_misconfigured(&verdict), "{status}/{code}: {verdict:?}");
        }
        assert!(matches!(
            v(400, r#"{"text":"Invalid data channel","code":11}"#),
            Verdict::Misconfigured {
                rotate_channel: true,
                ..
            }
        ));
        assert!(matches!(
            v(413, "<html>too big</html>"),
            Verdict::TooLarge(_)
        ));
        assert!(is_misconfigured(&v(
            404,
            r#"{"text":"The requested URL was not found on this server.","code":404}"#
        )));
        assert!(
            is_misconfigured(&v(200, "<html>welcome</html>")),
            "200 that is not HEC"
        );
    }

    #[test]
    fn bad_event_carries_splunks_text_and_number() {
        match v(
            400,
            r#"{"text":"Invalid data format","code":6,"invalid-event-number":3}"#,
        ) {
            Verdict::BadEvent {
                index,
                reason,
                status,
            } => {
                assert_eq!(index, Some(3));
                assert!(reason.contains("Invalid data format"), "{reason}");
                assert_eq!(status, "400 code 6");
            }
            other => panic!("{other:?}"),
        }
        for code in [12, 13, 15] {
            let body = format!(r#"{{"text":"x","code":{code}}}"#);
            assert!(matches!(
                v(400, &body),
                Verdict::BadEvent { index: None, .. }
            ));
        }
    }

    #[test]
    fn ack_replies() {
        let mut ids = match ack_response(200, br#"{"acks":{"0":true,"1":false,"2":true}}"#) {
            AckReply::Status(ids) => ids,
            other => panic!("{other:?}"),
        };
        ids.sort();
        assert_eq!(ids, [0, 2]);
        assert!(matches!(
            ack_response(400, br#"{"text":"ACK is disabled","code":14}"#),
            AckReply::Disabled(_)
        ));
        assert!(matches!(
            ack_response(400, br#"{"text":"Invalid data channel","code":11}"#),
            AckReply::ChannelLost(_)
        ));
        assert!(matches!(
            ack_response(403, br#"{"text":"Invalid token","code":4}"#),
            AckReply::Refused(_)
        ));
        assert!(matches!(
            ack_response(503, b"<html/>"),
            AckReply::Unclear(_)
        ));
        assert!(matches!(
            ack_response(200, b"garbage"),
            AckReply::Unclear(_)
        ));
    }

    #[test]
    fn health_and_retry_after() {
        assert!(health_response(200, br#"{"text":"HEC is healthy","code":17}"#).is_ok());
        let e = health_response(
            503,
            br#"{"text":"HEC is unhealthy, queues are full","code":18}"#,
        )
        .unwrap_err();
        assert!(e.contains("queues are full"), "{e}");
        assert!(health_response(404, b"").is_ok());
        assert_eq!(retry_after(Some("5")), Some(Duration::from_secs(5)));
        assert_eq!(retry_after(Some("soon")), None);
    }
}
