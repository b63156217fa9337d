//! A RELP client connection (rsyslog's omrelp/imrelp protocol): `open`
//! with offers, `syslog` commands numbered by TXNR, one `rsp` per command
//! read by a reader task, at most [`WINDOW`] commands unanswered, `close`,
//! and the server's `serverclose` hint. A message counts as delivered only
//! when its `rsp 200` arrived; a connection that ends first leaves its
//! unanswered messages to be resent by the pipeline (ambiguous).

mod frame;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{oneshot, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::{timeout, timeout_at, Instant};

use super::classify::{self, ConnectError, PeerEnd};
use super::io::{write_by, Io};

/// Commands sent but not yet answered, per connection. librelp's client
/// default is 128; more keeps a fast receiver busy across a round trip.
pub(crate) const WINDOW: usize = 1024;

/// What `open` offers: protocol version 0 (what librelp speaks) and the
/// one command we use.
const OFFERS: &str = concat!(
    "relp_version=0\nrelp_software=siem-bridge,",
    env!("CARGO_PKG_VERSION"),
    ",https://github.com/siem-bridge\ncommands=syslog"
);

/// The receiver's answer to one command: `Ok` for 200.
pub(crate) type Rsp = Result<(), RelpError>;

/// A command the receiver did not answer with 200, or a `close` that got
/// no answer. A `syslog` command refused is resent by the pipeline
/// (retryable); an unanswered `close` only means the last messages stay
/// unconfirmed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RelpError {
    /// The receiver answered with `code` (500: it cannot take the message
    /// now) and this text.
    #[error("{code}{text}")]
    Refused { code: u16, text: String },
    /// An answer without a status code.
    #[error("malformed rsp")]
    Malformed,
    /// Writing the command failed (the connection broke or stalled).
    #[error("{0}")]
    Write(#[from] std::io::Error),
    /// The connection ended before the answer came: why.
    #[error("{0}")]
    Ended(String),
    /// No answer to `close` within the limit.
    #[error("no answer to RELP close within {0:?}")]
    CloseUnanswered(Duration),
}

struct Pending {
    tx: oneshot::Sender<Rsp>,
    _slot: Option<OwnedSemaphorePermit>,
}

/// Unanswered commands by TXNR; `None` once the connection ended, so a
/// command registered after that fails at once instead of waiting for an
/// answer that cannot come.
type PendingMap = Arc<Mutex<Option<HashMap<u32, Pending>>>>;

pub(crate) struct RelpConn {
    writer: WriteHalf<Box<dyn Io>>,
    next: u32,
    pending: PendingMap,
    window: Arc<Semaphore>,
    ended: watch::Receiver<Option<String>>,
    reader: JoinHandle<()>,
}

impl RelpConn {
    /// Sends `open` and checks the answer within `limit`.
    /// Over TLS, a receiver closing before it answers most likely refused
    /// our certificate (or its absence): a configuration error.
    pub async fn open(
        mut io: Box<dyn Io>,
        tls: bool,
        limit: Duration,
        address: &str,
    ) -> Result<RelpConn, ConnectError> {
        let mut out = Vec::new();
        frame::command(&mut out, 1, "open", OFFERS.as_bytes());
        let mut buf = Vec::new();
        let answer = timeout(limit, async {
            io.write_all(&out).await?;
            io.flush().await?;
            loop {
                match frame::parse(&mut buf) {
                    Ok(Some(f)) => return Ok(f),
                    Ok(None) => {}
                    Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
                }
                if io.read_buf(&mut buf).await? == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
            }
        })
        .await
        .map_err(|_| {
            ConnectError::Retryable(format!(
                "{address} did not answer the RELP open within {limit:?}"
            ))
        })?;
        let f = answer.map_err(|e| match classify::peer_read_error(&e) {
            PeerEnd::Refused(m) => ConnectError::Misconfigured(m),
            PeerEnd::Clean if tls => ConnectError::Misconfigured(format!(
                "{address} closed the TLS connection before answering the RELP open; it may require a client certificate (tls.cert_file, tls.key_file) or refuse ours"
            )),
            _ if e.kind() == std::io::ErrorKind::InvalidData => ConnectError::Misconfigured(
                format!("{address} does not speak RELP ({e}); is this an imrelp port?"),
            ),
            _ => ConnectError::Retryable(format!("RELP open with {address}: {e}")),
        })?;
        check_open(&f, address)?;
        let (r, writer) = tokio::io::split(io);
        let pending: PendingMap = Arc::new(Mutex::new(Some(HashMap::new())));
        let (tx, ended) = watch::channel(None);
        Ok(RelpConn {
            writer,
            next: 2,
            reader: tokio::spawn(read_rsps(r, buf, pending.clone(), tx)),
            pending,
            window: Arc::new(Semaphore::new(WINDOW)),
            ended,
        })
    }

    /// Why the connection ended, once it has (the reader saw EOF, an
    /// error, a framing error or `serverclose`).
    pub fn ended(&self) -> Option<String> {
        self.ended.borrow().clone()
    }

    /// Writes one `syslog` command per message within `limit` (waiting
    /// for window slots as answers come in); one answer receiver each.
    pub async fn send(
        &mut self,
        messages: &[&[u8]],
        limit: Duration,
    ) -> std::io::Result<Vec<oneshot::Receiver<Rsp>>> {
        let deadline = Instant::now() + limit;
        let mut out = Vec::new();
        let mut answers = Vec::with_capacity(messages.len());
        for m in messages {
            let slot = match self.window.clone().try_acquire_owned() {
                Ok(s) => s,
                Err(_) => {
                    self.write(&out, deadline).await?;
                    out.clear();
                    timeout_at(deadline, self.window.clone().acquire_owned())
                        .await
                        .map_err(|_| stalled(limit))?
                        .expect("the window is never closed")
                }
            };
            answers.push(self.register(Some(slot))?);
            frame::command(&mut out, self.next_txnr(), "syslog", m);
        }
        self.write(&out, deadline).await?;
        Ok(answers)
    }

    /// `close`, and its answer, then FIN. The answer comes after the
    /// answers to every earlier command (they are sent in order).
    pub async fn close(&mut self, limit: Duration) -> Result<(), RelpError> {
        let deadline = Instant::now() + limit;
        let answer = self.register(None)?;
        let mut out = Vec::new();
        frame::command(&mut out, self.next_txnr(), "close", b"");
        self.write(&out, deadline).await?;
        let r = timeout_at(deadline, answer).await;
        let _ = self.writer.shutdown().await;
        match r {
            // rsyslog answers `close` with an empty rsp: any answer will do.
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(RelpError::Ended(
                self.ended()
                    .unwrap_or_else(|| "connection ended".to_owned()),
            )),
            Err(_) => Err(RelpError::CloseUnanswered(limit)),
        }
    }

    fn next_txnr(&mut self) -> u32 {
        let t = self.next;
        self.next = frame::next_txnr(t);
        t
    }

    /// Registers the answer to the command about to get TXNR `self.next`;
    /// fails once the connection has ended.
    fn register(
        &mut self,
        slot: Option<OwnedSemaphorePermit>,
    ) -> std::io::Result<oneshot::Receiver<Rsp>> {
        let (tx, rx) = oneshot::channel();
        let mut pending = self.pending.lock().expect("pending lock");
        let Some(map) = pending.as_mut() else {
            let why = self
                .ended()
                .unwrap_or_else(|| "the RELP connection ended".to_owned());
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                why,
            ));
        };
        map.insert(self.next, Pending { tx, _slot: slot });
        Ok(rx)
    }

    async fn write(&mut self, buf: &[u8], deadline: Instant) -> std::io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        write_by(&mut self.writer, buf, deadline, stalled).await
    }
}

impl Drop for RelpConn {
    fn drop(&mut self) {
        self.reader.abort();
        // Unanswered commands: their receivers see the sender dropped.
        self.pending.lock().expect("pending lock").take();
    }
}

fn stalled(limit: Duration) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("the RELP receiver has not taken the data within {limit:?} (stalled)"),
    )
}

/// The answer to `open` must be `rsp 200` with a `relp_version` offer and
/// `syslog` among its commands.
fn check_open(f: &frame::Frame, address: &str) -> Result<(), ConnectError> {
    let refused = |why: String| {
        Err(ConnectError::Misconfigured(format!(
            "RELP open with {address}: {why}"
        )))
    };
    if f.txnr != 1 || f.command != "rsp" {
        return refused(format!(
            "expected the answer to open, got {} {}",
            f.txnr, f.command
        ));
    }
    match f.rsp() {
        Some((200, rest)) => {
            let offers = rest.splitn(2, |&b| b == b'\n').nth(1).unwrap_or_default();
            let offers = frame::offers(offers);
            let has = |k: &str| offers.iter().any(|(name, _)| name == k);
            let syslog = offers
                .iter()
                .any(|(k, v)| k == "commands" && v.split(',').any(|c| c == "syslog"));
            if !has("relp_version") {
                return refused("no relp_version offer in the answer".to_owned());
            }
            if !syslog {
                return refused("the receiver does not accept the syslog command".to_owned());
            }
            Ok(())
        }
        Some((code, rest)) => refused(format!(
            "refused with {code}{}",
            String::from_utf8_lossy(rest)
        )),
        None => refused("malformed answer".to_owned()),
    }
}

/// Matches answers to commands until the connection ends; then every
/// unanswered command's receiver sees its sender dropped.
async fn read_rsps(
    mut r: ReadHalf<Box<dyn Io>>,
    mut buf: Vec<u8>,
    pending: PendingMap,
    ended: watch::Sender<Option<String>>,
) {
    let why = 'conn: loop {
        loop {
            match frame::parse(&mut buf) {
                Ok(Some(f)) if f.command == "rsp" => {
                    let answer = match f.rsp() {
                        Some((200, _)) => Ok(()),
                        Some((code, text)) => Err(RelpError::Refused {
                            code,
                            text: String::from_utf8_lossy(text).into_owned(),
                        }),
                        None => Err(RelpError::Malformed),
                    };
                    let p = pending
                        .lock()
                        .expect("pending lock")
                        .as_mut()
                        .and_then(|m| m.remove(&f.txnr));
                    if let Some(p) = p {
                        let _ = p.tx.send(answer);
                    }
                }
                Ok(Some(f)) if f.txnr == 0 && f.command == "serverclose" => {
                    break 'conn "the receiver is closing the connection (serverclose)".to_owned();
                }
                Ok(Some(_)) => {} // other hints: ignored
                Ok(None) => break,
                Err(e) => break 'conn e.to_string(),
            }
        }
        match r.read_buf(&mut buf).await {
            Ok(0) => break "the receiver closed the connection".to_owned(),
            Ok(_) => {}
            Err(e) => break format!("{:?}", classify::peer_read_error(&e)),
        }
    };
    // Say why first, then close the map: a command registered from now on
    // fails with this reason; one registered before is dropped here.
    let _ = ended.send(Some(why));
    pending.lock().expect("pending lock").take();
}
