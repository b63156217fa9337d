//! The `syslog` sink: RFC 5424, RFC 3164, CEF or LEEF messages over TCP,
//! TLS or UDP.
//!
//! | file | concept |
//! |---|---|
//! | `config` | keys, defaults, checks |
//! | `encode` (`header`, `cef`, `leef`, `fields`) | one event → one message within `max_message_bytes` |
//! | `truncate` | shrinking an event's JSON on character boundaries, recording what was cut |
//! | `frame` | octet counting or LF framing |
//! | `send` | one batch at a time: connect, resend the window, write; what a batch then waits for |
//! | `settle` | when a TCP/TLS batch counts as delivered |
//! | `relp` | the RELP client: commands, answers, window |
//! | `io` | the byte stream under TCP/TLS and RELP connections, and the one write path (whole, flushed, by a deadline) |
//! | `transport` | TCP/TLS/UDP/RELP connections, their watcher task, reconnect backoff |
//! | `window` | settled messages resent after a reconnect (`resend_window_bytes`) |
//! | `classify` | failures → outcome classes |
//!
//! # Delivery
//!
//! A batch is `Accepted` once it is written and flushed to the socket and
//! the receiver had not closed the connection meanwhile. That is not proof
//! of arrival (plain TCP has no acknowledgement the sender can see), so
//! the last `resend_window_bytes` of accepted messages are written again
//! after any reconnect: duplicates instead of loss. What can still be lost
//! is spelled out in `DESIGN.md` §5 and `docs/syslog.md`. UDP is
//! fire-and-forget: accepted when handed to the kernel.

mod cef;
mod classify;
mod config;
mod encode;
mod fields;
mod frame;
mod header;
mod io;
mod leef;
mod relp;
mod send;
mod settle;
mod transport;
mod truncate;
mod window;

use std::ops::Range;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;

pub use config::{
    AddressError, Facility, Format, Framing, HeaderFieldError, Protocol, SdIdError, SyslogConfig,
};
pub use encode::Encoder;

use super::{HealthError, Outcome, SendReport, Sink, SinkError};
use crate::event::Event;
use send::{Delivery, Link, Session};

/// Sends events to a syslog receiver.
pub struct SyslogSink {
    name: String,
    encoder: Encoder,
    framing: Option<config::Framing>,
    link: Link,
    session: tokio::sync::Mutex<Session>,
}

/// A copy of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub connects: u64,
    pub resent_messages: u64,
    pub truncated_events: u64,
    pub too_large_events: u64,
    pub window_messages: u64,
    pub window_bytes: u64,
    pub unsettled_messages: u64,
}

impl SyslogSink {
    /// Reads TLS files; does not connect (the first batch does).
    pub fn new(config: &SyslogConfig, name: String) -> Result<SyslogSink, SinkError> {
        let connector = transport::Connector::new(config, &name)?;
        let hostname = machine_hostname();
        Ok(SyslogSink {
            encoder: Encoder::new(config, &hostname),
            framing: matches!(config.protocol, Protocol::Tcp | Protocol::Tls)
                .then(|| config.framing()),
            link: Link {
                sink: name.clone(),
                address: config.address.clone(),
                protocol: config.protocol,
                connector,
                write_timeout: Duration::from_secs(config.write_timeout_secs),
                settle: Duration::from_millis(config.settle_ms),
                close_budget: Duration::from_secs(
                    config.connect_timeout_secs + 2 * config.write_timeout_secs,
                ),
                window: std::sync::Mutex::new(window::Window::new(config.resend_window_bytes)),
                stats: Default::default(),
            },
            session: tokio::sync::Mutex::new(Session::new(transport::Backoff::new(
                Duration::from_millis(config.reconnect_backoff_min_ms),
                Duration::from_millis(config.reconnect_backoff_max_ms),
            ))),
            name,
        })
    }

    /// The encoder in use (what each event looks like on the wire).
    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    pub fn stats(&self) -> Stats {
        let s = &self.link.stats;
        Stats {
            connects: s.connects.load(Relaxed),
            resent_messages: s.resent_messages.load(Relaxed),
            truncated_events: s.truncated_events.load(Relaxed),
            too_large_events: s.too_large_events.load(Relaxed),
            window_messages: s.window_messages.load(Relaxed),
            window_bytes: s.window_bytes.load(Relaxed),
            unsettled_messages: s.unsettled_messages.load(Relaxed),
        }
    }

    /// Encodes and frames `events`: the wire bytes, each sent event's
    /// index and frame, and the outcomes so far (rejections).
    fn build(&self, events: &[Arc<Event>]) -> (Bytes, Vec<usize>, Vec<Range<usize>>, Vec<Outcome>) {
        let mut outcomes = vec![Outcome::Accepted; events.len()];
        // The head (RFC 5424 structured data, CEF/LEEF fields) is 300–800
        // bytes: room for 1 KiB each, so the buffer never grows (a grown
        // buffer is copied whole; it cost ≈ 3,000 instructions per event).
        let mut wire = Vec::with_capacity(events.iter().map(|e| e.json.len() + 1024).sum());
        let (mut sent, mut frames) = (Vec::new(), Vec::new());
        let mut head = String::with_capacity(1024);
        for (i, event) in events.iter().enumerate() {
            let start = wire.len();
            match (self.encoder).encode_into(event, &mut head, &mut wire, self.framing) {
                Ok(cut) => {
                    if !cut.is_empty() {
                        self.link.stats.truncated_events.fetch_add(1, Relaxed);
                        tracing::debug!(message = "Cut fields to fit max_message_bytes.", sink = %self.name, id = %event.id(), fields = ?cut);
                    }
                    sent.push(i);
                    frames.push(start..wire.len());
                }
                Err(e) => {
                    self.link.stats.too_large_events.fetch_add(1, Relaxed);
                    outcomes[i] = Outcome::Rejected {
                        reason: e.to_string(),
                        status: Some("message_too_large".to_owned()),
                    };
                }
            }
        }
        (Bytes::from(wire), sent, frames, outcomes)
    }
}

impl SyslogSink {
    /// RELP: each message's outcome is the receiver's answer, awaited
    /// (in order, they come in order) up to `write_timeout_secs`.
    async fn answered(
        &self,
        answers: Vec<tokio::sync::oneshot::Receiver<relp::Rsp>>,
        sent: &[usize],
        outcomes: &mut [Outcome],
    ) {
        let limit = self.link.write_timeout;
        let deadline = tokio::time::Instant::now() + limit;
        let mut unanswered = 0u64;
        for (rx, &i) in answers.into_iter().zip(sent) {
            outcomes[i] = match tokio::time::timeout_at(deadline, rx).await {
                Ok(Ok(Ok(()))) => Outcome::Accepted,
                Ok(Ok(Err(refused))) => {
                    Outcome::Retryable(format!("the RELP receiver answered {refused}"))
                }
                Ok(Err(_)) => {
                    unanswered += 1;
                    Outcome::Ambiguous(
                        "the RELP connection ended before the receiver answered".to_owned(),
                    )
                }
                Err(_) => {
                    unanswered += 1;
                    Outcome::Ambiguous(format!("no RELP answer within {limit:?}"))
                }
            };
        }
        if unanswered > 0 {
            let stats = &self.link.stats;
            stats.unsettled_messages.fetch_add(unanswered, Relaxed);
            tracing::warn!(message = "RELP messages not acknowledged; the pipeline resends them.", sink = %self.name, messages = unanswered);
        }
    }
}

impl Sink for SyslogSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(&'a self, events: &'a [Arc<Event>]) -> BoxFuture<'a, SendReport> {
        Box::pin(async move {
            let (wire, sent, frames, mut outcomes) = self.build(events);
            if !frames.is_empty() {
                // The lock covers the write only: batches settle in parallel.
                let delivery = self
                    .session
                    .lock()
                    .await
                    .deliver(&self.link, &wire, &frames)
                    .await;
                match delivery {
                    Delivery::Sent => {}
                    Delivery::Failed { delivered, failure } => {
                        for &i in &sent[delivered..] {
                            outcomes[i] = failure.clone();
                        }
                    }
                    Delivery::Commands(answers) => {
                        self.answered(answers, &sent, &mut outcomes).await;
                    }
                    Delivery::Written(ticket) => {
                        let link = &self.link;
                        match ticket.settled(link.settle, link.write_timeout).await {
                            Ok(()) => link.settled(&wire, &frames),
                            Err(why) => {
                                let n = sent.len();
                                link.stats.unsettled_messages.fetch_add(n as u64, Relaxed);
                                tracing::warn!(message = "Syslog batch not settled; the pipeline resends it.", sink = %self.name, messages = n, reason = %why);
                                let why = why.to_string();
                                for &i in &sent {
                                    outcomes[i] = Outcome::Ambiguous(why.clone());
                                }
                            }
                        }
                    }
                }
            }
            SendReport {
                outcomes,
                retry_after: None,
            }
        })
    }

    /// Opens a connection (TLS handshake included) and closes it.
    fn healthcheck(&self) -> BoxFuture<'_, Result<(), HealthError>> {
        Box::pin(async move {
            match self.link.connector.connect().await {
                Ok(transport::Conn::Stream(mut s)) => {
                    let _ = s.close(self.link.write_timeout).await;
                    Ok(())
                }
                Ok(transport::Conn::Udp(_)) => Ok(()),
                Ok(transport::Conn::Relp(mut c)) => {
                    let _ = c.close(self.link.write_timeout).await;
                    Ok(())
                }
                Err(classify::ConnectError::Retryable(m)) => Err(HealthError::Unreachable(m)),
                Err(classify::ConnectError::Misconfigured(m)) => Err(HealthError::Misconfigured(m)),
            }
        })
    }

    /// Closes gracefully so the receiver confirms it read everything;
    /// otherwise resends the window once. Logs what stays unconfirmed.
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let mut session = self.session.lock().await;
            // Bounded, so a receiver that is down cannot hold up shutdown.
            let budget = self.link.close_budget;
            let unconfirmed = match tokio::time::timeout(budget, session.close(&self.link)).await {
                Ok(n) => n,
                Err(_) => self.link.unconfirmed(),
            };
            if unconfirmed > 0 {
                tracing::error!(
                    message = "Closed with syslog messages the receiver may not have read.",
                    sink = %self.name, messages = unconfirmed
                );
            }
        })
    }
}

/// The machine's host name for HOSTNAME, or empty (sent as `-`).
fn machine_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz;
