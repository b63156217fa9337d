//! When a batch written to TCP counts as delivered: once it is *settled*.
//!
//! A flush only means our kernel took the bytes. They are settled when
//! 1. the receiver's TCP acknowledged every byte of the batch (our send
//!    queue, `SIOCOUTQ` on Linux, has drained past its last byte), and
//! 2. `settle_ms` then passed with the connection still open: a receiver
//!    that closes or resets loses what sat unread in its buffers, and the
//!    watcher task sees that close within a round trip, so a batch
//!    acknowledged that long before without a close was read.
//!
//! A close observed first makes the batch `Ambiguous`: the pipeline resends
//! it and its offsets stay uncommitted. The exception is the receiver's
//! answer to our own FIN (graceful close): it read everything before it.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{watch, Notify};
use tokio::time::timeout;

use super::classify::PeerEnd;

/// How often the send queue is read while bytes are unacknowledged.
pub(crate) const POLL: Duration = Duration::from_millis(5);

/// What the connection's watcher task has seen.
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    /// Bytes (on the wire, i.e. TLS records included) the receiver's TCP
    /// acknowledged.
    pub acked: u64,
    /// How the receiver ended the connection, once it has.
    pub end: Option<PeerEnd>,
    /// The end was the receiver's answer to our FIN: it read everything.
    pub confirmed: bool,
}

/// Shared (one `Arc`) by the writer, the watcher task and the batches
/// waiting to settle.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    /// Bytes handed to the socket (counted below TLS).
    written: AtomicU64,
    /// A write happened: the watcher starts polling the send queue.
    pub wake: Notify,
    /// A batch waited too long for its acknowledgement: recycle.
    pub doomed: AtomicBool,
    /// We sent FIN (graceful close).
    pub fin_sent: AtomicBool,
}

impl Tracker {
    pub fn written(&self) -> u64 {
        self.written.load(Relaxed)
    }
}

/// A socket wrapper counting the bytes written to it in its tracker.
pub(crate) struct Counted<T> {
    inner: T,
    tracker: Arc<Tracker>,
}

impl<T> Counted<T> {
    pub fn new(inner: T, tracker: &Arc<Tracker>) -> Counted<T> {
        Counted {
            inner,
            tracker: tracker.clone(),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.tracker.written.fetch_add(n as u64, Relaxed);
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The socket's descriptor, for [`unacked`].
#[cfg(unix)]
pub(crate) fn raw_fd(tcp: &tokio::net::TcpStream) -> Option<i32> {
    use std::os::fd::AsRawFd;
    Some(tcp.as_raw_fd())
}

/// The socket's descriptor, for [`unacked`].
#[cfg(not(unix))]
pub(crate) fn raw_fd(_tcp: &tokio::net::TcpStream) -> Option<i32> {
    None
}

/// Bytes in the socket's send queue not yet acknowledged by the peer
/// (`SIOCOUTQ`). `None` where unknown: then only the settle time counts.
#[cfg(target_os = "linux")]
pub(crate) fn unacked(fd: std::os::fd::RawFd) -> Option<u64> {
    let mut n: libc::c_int = 0;
    // SAFETY: `fd` is an open TCP socket (the caller holds its read half)
    // and TIOCOUTQ (= SIOCOUTQ) writes one int.
    let rc = unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut n) };
    (rc == 0 && n >= 0).then_some(n as u64)
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn unacked(_fd: i32) -> Option<u64> {
    None
}

/// Moves `acked` forward from the send queue. `written` is read before
/// the queue, so a write in between only makes the answer smaller.
pub(crate) fn poll_acked(tracker: &Tracker, fd: Option<i32>, tx: &watch::Sender<Progress>) {
    let written = tracker.written();
    let acked = match fd.and_then(unacked) {
        Some(q) => written.saturating_sub(q),
        None => written,
    };
    tx.send_if_modified(|p| {
        let moved = acked > p.acked;
        p.acked = p.acked.max(acked);
        moved
    });
}

/// Why a batch written to TCP/TLS did not settle. Each makes the batch
/// `Ambiguous`: the pipeline resends it, and its offsets stay
/// uncommitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Unsettled {
    /// The receiver's TCP did not acknowledge the batch within `limit`:
    /// the connection is marked for recycling.
    #[error("the receiver did not acknowledge the batch within {limit:?} (stalled)")]
    Stalled { limit: Duration },
    /// Our side dropped the connection before the acknowledgement.
    #[error("the connection was dropped before the receiver acknowledged the batch")]
    DroppedBeforeAck,
    /// Our side dropped the connection during the settle time.
    #[error(
        "the connection was dropped within {settle:?} of the receiver acknowledging the batch"
    )]
    DroppedWhileSettling { settle: Duration },
    /// The receiver closed (or reset) first: it may not have read it.
    #[error("the receiver closed the connection before the batch settled ({end:?}); it may not have read it")]
    Closed { end: Option<PeerEnd> },
}

/// One batch waiting to settle: its last byte on one connection.
pub(crate) struct Ticket {
    pub progress: watch::Receiver<Progress>,
    pub tracker: Arc<Tracker>,
    pub end: u64,
}

impl Ticket {
    /// Waits until the batch is settled, or says why it is not: the
    /// connection ended, or the receiver did not acknowledge within
    /// `ack_limit` (stalled: the connection is marked for recycling).
    pub async fn settled(mut self, settle: Duration, ack_limit: Duration) -> Result<(), Unsettled> {
        let end = self.end;
        let acked = timeout(ack_limit, async {
            let p = self
                .progress
                .wait_for(|p| p.acked >= end || p.end.is_some())
                .await;
            p.map(|p| p.clone())
        })
        .await;
        match acked {
            Err(_) => {
                self.tracker.doomed.store(true, Relaxed);
                return Err(Unsettled::Stalled { limit: ack_limit });
            }
            Ok(Err(_)) => return Err(Unsettled::DroppedBeforeAck),
            Ok(Ok(p)) if p.end.is_some() => return ended(&p),
            Ok(Ok(_)) => {}
        }
        let closed = timeout(settle, async {
            let p = self.progress.wait_for(|p| p.end.is_some()).await;
            p.map(|p| p.clone())
        })
        .await;
        match closed {
            Err(_) => Ok(()),
            Ok(Ok(p)) => ended(&p),
            Ok(Err(_)) => Err(Unsettled::DroppedWhileSettling { settle }),
        }
    }
}

fn ended(p: &Progress) -> Result<(), Unsettled> {
    if p.confirmed {
        return Ok(());
    }
    Err(Unsettled::Closed { end: p.end.clone() })
}

#[cfg(test)]
mod tests;
