//! The `elasticsearch` sink: `_bulk` to Elasticsearch or OpenSearch,
//! idempotent on the event id (`docs/sinks.md` §2, checklist §6.3).
//!
//! Every event becomes a `create` with `_id` = the CloudEvents `id`, into
//! an index named from the event time. A replay, a retry after a timeout,
//! or a resend after a partial failure therefore never stores an event
//! twice: the server answers 409 for ids it has, and 409 on `create`
//! counts as delivered.
//!
//! | file | concept |
//! |---|---|
//! | `config` | the `[[sinks]]` keys, defaults, offline checks, auth header |
//! | `target` | index pattern on event time, or a data stream |
//! | `encode` | events → NDJSON action + source lines; ECS; gzip |
//! | `client` | one HTTP request: URL, query parameters, auth, TLS |
//! | `classify` | response → one outcome per document |
//! | `template` | the index template shipped in `assets/elasticsearch/` |
//!
//! One [`Sink::send`] may make several requests: the batch is cut at
//! `max_batch_bytes` / `max_batch_events`, and a 413 halves a request
//! until it fits (a single document that still does not fit is
//! dead-lettered). After a whole-request failure (429, 5xx, 401, no
//! answer) the rest of the batch is not sent in this attempt; it gets the
//! same class so the pipeline backs off instead of hammering.

pub mod classify;
pub mod client;
pub mod config;
pub mod encode;
pub mod target;
pub mod template;

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

pub use config::{Action, Compression, ElasticsearchConfig, Flavor};

use super::{Outcome, SendReport, Sink, SinkError};
use crate::event::Event;
use classify::Verdict;
use client::{Client, SendError};
use encode::Encoder;

/// Counters a user (or a test) reads to see what the retries hid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// `_bulk` requests answered or attempted.
    pub requests: u64,
    /// Documents sent (a resent document counts again).
    pub documents: u64,
    /// 409 on `create`: the id was already stored (replay or retry).
    pub duplicates: u64,
    /// Accepted into a data stream's failure store, not the stream.
    pub failure_store: u64,
    /// Requests halved after a 413.
    pub splits: u64,
    /// Responses that could not be matched to the request (resent whole).
    pub ambiguous: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    documents: AtomicU64,
    duplicates: AtomicU64,
    failure_store: AtomicU64,
    splits: AtomicU64,
    ambiguous: AtomicU64,
}

/// Sends enriched events to `_bulk`.
pub struct ElasticsearchSink {
    name: String,
    flavor: Flavor,
    client: Client,
    encoder: Encoder,
    max_batch_bytes: usize,
    max_batch_events: usize,
    counters: Counters,
}

/// One encoded document: which event, and where its two lines are.
struct Doc {
    event: usize,
    bytes: Range<usize>,
}

impl ElasticsearchSink {
    /// Builds the sink; reads secret and certificate files, no network.
    pub fn new(name: String, config: &ElasticsearchConfig) -> Result<ElasticsearchSink, SinkError> {
        let build = |message: String| SinkError::Build {
            sink: name.clone(),
            message,
        };
        if let Some((key, msg)) = config.check().into_iter().next() {
            return Err(build(format!("`{key}`: {msg}")));
        }
        let target = config
            .target()
            .map_err(|(k, m)| build(format!("`{k}`: {m}")))?;
        let client = Client::new(config).map_err(build)?;
        Ok(ElasticsearchSink {
            name: name.clone(),
            flavor: config.flavor,
            client,
            encoder: Encoder {
                target,
                action: config.action,
                ecs: config.ecs,
            },
            max_batch_bytes: config.max_batch_bytes,
            max_batch_events: config.max_batch_events,
            counters: Counters::default(),
        })
    }

    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        Stats {
            requests: c.requests.load(Relaxed),
            documents: c.documents.load(Relaxed),
            duplicates: c.duplicates.load(Relaxed),
            failure_store: c.failure_store.load(Relaxed),
            splits: c.splits.load(Relaxed),
            ambiguous: c.ambiguous.load(Relaxed),
        }
    }

    /// The bulk URL with its query string (no credentials in it).
    pub fn bulk_url(&self) -> &str {
        self.client.bulk_url().as_str()
    }

    async fn deliver(&self, events: &[Arc<Event>]) -> SendReport {
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
        let mut queue: VecDeque<Range<usize>> = self.chunks(&docs).collect();
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
                Verdict::TooLarge if chunk.len() > 1 => {
                    self.counters.splits.fetch_add(1, Relaxed);
                    let mid = range.start + chunk.len() / 2;
                    queue.push_front(mid..range.end);
                    queue.push_front(range.start..mid);
                }
                Verdict::TooLarge => {
                    let d = &chunk[0];
                    outcomes[d.event] = Some(Outcome::Rejected {
                        reason: format!(
                            "HTTP 413: the document alone ({} bytes) is larger than the server accepts (http.max_content_length)",
                            d.bytes.len()
                        ),
                        status: Some("413".to_owned()),
                    });
                }
                Verdict::All(o) => {
                    skip = not_sent(&o);
                    for d in chunk {
                        outcomes[d.event] = Some(o.clone());
                    }
                }
                Verdict::Items(items) => {
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

    /// Consecutive documents, each run within both batch caps (a document
    /// larger than `max_batch_bytes` goes alone).
    fn chunks<'a>(&self, docs: &'a [Doc]) -> impl Iterator<Item = Range<usize>> + 'a {
        let (max_bytes, max_events) = (self.max_batch_bytes, self.max_batch_events);
        let mut start = 0;
        std::iter::from_fn(move || {
            if start >= docs.len() {
                return None;
            }
            let mut end = start;
            let mut bytes = 0;
            while end < docs.len() && end - start < max_events {
                let len = docs[end].bytes.len();
                if end > start && bytes + len > max_bytes {
                    break;
                }
                bytes += len;
                end += 1;
            }
            let r = start..end;
            start = end;
            Some(r)
        })
    }

    /// One `_bulk` request for `chunk`, classified.
    async fn request(
        &self,
        buf: &[u8],
        chunk: &[Doc],
        events: &[Arc<Event>],
    ) -> (Verdict, Option<Duration>) {
        let mut body = Vec::with_capacity(chunk.iter().map(|d| d.bytes.len()).sum());
        for d in chunk {
            body.extend_from_slice(&buf[d.bytes.clone()]);
        }
        let ids: Vec<&str> = chunk.iter().map(|d| events[d.event].id()).collect();
        self.counters.requests.fetch_add(1, Relaxed);
        self.counters
            .documents
            .fetch_add(chunk.len() as u64, Relaxed);
        let (verdict, wait) = match self.client.bulk(&body).await {
            Ok(reply) => {
                let v = classify::classify(reply.status, &reply.body, &ids, self.encoder.op());
                (v, reply.retry_after)
            }
            Err(SendError::NotSent(m)) => (Verdict::All(Outcome::Retryable(m)), None),
            Err(e @ SendError::Tls(_)) => {
                (Verdict::All(Outcome::Misconfigured(e.to_string())), None)
            }
            Err(SendError::Unknown(m)) => (Verdict::All(Outcome::Ambiguous(m)), None),
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

/// The outcome for the documents after a whole request failed, which this
/// attempt does not send.
fn not_sent(o: &Outcome) -> Option<Outcome> {
    match o {
        Outcome::Accepted | Outcome::Rejected { .. } => None,
        Outcome::Misconfigured(m) => Some(Outcome::Misconfigured(format!("not sent: {m}"))),
        Outcome::Retryable(m) | Outcome::Ambiguous(m) => Some(Outcome::Retryable(format!(
            "not sent after an earlier request of the batch failed: {m}"
        ))),
    }
}

impl Sink for ElasticsearchSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(&'a self, events: &'a [Arc<Event>]) -> BoxFuture<'a, SendReport> {
        Box::pin(self.deliver(events))
    }

    /// `GET /`: reachable and credentials accepted. An OpenSearch server
    /// under `flavor = "elasticsearch"` is reported too: Elasticsearch-only
    /// parameters would fail every request. (The other way round is
    /// harmless, and Amazon's compatibility mode can hide the
    /// distribution, so it is not reported.)
    fn healthcheck(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let reply = self.client.root().await.map_err(|e| e.to_string())?;
            if reply.status != 200 {
                return Err(format!("GET / answered HTTP {}", reply.status));
            }
            let v: serde_json::Value = serde_json::from_slice(&reply.body)
                .map_err(|e| format!("GET / is not JSON: {e}"))?;
            if self.flavor == Flavor::Elasticsearch && v["version"]["distribution"] == "opensearch"
            {
                return Err("the server is OpenSearch: set flavor = \"opensearch\"".into());
            }
            Ok(())
        })
    }
}
