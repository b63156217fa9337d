//! A scripted syslog receiver on 127.0.0.1 for failures rsyslog cannot be
//! made to produce on demand: close after k messages, reset mid-stream,
//! stop reading. It parses octet-counted frames and records every message
//! with the number of the connection it came on.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// What the receiver does on one connection.
#[derive(Debug, Clone, Copy)]
pub enum Behavior {
    /// Read everything; close when the sender closes.
    ReadAll,
    /// Read `k` messages, then close the connection (FIN, or RST when
    /// data is still unread) without reading more.
    CloseAfter(usize),
    /// Read about `n` bytes, then reset the connection (SO_LINGER 0).
    ResetAfterBytes(usize),
    /// Accept and never read (the sender's buffers fill up).
    Stall,
    /// Read everything and only count the messages (benches/syslog.rs).
    #[allow(dead_code)]
    Count,
    /// Like a busy rsyslog: process at most `per_sec` messages a second
    /// (what is not processed yet waits in the socket buffers) and close
    /// after `k`, losing everything read or buffered but not processed.
    SlowCloseAfter { k: usize, per_sec: usize },
}

#[derive(Default)]
struct State {
    messages: Vec<(usize, Vec<u8>)>,
    counted: usize,
    connections: usize,
    closed_by_us: usize,
}

pub struct Fake {
    pub port: u16,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Fake {
    /// `script[i]` is the behavior of connection `i`; later connections
    /// repeat the last entry. A small receive buffer makes stalls quick.
    pub async fn start(script: &[Behavior]) -> Fake {
        Fake::start_with_buffer(script, 16 * 1024).await
    }

    /// With a socket receive buffer of `recv_buffer` bytes (Linux doubles it).
    pub async fn start_with_buffer(script: &[Behavior], recv_buffer: usize) -> Fake {
        let sock =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        sock.set_recv_buffer_size(recv_buffer).unwrap();
        sock.set_reuse_address(true).unwrap();
        sock.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        sock.listen(64).unwrap();
        sock.set_nonblocking(true).unwrap();
        let listener = TcpListener::from_std(sock.into()).unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let changed = Arc::new(Notify::new());
        let mut script: VecDeque<Behavior> = script.iter().copied().collect();
        let (st, ch) = (state.clone(), changed.clone());
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let behavior = if script.len() > 1 {
                    script.pop_front().unwrap()
                } else {
                    script[0]
                };
                let conn = {
                    let mut s = st.lock().unwrap();
                    s.connections += 1;
                    s.connections - 1
                };
                ch.notify_waiters();
                if let Behavior::Stall = behavior {
                    held.push(stream);
                    continue;
                }
                tokio::spawn(serve(stream, conn, behavior, st.clone(), ch.clone()));
            }
        });
        Fake {
            port,
            state,
            changed,
            task,
        }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every message so far as (connection number, bytes).
    pub fn messages(&self) -> Vec<(usize, Vec<u8>)> {
        self.state.lock().unwrap().messages.clone()
    }

    /// Messages received on `Count` connections.
    #[allow(dead_code)] // used by benches/syslog.rs
    pub fn counted(&self) -> usize {
        self.state.lock().unwrap().counted
    }

    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    /// Connections the fake itself ended (CloseAfter, ResetAfterBytes).
    pub fn closed_by_us(&self) -> usize {
        self.state.lock().unwrap().closed_by_us
    }

    /// Waits until `cond` holds or 20 s pass.
    pub async fn wait_until(&self, cond: impl Fn(&Fake) -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !cond(self) {
            if Instant::now() > deadline {
                return false;
            }
            let _ = tokio::time::timeout(Duration::from_millis(50), self.changed.notified()).await;
        }
        true
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    conn: usize,
    behavior: Behavior,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
) {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut read_bytes = 0;
    let mut taken = 0;
    let started = tokio::time::Instant::now();
    loop {
        let limit = match behavior {
            Behavior::ResetAfterBytes(n) => chunk.len().min(n.saturating_sub(read_bytes)).max(1),
            _ => chunk.len(),
        };
        let n = match stream.read(&mut chunk[..limit]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        read_bytes += n;
        buf.extend_from_slice(&chunk[..n]);
        let mut frames = Vec::new();
        let mut at = 0;
        while let Some((msg, used)) = parse_frame(&buf[at..]) {
            frames.push(msg);
            at += used;
        }
        buf.drain(..at);
        {
            let mut s = state.lock().unwrap();
            if let Behavior::Count = behavior {
                s.counted += frames.len();
                frames.clear();
            }
            for m in frames {
                if let Behavior::CloseAfter(k) | Behavior::SlowCloseAfter { k, .. } = behavior {
                    if taken == k {
                        break;
                    }
                }
                s.messages.push((conn, m));
                taken += 1;
            }
        }
        changed.notify_waiters();
        if let Behavior::SlowCloseAfter { per_sec, .. } = behavior {
            let due = started + Duration::from_secs_f64(taken as f64 / per_sec as f64);
            tokio::time::sleep_until(due).await;
        }
        let stop = match behavior {
            Behavior::CloseAfter(k) | Behavior::SlowCloseAfter { k, .. } => taken >= k,
            Behavior::ResetAfterBytes(n) => read_bytes >= n,
            _ => false,
        };
        if stop {
            if let Behavior::ResetAfterBytes(_) = behavior {
                let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            }
            state.lock().unwrap().closed_by_us += 1;
            changed.notify_waiters();
            return; // dropping the stream closes it
        }
    }
}

/// One octet-counted frame from the front of `b`: (message, bytes used).
fn parse_frame(b: &[u8]) -> Option<(Vec<u8>, usize)> {
    let sp = b.iter().position(|&c| c == b' ')?;
    let len: usize = std::str::from_utf8(&b[..sp]).ok()?.parse().ok()?;
    let end = sp + 1 + len;
    (b.len() >= end).then(|| (b[sp + 1..end].to_vec(), end))
}
