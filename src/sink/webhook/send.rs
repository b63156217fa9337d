//! One `send`: one POST per alert, in order, one outcome per alert.
//!
//! An alert that can never be sent (not an alert, unreadable) is rejected
//! without a request. After a whole-request failure (429, 5xx, 401, no
//! answer) the rest of the batch is not sent in this attempt; it gets the
//! same class ([`crate::sink::http::not_sent`]) so the pipeline backs off
//! instead of hammering an alerting tool that is struggling.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use super::classify;
use super::WebhookSink;
use crate::event::Event;
use crate::sink::http::{self, Verdict};
use crate::sink::{Outcome, SendReport};

impl WebhookSink {
    /// One [`Sink::send`](crate::sink::Sink::send): one outcome per event,
    /// in order.
    pub(crate) async fn deliver(&self, events: &[Arc<Event>]) -> SendReport {
        let mut outcomes = Vec::with_capacity(events.len());
        let mut skip: Option<Outcome> = None;
        let mut retry_after: Option<Duration> = None;
        for e in events {
            if let Some(o) = &skip {
                outcomes.push(o.clone());
                continue;
            }
            let body = match self.encoder.encode(e) {
                Ok(b) => b,
                Err(err) => {
                    tracing::warn!(sink = %self.name, id = e.id(), error = %err, "alert cannot be sent; dead-lettering it");
                    self.counters.rejected.fetch_add(1, Relaxed);
                    outcomes.push(Outcome::Rejected {
                        reason: err.to_string(),
                        status: None,
                    });
                    continue;
                }
            };
            let (verdict, wait) = self.request(body, e.id()).await;
            retry_after = retry_after.max(wait);
            let outcome = match verdict {
                Verdict::Protocol(o) => o,
                // One alert per request: the 413 rule rejects it alone.
                Verdict::TooLarge(m) => Outcome::Rejected {
                    reason: format!("{m}: the alert alone is larger than the receiver accepts"),
                    status: Some("413".to_owned()),
                },
                Verdict::All(o) => {
                    skip = http::not_sent(&o);
                    o
                }
            };
            match &outcome {
                Outcome::Accepted => self.counters.accepted.fetch_add(1, Relaxed),
                Outcome::Rejected { .. } => self.counters.rejected.fetch_add(1, Relaxed),
                _ => 0,
            };
            outcomes.push(outcome);
        }
        SendReport {
            outcomes,
            retry_after,
        }
    }

    /// One POST, classified, logged (never the body: it may hold the
    /// routing key).
    async fn request(&self, body: Vec<u8>, id: &str) -> (Verdict<Outcome>, Option<Duration>) {
        self.counters.requests.fetch_add(1, Relaxed);
        let (verdict, wait) = match self.transport.post(body).await {
            Ok(reply) => (
                classify::classify(self.encoder.format, reply.status, &reply.body),
                reply.retry_after,
            ),
            Err(f) => (Verdict::All(f.outcome()), None),
        };
        match &verdict {
            Verdict::All(Outcome::Ambiguous(m)) => {
                self.counters.ambiguous.fetch_add(1, Relaxed);
                tracing::error!(sink = %self.name, id, reason = %m, "no clear answer; the alert will be resent (the receiver may see its id twice)");
            }
            Verdict::All(Outcome::Misconfigured(m)) => {
                tracing::error!(sink = %self.name, id, reason = %m, "alert refused: the sink needs attention");
            }
            Verdict::All(Outcome::Retryable(m)) => {
                tracing::warn!(sink = %self.name, id, reason = %m, "alert not delivered; will retry");
            }
            Verdict::Protocol(Outcome::Rejected { reason, .. }) => {
                tracing::warn!(sink = %self.name, id, reason = %reason, "alert refused by the receiver; dead-lettering it");
            }
            _ => {}
        }
        (verdict, wait)
    }
}
