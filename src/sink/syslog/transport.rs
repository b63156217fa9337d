//! Connections to the receiver: TCP (keepalive, no Nagle), TLS over it
//! through rustls, RELP over either, or a connected UDP socket; and the
//! backoff between reconnect attempts.
//!
//! Syslog receivers never write back, so a stream connection gets a
//! watcher task that notices the receiver's end (EOF, a reset, or a TLS
//! alert) as soon as it arrives, and while bytes are unacknowledged reads
//! how far the receiver's TCP acknowledged them ([`super::settle`]).

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};
use tokio_rustls::TlsConnector;

use super::classify::{self, ConnectError, PeerEnd};
use super::config::{Protocol, SyslogConfig};
use super::io::{write_by, Io};
use super::relp::RelpConn;
use super::settle::{self, Counted, Progress, Ticket, Tracker};
use crate::sink::SinkError;

/// Opens connections as configured. Built once per sink.
pub struct Connector {
    address: String,
    host: String,
    port: u16,
    protocol: Protocol,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    connect_timeout: Duration,
    keepalive: Option<Duration>,
}

/// Jittered exponential backoff between reconnect attempts (backon's
/// sequence from `reconnect_backoff_min_ms` doubling to
/// `reconnect_backoff_max_ms`), so a dead receiver is not hammered and
/// bridges restarting together do not reconnect in lockstep.
pub(crate) struct Backoff {
    builder: ExponentialBuilder,
    delays: ExponentialBackoff,
    next: Option<Instant>,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Backoff {
        let builder = ExponentialBuilder::default()
            .with_min_delay(min)
            .with_max_delay(max)
            .without_max_times();
        Backoff {
            delays: builder.build(),
            builder,
            next: None,
        }
    }

    /// Waits until the next attempt is allowed.
    pub async fn wait(&self) {
        if let Some(at) = self.next {
            tokio::time::sleep_until(at).await;
        }
    }

    /// The connection failed or broke: the next attempt waits longer.
    /// "Equal jitter": a uniform draw from the upper half of the delay.
    pub fn failed(&mut self) {
        let full = self.delays.next().unwrap_or(Duration::ZERO);
        let half = full / 2;
        self.next = Some(Instant::now() + half + half.mul_f64(fastrand::f64()));
    }

    pub fn succeeded(&mut self) {
        self.delays = self.builder.build();
        self.next = None;
    }
}

/// An open connection.
pub(crate) enum Conn {
    Stream(Stream),
    Udp(UdpSocket),
    Relp(RelpConn),
}

impl Connector {
    /// Reads the TLS files; no network. Errors name sink `sink`.
    pub fn new(config: &SyslogConfig, sink: &str) -> Result<Connector, SinkError> {
        let (host, port) = config
            .host_port()
            .map_err(|m| SinkError::config(sink, "address", m.to_string()))?;
        let wants_tls = match config.protocol {
            Protocol::Tls => true,
            Protocol::Relp => config.tls.is_some(),
            Protocol::Tcp | Protocol::Udp => false,
        };
        let tls = match wants_tls {
            true => {
                let tls_config = config.tls.as_deref().cloned().unwrap_or_default();
                let client = tls_config.client_config().map_err(|error| SinkError::Tls {
                    sink: sink.to_owned(),
                    error,
                })?;
                let name = ServerName::try_from(host.to_owned()).map_err(|e| {
                    SinkError::config(
                        sink,
                        "address",
                        format!("`{host}` cannot be verified by TLS: {e}"),
                    )
                })?;
                Some((TlsConnector::from(Arc::new(client)), name))
            }
            false => None,
        };
        Ok(Connector {
            address: config.address.clone(),
            host: host.to_owned(),
            port,
            protocol: config.protocol,
            tls,
            connect_timeout: Duration::from_secs(config.connect_timeout_secs),
            keepalive: (config.keepalive_secs > 0)
                .then(|| Duration::from_secs(config.keepalive_secs)),
        })
    }

    /// Resolves the address again (so DNS changes are followed), then
    /// connects, within `connect_timeout_secs`.
    pub(crate) async fn connect(&self) -> Result<Conn, ConnectError> {
        timeout(self.connect_timeout, self.open())
            .await
            .unwrap_or_else(|_| {
                Err(ConnectError::Retryable(format!(
                    "connecting to {} timed out after {:?}",
                    self.address, self.connect_timeout
                )))
            })
    }

    async fn open(&self) -> Result<Conn, ConnectError> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|e| ConnectError::Retryable(format!("cannot resolve {}: {e}", self.host)))?
            .collect();
        let Some(&first) = addrs.first() else {
            return Err(ConnectError::Retryable(format!(
                "{} resolves to no address",
                self.host
            )));
        };
        if self.protocol == Protocol::Udp {
            let local: SocketAddr = if first.is_ipv4() {
                ([0, 0, 0, 0], 0).into()
            } else {
                ([0u16; 8], 0).into()
            };
            let sock = UdpSocket::bind(local)
                .await
                .map_err(|e| self.retryable(e))?;
            sock.connect(first).await.map_err(|e| self.retryable(e))?;
            return Ok(Conn::Udp(sock));
        }
        let mut last_error = None;
        let mut tcp = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let tcp = match (tcp, last_error) {
            (Some(s), _) => s,
            (None, Some(e)) => return Err(self.retryable(e)),
            (None, None) => unreachable!("at least one address was tried"),
        };
        let _ = tcp.set_nodelay(true);
        if let Some(idle) = self.keepalive {
            let ka = socket2::TcpKeepalive::new()
                .with_time(idle)
                .with_interval(Duration::from_secs(10).min(idle));
            let _ = socket2::SockRef::from(&tcp).set_tcp_keepalive(&ka);
        }
        let fd = settle::raw_fd(&tcp);
        let tracker = Arc::new(Tracker::default());
        let tcp = Counted::new(tcp, &tracker);
        let relp = self.protocol == Protocol::Relp;
        let Some((connector, name)) = &self.tls else {
            if relp {
                let c = RelpConn::open(Box::new(tcp), false, self.connect_timeout, &self.address)
                    .await?;
                return Ok(Conn::Relp(c));
            }
            return Ok(Conn::Stream(Stream::start(Box::new(tcp), fd, tracker)));
        };
        let started = Instant::now();
        let tls = connector
            .connect(name.clone(), tcp)
            .await
            .map_err(|e| classify::handshake(&e, &self.address))?;
        if relp {
            // The answer to `open` also proves the server kept our
            // certificate (TLS 1.3 refuses it after the handshake).
            let c =
                RelpConn::open(Box::new(tls), true, self.connect_timeout, &self.address).await?;
            return Ok(Conn::Relp(c));
        }
        let tls13 = tls.get_ref().1.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3);
        let mut stream = Stream::start(Box::new(tls), fd, tracker);
        if tls13 {
            // A TLS 1.3 server checks our certificate (or its absence)
            // after our handshake is over, and answers with an alert a
            // round trip later. Wait that long so a refusal is a
            // configuration error now, not silent loss of the first batch.
            let settle =
                (started.elapsed() * 2).clamp(Duration::from_millis(200), Duration::from_secs(1));
            stream.settle(settle).await?;
        }
        Ok(Conn::Stream(stream))
    }

    fn retryable(&self, e: std::io::Error) -> ConnectError {
        ConnectError::Retryable(format!("cannot connect to {}: {e}", self.address))
    }
}

/// A TCP or TLS connection with its watcher task.
pub struct Stream {
    writer: WriteHalf<Box<dyn Io>>,
    peer: watch::Receiver<Progress>,
    tracker: Arc<Tracker>,
    reader: JoinHandle<()>,
}

impl Stream {
    fn start(io: Box<dyn Io>, fd: Option<i32>, tracker: Arc<Tracker>) -> Stream {
        let (r, w) = tokio::io::split(io);
        let (tx, rx) = watch::channel(Progress::default());
        Stream {
            writer: w,
            peer: rx,
            reader: tokio::spawn(watch_peer(r, fd, tracker.clone(), tx)),
            tracker,
        }
    }

    /// How the receiver ended the connection, if it has.
    pub fn peer_end(&self) -> Option<PeerEnd> {
        self.peer.borrow().end.clone()
    }

    /// A batch waited too long for the receiver's acknowledgement.
    pub fn doomed(&self) -> bool {
        self.tracker.doomed.load(Relaxed)
    }

    /// What the last batch written waits for to count as delivered.
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket {
            progress: self.peer.clone(),
            tracker: self.tracker.clone(),
            end: self.tracker.written(),
        }
    }

    async fn settle(&mut self, wait: Duration) -> Result<(), ConnectError> {
        let ended = timeout(wait, self.peer.wait_for(|p| p.end.is_some())).await;
        match ended.ok().and_then(|r| r.ok()).and_then(|v| v.end.clone()) {
            None => Ok(()),
            Some(PeerEnd::Refused(m)) => Err(ConnectError::Misconfigured(m)),
            Some(PeerEnd::Clean) => Err(ConnectError::Misconfigured(
                "the receiver closed the connection right after the TLS handshake; it may require a client certificate (tls.cert_file, tls.key_file)".to_owned(),
            )),
            Some(PeerEnd::Broken(m)) => Err(ConnectError::Retryable(m)),
        }
    }

    /// Writes and flushes `buf`, or fails after `limit` (receiver stalled).
    /// The watcher is woken to follow the receiver's acknowledgements.
    pub async fn write(&mut self, buf: &[u8], limit: Duration) -> std::io::Result<()> {
        let r = write_by(&mut self.writer, buf, Instant::now() + limit, |_| {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the receiver has not taken the data for {limit:?} (stalled)"),
            )
        })
        .await;
        self.tracker.wake.notify_one();
        r
    }

    /// Closes our side (TLS close_notify, then FIN) and waits for the
    /// receiver to close its side. [`PeerEnd::Clean`] proves it read
    /// everything we sent: it only sees our FIN after the data before it.
    pub async fn close(&mut self, limit: Duration) -> PeerEnd {
        if let Some(end) = self.peer_end() {
            // It closed on its own (restart, idle timeout): whatever it had
            // not read yet is gone, so nothing is confirmed.
            return match end {
                PeerEnd::Clean => {
                    PeerEnd::Broken("the receiver closed the connection first".to_owned())
                }
                other => other,
            };
        }
        let writer = &mut self.writer;
        let peer = &mut self.peer;
        self.tracker.fin_sent.store(true, Relaxed);
        let ended = timeout(limit, async {
            if let Err(e) = writer.shutdown().await {
                return PeerEnd::Broken(e.to_string());
            }
            match peer.wait_for(|p| p.end.is_some()).await {
                Ok(v) => v.end.clone().unwrap_or(PeerEnd::Clean),
                Err(_) => PeerEnd::Broken("connection watcher stopped".to_owned()),
            }
        })
        .await;
        ended.unwrap_or_else(|_| {
            PeerEnd::Broken(format!(
                "the receiver did not close its side within {limit:?}"
            ))
        })
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Watches one connection: the receiver's end, and while bytes are
/// unacknowledged, the send queue every [`settle::POLL`]. Holding the read
/// half keeps the socket (and so `fd`) open.
async fn watch_peer(
    mut r: ReadHalf<Box<dyn Io>>,
    fd: Option<i32>,
    tracker: Arc<Tracker>,
    tx: watch::Sender<Progress>,
) {
    let mut buf = [0u8; 4096];
    let end = loop {
        let behind = tracker.written() > tx.borrow().acked;
        tokio::select! {
            read = r.read(&mut buf) => match read {
                Ok(0) => break PeerEnd::Clean,
                // Syslog receivers send nothing; whatever comes is ignored.
                Ok(_) => continue,
                Err(e) => break classify::peer_read_error(&e),
            },
            _ = tokio::time::sleep(settle::POLL), if behind => {
                settle::poll_acked(&tracker, fd, &tx);
            }
            _ = tracker.wake.notified(), if !behind => {}
        }
    };
    let confirmed = end == PeerEnd::Clean && tracker.fin_sent.load(Relaxed);
    tx.send_modify(|p| {
        p.end = Some(end);
        p.confirmed = confirmed;
    });
}

#[cfg(test)]
mod tests;
