//! The `webhook` sink: detection alerts to an alerting tool, one JSON
//! POST per alert (`docs/webhook.md`).
//!
//! It receives alerts only ([`Sink::alerts_only`]): the pipeline never
//! sends it audit events, and an event that is not an alert is rejected.
//! `format = "generic"` POSTs the alert object; `format = "pagerduty"` a
//! PagerDuty Events API v2 `trigger` whose `dedup_key` is the alert id,
//! so a resend (after a timeout, a restart, the closed version of an
//! alert) lands on the same PagerDuty alert instead of paging again.
//!
//! | file | concept |
//! |---|---|
//! | `config` | the `[[sinks]]` keys, defaults, offline checks, secrets |
//! | `encode` | alert event → generic or PagerDuty body; severity mapping, summary cap |
//! | `send` | one `send`: a POST per alert, skipping the rest after a failure |
//! | `classify` | answer → `http::Verdict` for the alert (PagerDuty 400 refined) |
//! | `transport` | `POST {url}` over the shared client: headers, TLS |

mod classify;
mod config;
mod encode;
mod send;
mod transport;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use futures::future::BoxFuture;

pub use config::{Format, Link, WebhookConfig, PAGERDUTY_URL};
pub use encode::{pagerduty_severity, EncodeError, Encoder};

use super::{SendReport, Sink, SinkError};
use crate::event::Event;
use crate::secret::Secret;
use transport::Transport;

/// Counters a user (or a test) reads to see what the retries hid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// POSTs answered or attempted.
    pub requests: u64,
    /// Alerts the receiver accepted.
    pub accepted: u64,
    /// Alerts rejected (never sendable, or refused alone).
    pub rejected: u64,
    /// Requests without a clear answer (the alert is resent).
    pub ambiguous: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    accepted: AtomicU64,
    rejected: AtomicU64,
    ambiguous: AtomicU64,
}

/// POSTs detection alerts to a webhook or PagerDuty.
pub struct WebhookSink {
    name: String,
    transport: Transport,
    encoder: Encoder,
    counters: Counters,
}

impl WebhookSink {
    /// Builds the sink; reads secret and certificate files, no network.
    pub fn new(config: &WebhookConfig, name: String) -> Result<WebhookSink, SinkError> {
        SinkError::first_problem(&name, config.check())?;
        let routing_key = match config.format {
            Format::Pagerduty => config.routing_key().map_err(|p| p.for_sink(&name))?,
            Format::Generic => Secret::default(),
        };
        let transport = Transport::new(config, &name)?;
        Ok(WebhookSink {
            name,
            transport,
            encoder: Encoder {
                format: config.format,
                routing_key,
                source: config.source.clone(),
                component: config.component.clone(),
                links: config.links.clone(),
            },
            counters: Counters::default(),
        })
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        Stats {
            requests: c.requests.load(Relaxed),
            accepted: c.accepted.load(Relaxed),
            rejected: c.rejected.load(Relaxed),
            ambiguous: c.ambiguous.load(Relaxed),
        }
    }

    /// The URL alerts go to (no credentials in it).
    pub fn url(&self) -> &str {
        self.transport.url().as_str()
    }
}

impl Sink for WebhookSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(&'a self, events: &'a [Arc<Event>]) -> BoxFuture<'a, SendReport> {
        Box::pin(self.deliver(events))
    }

    /// Alerts only: the pipeline never sends this sink audit events.
    fn alerts_only(&self) -> bool {
        true
    }
}
