//! The byte stream a syslog connection runs over (TCP, or TLS over TCP),
//! and the one way bytes are written to it: whole, flushed, by a deadline.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

/// A byte stream a stream or RELP connection runs over.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// Writes and flushes `buf` by `deadline`. A receiver that has not taken
/// it by then is stalled: the error is `stalled(limit)`, `limit` being
/// the time it had.
pub(crate) async fn write_by<W: AsyncWrite + Unpin>(
    w: &mut W,
    buf: &[u8],
    deadline: Instant,
    stalled: impl FnOnce(Duration) -> std::io::Error,
) -> std::io::Result<()> {
    let limit = deadline.saturating_duration_since(Instant::now());
    match timeout_at(deadline, async {
        w.write_all(buf).await?;
        w.flush().await
    })
    .await
    {
        Ok(r) => r,
        Err(_) => Err(stalled(limit)),
    }
}
