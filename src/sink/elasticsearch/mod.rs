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
//! | `encode` | events → NDJSON action + source lines; ECS; gzip |
//! | `send` | one `send`: batch caps, requests, 413 splits, skipping after a failure |
//! | `classify` | response → `http::Verdict`, one outcome per document |
//! | `transport` | `POST _bulk` and `GET /` over the shared client: URL, query parameters, auth |
//! | `target` | index pattern on event time, or a data stream |
//! | [`template`] | the index template shipped in `assets/elasticsearch/` (public: `siem-bridge es-template`) |

mod classify;
mod config;
mod encode;
mod send;
mod target;
pub mod template;
mod transport;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use futures::future::BoxFuture;

pub use config::{Action, Compression, ElasticsearchConfig, Flavor};
/// Public for `benches/es_bulk.rs` (encoding alone).
pub use encode::{EncodeError, Encoder};
pub use target::{IndexPattern, NameError, Target};

use super::{HealthError, SendReport, Sink, SinkError};
use crate::event::Event;
use transport::Transport;

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
    transport: Transport,
    encoder: Encoder,
    max_batch_bytes: usize,
    max_batch_events: usize,
    counters: Counters,
}

impl ElasticsearchSink {
    /// Builds the sink; reads secret and certificate files, no network.
    pub fn new(config: &ElasticsearchConfig, name: String) -> Result<ElasticsearchSink, SinkError> {
        SinkError::first_problem(&name, config.check())?;
        let target = config.target().map_err(|p| p.for_sink(&name))?;
        let transport = Transport::new(config, &name)?;
        Ok(ElasticsearchSink {
            name,
            flavor: config.flavor,
            transport,
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

    /// A snapshot of the counters.
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
        self.transport.bulk_url().as_str()
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
    fn healthcheck(&self) -> BoxFuture<'_, Result<(), HealthError>> {
        Box::pin(async move {
            let reply = self
                .transport
                .root()
                .await
                .map_err(|e| e.health(e.to_string()))?;
            if reply.status != 200 {
                return Err(HealthError::Unhealthy {
                    status: reply.status,
                    message: format!("GET / answered HTTP {}", reply.status),
                });
            }
            let v: serde_json::Value = serde_json::from_slice(&reply.body)
                .map_err(|e| HealthError::Misconfigured(format!("GET / is not JSON: {e}")))?;
            if self.flavor == Flavor::Elasticsearch && v["version"]["distribution"] == "opensearch"
            {
                return Err(HealthError::OpenSearchFlavor);
            }
            Ok(())
        })
    }
}
