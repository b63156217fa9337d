//! The processes and wires of the chaos suite: `siem-bridge run` as a
//! child (killed with SIGKILL, stopped with SIGTERM, its RSS read from
//! /proc, optionally under a file-size limit), and a TCP proxy in front of
//! rsyslog that resets every connection on demand.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// `CHAOS_BRIDGE_BIN` (scripts/chaos.sh sets the release build), else the
/// binary cargo built for the tests.
pub fn bridge_bin() -> PathBuf {
    std::env::var_os("CHAOS_BRIDGE_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_siem-bridge")),
        PathBuf::from,
    )
}

/// One `siem-bridge run` process; SIGKILLed on drop.
pub struct Bridge {
    child: Child,
    pub pid: u32,
}

impl Bridge {
    /// Starts `run`; stderr goes to `log` (through a pipe, so a file-size
    /// limit never hits the log). `fsize`: RLIMIT_FSIZE in bytes, with
    /// SIGXFSZ ignored so a write past it fails with EFBIG (like a full
    /// disk) instead of killing the process.
    pub fn spawn(config: &Path, log: PathBuf, fsize: Option<u64>) -> Bridge {
        let mut cmd = Command::new(bridge_bin());
        cmd.args([
            "run",
            "--config",
            config.to_str().unwrap(),
            "--log",
            &std::env::var("CHAOS_LOG").unwrap_or_else(|_| "warn".into()),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        if let Some(limit) = fsize {
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                    set_fsize(0, limit);
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn().expect("start siem-bridge run");
        let stderr = child.stderr.take().unwrap();
        let path = log;
        std::thread::spawn(move || {
            let mut out = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = writeln!(out, "{line}");
            }
        });
        Bridge {
            pid: child.id(),
            child,
        }
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits; true when it exited 0.
    pub fn term(&mut self) -> bool {
        unsafe { libc::kill(self.pid as i32, libc::SIGTERM) };
        self.child.wait().is_ok_and(|s| s.success())
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Resident set size in KiB (`VmRSS` of /proc/<pid>/status).
    pub fn rss_kb(&self) -> Option<u64> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Sets the file-size limit of the running process (space returns).
    pub fn set_fsize(&self, limit: u64) {
        set_fsize(self.pid as i32, limit);
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn set_fsize(pid: i32, soft: u64) {
    let new = libc::rlimit {
        rlim_cur: soft,
        rlim_max: libc::RLIM_INFINITY,
    };
    unsafe { libc::prlimit(pid, libc::RLIMIT_FSIZE, &new, std::ptr::null_mut()) };
}

/// A TCP proxy to `upstream` whose [`ResetProxy::reset`] drops every live
/// connection with RST on both sides (SO_LINGER 0), losing whatever it
/// and the kernels still held, like a crashing middlebox.
pub struct ResetProxy {
    pub addr: SocketAddr,
    conns: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl ResetProxy {
    pub async fn start(upstream: SocketAddr) -> ResetProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let conns: Arc<Mutex<Vec<_>>> = Arc::default();
        let c = conns.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let Ok(mut server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                #[allow(deprecated)]
                for s in [&client, &server] {
                    let _ = s.set_linger(Some(Duration::ZERO));
                }
                let h = tokio::spawn(async move {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
                c.lock().unwrap().push(h);
            }
        });
        ResetProxy { addr, conns, task }
    }

    /// Resets every open connection; returns how many were open.
    pub fn reset(&self) -> usize {
        let mut conns = self.conns.lock().unwrap();
        let live = conns.iter().filter(|h| !h.is_finished()).count();
        for h in conns.drain(..) {
            h.abort();
        }
        live
    }
}

impl Drop for ResetProxy {
    fn drop(&mut self) {
        self.reset();
        self.task.abort();
    }
}

/// A free port on 127.0.0.1 (for `/ready`).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET /ready`: (status, body), or `None` when nothing answers.
pub async fn ready(port: u16) -> Option<(u16, String)> {
    let r = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/ready"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    Some((status, r.text().await.unwrap_or_default()))
}
