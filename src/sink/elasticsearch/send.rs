//! One `send`: events → documents → `_bulk` requests → one outcome per
//! event.
//!
//! The batch is cut at `max_batch_bytes` / `max_batch_events`, and a 413
//! halves a request until it fits ([`crate::sink::http::split`]; a single
//! document that still does not fit is dead-lettered). After a
//! whole-request failure (429, 5xx, 401, no answer) the rest of the batch
//! is not sent in this attempt; it gets the same class
//! ([`crate::sink::http::not_sent`]) so the pipeline backs off instead of
//! hammering.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use super::classify::{self, Items};
use super::ElasticsearchSink;
use crate::event::Event;
use crate::sink::http::split::{self, TooLarge};
use crate::sink::http::{self, Verdict};
use crate::sink::{Outcome, SendReport};

/// One encoded document: which event, and where its two lines are.
struct Doc {
    event: usize,
    bytes: Range<usize>,
}

impl ElasticsearchSink {
    /// One [`Sink::send`](crate::sink::Sink::send): one outcome per event,
    /// in order.
    pub(crate) async fn deliver(&self, events: &[Arc<Event>]) -> SendReport {
        let mut outcomes: Vec<Option<Outcome>> = vec![None; events.len()];
        let mut buf = Vec::with_capacity(events.iter().map(|e| e.json.len() + 160).sum());
        let mut docs = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            let start = buf.len();
            match self.encoder.encode(e, &mut buf) {
                Ok(()) => docs.push(Doc {
                    event: i,
                    bytes: start..buf.len(),
                }),
                Err(err) => {
                    tracing::warn!(sink = %self.name, id = e.id(), error = %err, "event cannot be sent; dead-lettering it");
                    outcomes[i] = Some(Outcome::Rejected {
                        reason: err.to_string(),
                        status: None,
                    });
                }
            }
        }
        // Consecutive documents within both batch caps (a document larger
        // than `max_batch_bytes` goes alone).
        let sizes = docs.iter().map(|d| d.bytes.len());
        let mut queue: VecDeque<Range<usize>> =
            split::by_caps(sizes, self.max_batch_bytes, self.max_batch_events).into();
        let mut skip: Option<Outcome> = None;
        let mut retry_after: Option<Duration> = None;
        while let Some(range) = queue.pop_front() {
            let chunk = &docs[range.clone()];
            if let Some(o) = &skip {
                for d in chunk {
                    outcomes[d.event] = Some(o.clone());
                }
                continue;
            }
            let (verdict, wait) = self.request(&buf, chunk, events).await;
            retry_after = retry_after.max(wait);
            match verdict {
                Verdict::TooLarge(_) => match split::too_large(range) {
                    TooLarge::Halves(first, second) => {
                        self.counters.splits.fetch_add(1, Relaxed);
                        queue.push_front(second);
                        queue.push_front(first);
                    }
                    TooLarge::Alone(_) => {
                        let d = &chunk[0];
                        outcomes[d.event] = Some(Outcome::Rejected {
                            reason: format!(
                                "HTTP 413: the document alone ({} bytes) is larger than the server accepts (http.max_content_length)",
                                d.bytes.len()
                            ),
                            status: Some("413".to_owned()),
                        });
                    }
                },
                Verdict::All(o) => {
                    skip = http::not_sent(&o);
                    for d in chunk {
                        outcomes[d.event] = Some(o.clone());
                    }
                }
                Verdict::Protocol(items) => {
                    self.counters
                        .duplicates
                        .fetch_add(items.duplicates as u64, Relaxed);
                    self.counters
                        .failure_store
                        .fetch_add(items.failure_store as u64, Relaxed);
                    if items.failure_store > 0 {
                        tracing::warn!(sink = %self.name, documents = items.failure_store, "stored in the data stream's failure store");
                    }
                    for (d, o) in chunk.iter().zip(items.outcomes) {
                        outcomes[d.event] = Some(o);
                    }
                }
            }
        }
        SendReport {
            outcomes: outcomes
                .into_iter()
                .map(|o| o.expect("every event got an outcome"))
                .collect(),
            retry_after,
        }
    }

    /// One `_bulk` request for `chunk`, classified.
    async fn request(
        &self,
        buf: &[u8],
        chunk: &[Doc],
        events: &[Arc<Event>],
    ) -> (Verdict<Items>, Option<Duration>) {
        // A chunk is normally one run of `buf` (documents are encoded in
        // order, and a 413 half of a run is a run): then it is sent as it
        // lies, without a copy.
        let joined;
        let body: &[u8] = match (chunk.first(), chunk.last()) {
            (Some(a), Some(z)) if chunk.windows(2).all(|w| w[0].bytes.end == w[1].bytes.start) => {
                &buf[a.bytes.start..z.bytes.end]
            }
            _ => {
                let mut v = Vec::with_capacity(chunk.iter().map(|d| d.bytes.len()).sum());
                for d in chunk {
                    v.extend_from_slice(&buf[d.bytes.clone()]);
                }
                joined = v;
                &joined
            }
        };
        let ids: Vec<&str> = chunk.iter().map(|d| events[d.event].id()).collect();
        self.counters.requests.fetch_add(1, Relaxed);
        self.counters
            .documents
            .fetch_add(chunk.len() as u64, Relaxed);
        let (verdict, wait) = match self.transport.bulk(body).await {
            Ok(reply) => {
                let v = classify::classify(reply.status, &reply.body, &ids, self.encoder.op());
                (v, reply.retry_after)
            }
            Err(f) => (Verdict::All(f.outcome()), None),
        };
        match &verdict {
            Verdict::All(Outcome::Ambiguous(m)) => {
                self.counters.ambiguous.fetch_add(1, Relaxed);
                tracing::error!(sink = %self.name, documents = chunk.len(), reason = %m, "ambiguous bulk answer; the batch will be resent (ids keep it free of duplicates)");
            }
            Verdict::All(Outcome::Misconfigured(m)) => {
                tracing::error!(sink = %self.name, reason = %m, "bulk request refused: the sink needs attention");
            }
            Verdict::All(Outcome::Retryable(m)) => {
                tracing::warn!(sink = %self.name, documents = chunk.len(), reason = %m, "bulk request failed; will retry");
            }
            _ => {}
        }
        (verdict, wait)
    }
}
