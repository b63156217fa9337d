//! The `splunk_hec` sink: Splunk's HTTP Event Collector, `/event`
//! endpoint, with optional indexer acknowledgement.
//!
//! | file | concept |
//! |---|---|
//! | `config` | the TOML keys and their checks |
//! | `encode` | envelope per event, stacked bodies, gzip (requests are cut at the caps by `http::split::by_caps`) |
//! | `send` | one `send`: requests, code-6 isolation, 413 splits |
//! | `classify` | status + body → `http::Verdict` (`docs/sinks.md` §1.5) |
//! | `transport` | the `/event`, `/ack` and `/health` requests over the shared client |
//! | `ack` | indexer acknowledgement polling, timeouts, backpressure |
//! | `channel` | the channel GUID and its rotation |
//!
//! The sink classifies; retrying and dead-lettering are the pipeline's.
//! An event is `Accepted` only when HEC answered code 0 for its request
//! and, with acknowledgements on, its ackId was reported `true`.

mod ack;
mod channel;
mod classify;
mod config;
mod encode;
mod send;
mod transport;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use futures::future::BoxFuture;

pub use config::{Compression, SplunkHecConfig};
/// Public for `benches/splunk_hec.rs` (envelope encoding alone).
pub use encode::{EncodeError, Encoder};

use super::{HealthError, SendReport, Sink, SinkError};
use crate::event::Event;
use ack::Acks;
use channel::Channel;
use transport::Transport;

/// Counters kept by the sink (logs and tests read them through
/// [`SplunkHecSink::stats`]).
#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    /// Requests that broke off after sending (reset, timeout).
    ambiguous: AtomicU64,
    /// Events resent although Splunk may already have indexed them.
    possible_duplicates: AtomicU64,
    ack_timeouts: AtomicU64,
    channel_rotations: AtomicU64,
    /// Acks were asked for but the token does not do them.
    acks_fallback: AtomicBool,
}

/// A snapshot of the sink's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// `/event` requests sent.
    pub requests: u64,
    /// Requests that broke off after sending (reset, timeout).
    pub ambiguous: u64,
    /// Events resent although Splunk may already have indexed them.
    pub possible_duplicates: u64,
    /// ackIds given up after `ack_timeout_ms`.
    pub ack_timeouts: u64,
    /// Channels replaced because Splunk forgot them.
    pub channel_rotations: u64,
    /// Acks were asked for but the token does not do them.
    pub acks_fallback: bool,
}

/// What one `send` needs, shared with the ack poller.
struct Core {
    transport: Arc<Transport>,
    channel: Arc<Channel>,
    acks: Option<Arc<Acks>>,
    encoder: Encoder,
    compression: Compression,
    max_batch_bytes: usize,
    max_batch_events: usize,
    counters: Arc<Counters>,
}

impl Core {
    fn rotate_channel(&self, generation: u64, why: &str) {
        match &self.acks {
            Some(a) => a.rotate_channel(generation, why),
            None => {
                if self.channel.rotate(generation) {
                    self.counters
                        .channel_rotations
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Sends events to Splunk HEC.
pub struct SplunkHecSink {
    name: String,
    core: Core,
}

impl SplunkHecSink {
    /// Builds the sink; reads the token and TLS files, no network.
    pub fn new(c: &SplunkHecConfig, name: String) -> Result<SplunkHecSink, SinkError> {
        let token = c.resolve_token().map_err(|p| p.for_sink(&name))?;
        let transport = Arc::new(Transport::new(c, &name, &token)?);
        let channel = Arc::new(Channel::default());
        let counters = Arc::new(Counters::default());
        let acks = c.acknowledgements.then(|| {
            Arc::new(Acks::new(
                transport.clone(),
                channel.clone(),
                counters.clone(),
                c.ack_timeout(),
                c.ack_poll_interval(),
                c.max_pending_acks,
            ))
        });
        Ok(SplunkHecSink {
            core: Core {
                transport,
                channel,
                acks,
                encoder: Encoder::new(c),
                compression: c.compression,
                max_batch_bytes: c.max_batch_bytes,
                max_batch_events: c.max_batch_events,
                counters,
            },
            name,
        })
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        let c = &self.core.counters;
        Stats {
            requests: c.requests.load(Ordering::Relaxed),
            ambiguous: c.ambiguous.load(Ordering::Relaxed),
            possible_duplicates: c.possible_duplicates.load(Ordering::Relaxed),
            ack_timeouts: c.ack_timeouts.load(Ordering::Relaxed),
            channel_rotations: c.channel_rotations.load(Ordering::Relaxed),
            acks_fallback: c.acks_fallback.load(Ordering::Relaxed),
        }
    }

    /// The channel GUID requests carry now.
    pub fn channel(&self) -> String {
        self.core.channel.current().0
    }
}

impl Sink for SplunkHecSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(&'a self, events: &'a [Arc<Event>]) -> BoxFuture<'a, SendReport> {
        Box::pin(send::send(&self.core, events))
    }

    /// `GET /services/collector/health`: for `validate` and readiness only.
    fn healthcheck(&self) -> BoxFuture<'_, Result<(), HealthError>> {
        Box::pin(async move {
            match self.core.transport.get_health().await {
                Ok(a) => classify::health_response(a.status, &a.body),
                Err(f) => Err(f.health(format!("Splunk HEC health: {f}"))),
            }
        })
    }
}
