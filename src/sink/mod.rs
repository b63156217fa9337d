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
//! Five outcome classes (`docs/sinks.md` §0.3):
//!
//! | class | meaning | pipeline does |
//! |---|---|---|
//! | `Accepted` | the destination has it | counts it delivered |
//! | `Retryable` | temporary (429, 5xx, timeout, connection refused) | resends that event, with backoff, forever |
//! | `Rejected` | this event can never be accepted (mapping error, invalid event) | writes it to the dead-letter store |
//! | `Misconfigured` | the sink is wrong, not the event (401/403, bad index) | pauses the sink, reports unhealthy, resends later; never dead-letters |
//! | `Ambiguous` | sent, but no clear answer | resends (duplicates possible) |
//!
//! 501 Not Implemented is `Misconfigured`, decided once for every HTTP
//! sink in `sink::http` (the one status table); the other 5xx are
//! `Retryable`.
//!
//! # Writing a new sink: the template
//!
//! Copy the folder of the closest sink and rename. For an HTTP API (a
//! `webhook`, say) copy `elasticsearch/` and delete `target.rs` and
//! `template.rs`; `splunk_hec/` is the example of protocol extras
//! (`ack.rs`, `channel.rs`); `syslog/` of a non-HTTP `transport`. Every
//! sink folder has the same parts with the same names, and leaves out
//! the ones its protocol does not need:
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | the module doc (file table, delivery rule); `XSink`; `Counters` (private atomics) and `Stats` (the public snapshot `stats()` returns); `new`; `impl Sink`. Glue only |
//! | `config.rs` | `XConfig`: serde, `deny_unknown_fields`, `name: Option<String>`, defaults, and `check() -> Vec<(String, String)>`, every problem found without network as `(key, message)` |
//! | `encode.rs` | one event → its bytes on the wire; pure. What can never be sent is refused here with a typed error, and becomes `Rejected` without costing a request |
//! | `send.rs` | one [`Sink::send`]: cut the batch at the sink's caps, send, apply the 413 rule (`http::split`), give the rest of the batch `http::not_sent` after a whole-request failure |
//! | `classify.rs` | answer → outcome; pure, and **the only place outcome classes are decided**. HTTP sinks start from `http::status::class` and return `http::Verdict`; they may refine a class from the body, never decide a status differently |
//! | `transport.rs` | the connection: the sink's endpoints over `http::client` and `http::exchange` (transport failures: `http::Failure::outcome`), or TCP/TLS/UDP for syslog |
//! | protocol extras | concepts with no counterpart elsewhere: `ack`, `channel` (HEC), `target`, `template` (Elasticsearch), `frame`, `truncate` (syslog) |
//!
//! A sink small enough for one file (`file.rs`, `stdout.rs`) keeps the
//! same order inside it: config, sink type, `new`, `impl Sink`.
//!
//! Shapes every sink keeps:
//!
//! - **Constructor**: `pub fn new(config: &XConfig, name: String) ->
//!   Result<XSink, SinkError>`. It reads files (secrets, certificates),
//!   never the network; each failure is a [`SinkError`] variant that keeps
//!   its cause and says what to change (no message-only catch-all).
//!   No `Result<_, String>`: config helpers (`url`, `target`, `auth`,
//!   secrets) return a [`ConfigProblem`] naming the key, `encode` a typed
//!   `EncodeError` whose text becomes the `Rejected` reason.
//! - **Trait methods**: `name`; `send` (one attempt, one outcome per event,
//!   in order; `retry_after` from the server); `healthcheck` (for
//!   `validate` and `/ready`, never a gate on sending); `close` when
//!   something must be flushed.
//! - **Visibility**: submodules are private (`mod send;`), items inside
//!   `pub(crate)` when a sibling needs them. The public surface is
//!   re-exported from `mod.rs`: `XSink`, `XConfig` and its enums, `Stats`,
//!   and `Encoder` when a bench measures it.
//! - **Counters**: `Counters` are the private atomics, `Stats` the `Copy`
//!   snapshot `stats()` returns.
//! - **Unit tests**: `foo.rs` ends with `#[cfg(test)] mod tests;` and the
//!   tests live in `foo/tests.rs` (`use super::*;`). Write at least
//!   `classify/tests.rs` (one case per row of the protocol's status table
//!   in `docs/sinks.md`), `config/tests.rs` (defaults, every problem
//!   names its key, unknown keys refused) and `encode/tests.rs` (the wire
//!   format, what is refused).
//! - **Integration tests**: `tests/integration/<sink>/`, against a fake
//!   server from `tests/integration/support/`: all accepted; 429/5xx
//!   retried with `Retry-After`; 401/403 misconfigured and nothing
//!   dead-lettered; 413 split and a lone oversize event rejected; a bad
//!   event rejected alone; a timeout ambiguous; a TLS failure
//!   misconfigured; one run through the pipeline.
//! - **Registration**: `pub mod x;` below; a variant in [`SinkConfig`]
//!   (boxed when the config is large) and its arms in `name`, `check` and
//!   `build`; an example in `config.example.toml`; `docs/<sink>.md`.

pub mod elasticsearch;
mod error;
pub mod file;
pub(crate) mod http;
pub mod splunk_hec;
pub mod stdout;
pub mod syslog;
pub mod webhook;

pub use error::{ConfigProblem, HealthError, SinkError};

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;

use crate::event::Event;

/// What happened to one event in one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The destination has it.
    Accepted,
    /// Temporary: resend with backoff.
    Retryable(String),
    /// Never acceptable: dead-letter it with this reason and status.
    Rejected {
        reason: String,
        status: Option<String>,
    },
    /// The sink is wrong, not the event: pause, resend later, never
    /// dead-letter.
    Misconfigured(String),
    /// Sent, but no clear answer: resend (duplicates possible).
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

    /// Every event accepted.
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
    fn healthcheck(&self) -> BoxFuture<'_, Result<(), HealthError>> {
        Box::pin(async { Ok(()) })
    }

    /// A sink for alerts only (a webhook into an alerting tool): the
    /// pipeline sends it the detector's alerts and never audit events.
    fn alerts_only(&self) -> bool {
        false
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
    /// Alerts only (`Sink::alerts_only`).
    Webhook(Box<webhook::WebhookConfig>),
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
            SinkConfig::Webhook(c) => c.name.as_deref().unwrap_or("webhook"),
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
            SinkConfig::Webhook(c) => c.check(),
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
            SinkConfig::Syslog(c) => Arc::new(syslog::SyslogSink::new(c, name)?),
            SinkConfig::SplunkHec(c) => Arc::new(splunk_hec::SplunkHecSink::new(c, name)?),
            SinkConfig::Webhook(c) => Arc::new(webhook::WebhookSink::new(c, name)?),
        })
    }
}
