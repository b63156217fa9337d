//! The delivery state of one sink: the connection, the resend window and
//! the reconnect backoff. One batch at a time goes through it (a syslog
//! stream is one ordered byte stream; interleaving batches buys nothing).

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::classify::PeerEnd;
use super::config::Protocol;
use super::relp::Rsp;
use super::settle::Ticket;
use super::transport::{Backoff, Conn, Connector};
use super::window::Window;
use crate::sink::Outcome;

/// What does not change between batches.
pub struct Link {
    pub sink: String,
    pub address: String,
    pub protocol: Protocol,
    pub connector: Connector,
    pub write_timeout: Duration,
    /// How long an acknowledged batch must stay without a close to settle.
    pub settle: Duration,
    /// The most [`Session::close`] may take (one reconnect and two writes).
    pub close_budget: Duration,
    /// Settled messages written again after a reconnect.
    pub window: Mutex<Window>,
    pub stats: Counters,
}

/// Counters for logs, metrics and tests.
#[derive(Debug, Default)]
pub struct Counters {
    /// Connections opened (the first one included).
    pub connects: AtomicU64,
    /// Messages written a second time after a reconnect: possible duplicates.
    pub resent_messages: AtomicU64,
    /// Events sent with fields cut to fit `max_message_bytes`.
    pub truncated_events: AtomicU64,
    /// Events that could not be made to fit (rejected).
    pub too_large_events: AtomicU64,
    /// Current resend window.
    pub window_messages: AtomicU64,
    pub window_bytes: AtomicU64,
    /// Messages written but reported ambiguous because the connection
    /// ended (or stalled) before they settled: the pipeline resends them.
    pub unsettled_messages: AtomicU64,
}

impl Link {
    /// Settled frames join the resend window.
    pub fn settled(&self, batch: &Bytes, frames: &[Range<usize>]) {
        let mut w = self.window();
        w.keep(batch, frames);
        self.publish(&w);
    }

    /// Messages in the resend window: written, not proven read.
    pub fn unconfirmed(&self) -> usize {
        self.window().len()
    }

    fn publish(&self, w: &Window) {
        self.stats.window_messages.store(w.len() as u64, Relaxed);
        self.stats.window_bytes.store(w.bytes() as u64, Relaxed);
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().expect("window lock")
    }
}

/// What one [`Session::deliver`] did with the frames of a batch, and
/// what each protocol's frames still wait for.
pub(crate) enum Delivery {
    /// UDP: every datagram handed to the kernel; done.
    Sent,
    /// The first `delivered` frames are done (UDP datagrams sent before an
    /// error; 0 when nothing went out); the rest get `failure`.
    Failed { delivered: usize, failure: Outcome },
    /// TCP/TLS: every frame written; done once the ticket says they
    /// settled.
    Written(Ticket),
    /// RELP: every frame sent as a command; each done once the
    /// receiver's answer to it is 200.
    Commands(Vec<oneshot::Receiver<Rsp>>),
}

impl Delivery {
    fn none(failure: Outcome) -> Delivery {
        Delivery::Failed {
            delivered: 0,
            failure,
        }
    }
}

pub struct Session {
    conn: Option<Conn>,
    backoff: Backoff,
}

impl Session {
    pub fn new(backoff: Backoff) -> Session {
        Session {
            conn: None,
            backoff,
        }
    }

    /// One attempt to deliver `frames` (ranges of `batch`).
    pub async fn deliver(
        &mut self,
        link: &Link,
        batch: &Bytes,
        frames: &[Range<usize>],
    ) -> Delivery {
        match link.protocol {
            Protocol::Udp => self.deliver_datagrams(link, batch, frames).await,
            Protocol::Tcp | Protocol::Tls => self.deliver_stream(link, batch).await,
            Protocol::Relp => self.deliver_relp(link, batch, frames).await,
        }
    }

    /// Writes one RELP `syslog` command per frame; the answers come later.
    async fn deliver_relp(
        &mut self,
        link: &Link,
        batch: &Bytes,
        frames: &[Range<usize>],
    ) -> Delivery {
        if let Some(Conn::Relp(c)) = &self.conn {
            if let Some(why) = c.ended() {
                tracing::warn!(message = "RELP connection ended; reconnecting.", sink = %link.sink, reason = %why);
                self.drop_connection();
            }
        }
        if self.conn.is_none() {
            match self.connect(link).await {
                Ok(c) => self.conn = Some(c),
                Err(failure) => return Delivery::none(failure),
            }
        }
        let Some(Conn::Relp(c)) = &mut self.conn else {
            unreachable!("RELP opens RELP connections");
        };
        let messages: Vec<&[u8]> = frames.iter().map(|r| &batch[r.clone()]).collect();
        match c.send(&messages, link.write_timeout).await {
            Ok(answers) => {
                self.backoff.succeeded();
                Delivery::Commands(answers)
            }
            Err(e) => self.write_failed(link, e),
        }
    }

    /// Writes the whole batch; it is done once it settles.
    async fn deliver_stream(&mut self, link: &Link, batch: &Bytes) -> Delivery {
        if let Some(Conn::Stream(s)) = &self.conn {
            if let Some(end) = s.peer_end() {
                tracing::warn!(message = "Syslog receiver ended the connection; reconnecting.", sink = %link.sink, end = ?end);
                self.drop_connection();
            } else if s.doomed() {
                tracing::warn!(message = "Syslog receiver stopped acknowledging; reconnecting.", sink = %link.sink);
                self.drop_connection();
            }
        }
        if self.conn.is_none() {
            if let Err(failure) = self.reconnect(link).await {
                return Delivery::none(failure);
            }
        }
        let Some(Conn::Stream(stream)) = &mut self.conn else {
            unreachable!("a stream protocol opens streams");
        };
        if let Err(e) = stream.write(batch, link.write_timeout).await {
            return self.write_failed(link, e);
        }
        // The receiver may have gone while we wrote: those bytes may be lost.
        if let Some(end) = stream.peer_end() {
            self.drop_connection();
            let failure = match end {
                PeerEnd::Refused(m) => Outcome::Misconfigured(m),
                PeerEnd::Clean | PeerEnd::Broken(_) => Outcome::Ambiguous(format!(
                    "{} closed the connection while the batch was sent",
                    link.address
                )),
            };
            return Delivery::none(failure);
        }
        self.backoff.succeeded();
        Delivery::Written(stream.ticket())
    }

    /// A write failed part-way: the connection is recycled and the whole
    /// batch is ambiguous (the pipeline resends it).
    fn write_failed(&mut self, link: &Link, e: std::io::Error) -> Delivery {
        tracing::warn!(message = "Writing to the syslog receiver failed; the connection is recycled.", sink = %link.sink, protocol = ?link.protocol, error = %e);
        self.drop_connection();
        Delivery::none(Outcome::Ambiguous(format!(
            "writing to {} failed: {e}; part of the batch may have arrived",
            link.address
        )))
    }

    /// Connects after the backoff delay, for every protocol; a failure is
    /// logged and lengthens the next delay.
    async fn connect(&mut self, link: &Link) -> Result<Conn, Outcome> {
        self.backoff.wait().await;
        match link.connector.connect().await {
            Ok(c) => {
                link.stats.connects.fetch_add(1, Relaxed);
                Ok(c)
            }
            Err(e) => {
                self.backoff.failed();
                tracing::warn!(message = "Cannot connect to the syslog receiver.", sink = %link.sink, protocol = ?link.protocol, error = %e);
                Err(e.outcome())
            }
        }
    }

    /// Connects and writes the resend window.
    async fn reconnect(&mut self, link: &Link) -> Result<(), Outcome> {
        let conn = self.connect(link).await?;
        let Conn::Stream(mut stream) = conn else {
            unreachable!("a stream protocol opens streams");
        };
        let (resend, n) = {
            let w = link.window();
            (w.concat(), w.len())
        };
        if n > 0 {
            let bytes = resend.len();
            if let Err(e) = stream.write(&resend, link.write_timeout).await {
                self.backoff.failed();
                return Err(Outcome::Retryable(format!(
                    "resending {n} unconfirmed messages to {} failed: {e}",
                    link.address
                )));
            }
            link.stats.resent_messages.fetch_add(n as u64, Relaxed);
            tracing::warn!(
                message = "Resent unconfirmed syslog messages after reconnecting; the receiver may see them twice.",
                sink = %link.sink, messages = n, bytes
            );
        }
        self.conn = Some(Conn::Stream(stream));
        Ok(())
    }

    async fn deliver_datagrams(
        &mut self,
        link: &Link,
        batch: &Bytes,
        frames: &[Range<usize>],
    ) -> Delivery {
        if self.conn.is_none() {
            match self.connect(link).await {
                Ok(c) => self.conn = Some(c),
                Err(failure) => return Delivery::none(failure),
            }
        }
        let Some(Conn::Udp(sock)) = &self.conn else {
            unreachable!("UDP opens sockets");
        };
        for (i, r) in frames.iter().enumerate() {
            // An error here is usually the ICMP "port unreachable" of an
            // earlier datagram: those already count as sent (UDP cannot
            // know), this one and the rest are retried.
            if let Err(e) = sock.send(&batch[r.clone()]).await {
                self.drop_connection();
                return Delivery::Failed {
                    delivered: i,
                    failure: Outcome::Retryable(format!("sending to {} failed: {e}", link.address)),
                };
            }
        }
        self.backoff.succeeded();
        Delivery::Sent
    }

    fn drop_connection(&mut self) {
        self.conn = None;
        self.backoff.failed();
    }

    /// Graceful close. A receiver that answers our close with its own has
    /// read everything, so the window is confirmed; otherwise the window is
    /// written once more on a new connection and that one closed the same
    /// way. Returns how many messages remain unconfirmed.
    pub async fn close(&mut self, link: &Link) -> usize {
        let left = self.close_confirmed(link).await;
        link.publish(&link.window());
        left
    }

    /// Messages not confirmed by the receiver (the window).
    async fn close_confirmed(&mut self, link: &Link) -> usize {
        for attempt in 0..2 {
            let end = match self.conn.take() {
                Some(Conn::Stream(mut s)) => Some(s.close(link.write_timeout).await),
                Some(Conn::Udp(_)) => return 0,
                Some(Conn::Relp(mut c)) => {
                    // Every message was answered or handed back already.
                    if let Err(e) = c.close(link.write_timeout).await {
                        tracing::debug!(message = "RELP close not answered.", sink = %link.sink, error = %e);
                    }
                    return 0;
                }
                None => None,
            };
            if end == Some(PeerEnd::Clean) {
                link.window().clear();
                return 0;
            }
            if link.window().is_empty() || attempt == 1 {
                break;
            }
            if self.reconnect(link).await.is_err() {
                break;
            }
        }
        link.window().len()
    }
}
