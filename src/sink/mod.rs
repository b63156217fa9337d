//! Sinks: where enriched events go.
//!
//! A sink makes **one attempt** per [`Sink::send`] call and reports one
//! [`Outcome`] per event. Deciding *whether* a failure is worth retrying is
//! the sink's job (it knows its protocol); retrying, backing off, dead-
//! lettering and moving offsets are the pipeline's (`pipeline::deliver`).
//! A sink may split the batch it is given into several requests to respect
//! its own size limits; the outcomes still come back one per event, in the
//! order of the input.
//!
//! Five outcome classes (`shared/docs/sinks.md` §0.3):
//!
//! | class | meaning | pipeline does |
//! |---|---|---|
//! | `Accepted` | the destination has it | counts it delivered |
//! | `Retryable` | temporary (429, 5xx, timeout, connection refused) | resends that event, with backoff, forever |
//! | `Rejected` | this event can never be accepted (mapping error, invalid event) | writes it to the dead-letter store |
//! | `Misconfigured` | the sink is wrong, not the event (401/403, bad index) | pauses the sink, reports unhealthy, resends later; never dead-letters |
//! | `Ambiguous` | sent, but no clear answer | resends (duplicates possible) |

pub mod elasticsearch;
mod error;
pub mod file;
pub(crate) mod http;
pub mod splunk_hec;
pub mod stdout;
pub mod syslog;

pub use error::SinkError;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;

use crate::event::Event;

/// What happened to one event in one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Retryable(String),
    /// Never acceptable: dead-letter it with this reason and status.
    Rejected {
        reason: String,
        status: Option<String>,
    },
    Misconfigured(String),
    Ambiguous(String),
}

impl Outcome {
    /// A short label for metrics and logs.
    pub fn class(&self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Retryable(_) => "retryable",
            Outcome::Rejected { .. } => "rejected",
            Outcome::Misconfigured(_) => "misconfigured",
            Outcome::Ambiguous(_) => "ambiguous",
        }
    }

    /// Whether the pipeline is done with the event for this sink.
    pub fn is_final(&self) -> bool {
        matches!(self, Outcome::Accepted | Outcome::Rejected { .. })
    }
}

/// The result of one [`Sink::send`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReport {
    /// One per input event, same order.
    pub outcomes: Vec<Outcome>,
    /// The server asked to wait this long before retrying (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl SendReport {
    /// Every event got the same outcome.
    pub fn all(n: usize, outcome: Outcome) -> SendReport {
        SendReport {
            outcomes: vec![outcome; n],
            retry_after: None,
        }
    }

    pub fn accepted(n: usize) -> SendReport {
        SendReport::all(n, Outcome::Accepted)
    }
}

/// A destination for enriched events. Implementations are cheap to share
/// (`Arc<dyn Sink>`) and safe to call concurrently: the pipeline may have
/// several batches in flight.
pub trait Sink: Send + Sync + 'static {
    /// The configured name (logs, metrics, dead-letter entries).
    fn name(&self) -> &str;

    /// One attempt to deliver `events`; one outcome per event.
    fn send<'a>(&'a self, events: &'a [Arc<Event>]) -> BoxFuture<'a, SendReport>;

    /// Readiness probe for `validate` and `/ready`; never a gate on sending.
    fn healthcheck(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    /// Flush and release resources at shutdown.
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// `[[sinks]]` entries, chosen by `type`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SinkConfig {
    /// Boxed: the largest config by far.
    Elasticsearch(Box<elasticsearch::ElasticsearchConfig>),
    File(file::FileConfig),
    Stdout(stdout::StdoutConfig),
    Syslog(syslog::SyslogConfig),
    SplunkHec(Box<splunk_hec::SplunkHecConfig>),
}

impl SinkConfig {
    /// The sink's name (defaults to its type).
    pub fn name(&self) -> &str {
        match self {
            SinkConfig::Elasticsearch(c) => c.name.as_deref().unwrap_or("elasticsearch"),
            SinkConfig::File(c) => c.name.as_deref().unwrap_or("file"),
            SinkConfig::Stdout(c) => c.name.as_deref().unwrap_or("stdout"),
            SinkConfig::Syslog(c) => c.name.as_deref().unwrap_or("syslog"),
            SinkConfig::SplunkHec(c) => c.name.as_deref().unwrap_or("splunk_hec"),
        }
    }

    /// Problems that can be found without network, as `(key, message)`
    /// with keys relative to the sink's table.
    pub fn check(&self) -> Vec<(String, String)> {
        match self {
            SinkConfig::Elasticsearch(c) => c.check(),
            SinkConfig::File(c) => c.check(),
            SinkConfig::Stdout(_) => Vec::new(),
            SinkConfig::Syslog(c) => c.check(),
            SinkConfig::SplunkHec(c) => c.check(),
        }
    }

    /// Builds the sink. Nothing here blocks on the network.
    pub fn build(&self) -> Result<Arc<dyn Sink>, SinkError> {
        let name = self.name().to_owned();
        Ok(match self {
            SinkConfig::Elasticsearch(c) => {
                Arc::new(elasticsearch::ElasticsearchSink::new(c, name)?)
            }
            SinkConfig::File(c) => Arc::new(file::FileSink::new(c, name)?),
            SinkConfig::Stdout(c) => Arc::new(stdout::StdoutSink::new(c, name)?),
            SinkConfig::Syslog(c) => match syslog::SyslogSink::new(name.clone(), c) {
                Ok(s) => Arc::new(s),
                // Until syslog's constructor returns a `SinkError`: its
                // messages start with the key (`tls: …`, `address: …`).
                Err(m) => {
                    let (key, problem) = m.split_once(": ").unwrap_or(("address", m.as_str()));
                    return Err(SinkError::config(&name, key, problem));
                }
            },
            SinkConfig::SplunkHec(c) => Arc::new(splunk_hec::SplunkHecSink::new(c, name)?),
        })
    }
}
