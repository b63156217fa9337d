//! A real receiver: Debian's rsyslogd, started per test in the foreground
//! with its own work directory, certificates and free ports, with plain
//! TCP, UDP, TLS and mutual-TLS inputs (`docs/test-infra.md` §5).
//! Each input writes the raw message it received (framing removed) as one
//! JSON string per line to `out/<input>.log`.

use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::pki;

pub struct Rsyslog {
    dir: tempfile::TempDir,
    child: Child,
    pub tcp: u16,
    pub udp: u16,
    pub tls: u16,
    pub mtls: u16,
}

/// Paths of the test PKI.
pub struct Certs {
    pub ca: PathBuf,
    /// A CA that did not sign the server certificate.
    pub other_ca: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl Rsyslog {
    /// Starts rsyslogd and waits until its inputs accept connections.
    pub fn start() -> Rsyslog {
        let dir = tempfile::tempdir().unwrap();
        pki::write(&dir.path().join("certs"), pki::LOCALHOST_ONLY);
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        std::fs::create_dir_all(dir.path().join("out")).unwrap();
        // Free ports can be taken by a parallel test before rsyslogd binds
        // them: retry with new ones.
        let mut last_log = String::new();
        for _ in 0..5 {
            let ports = (
                free_tcp_port(),
                free_udp_port(),
                free_tcp_port(),
                free_tcp_port(),
            );
            let conf = dir.path().join("rsyslog.conf");
            std::fs::write(&conf, config(dir.path(), ports)).unwrap();
            let log = std::fs::File::create(dir.path().join("rsyslogd.log")).unwrap();
            let child = Command::new(rsyslogd())
                .arg("-n")
                .arg("-f")
                .arg(&conf)
                .arg("-i")
                .arg(dir.path().join("work/rsyslogd.pid"))
                .stdout(Stdio::from(log.try_clone().unwrap()))
                .stderr(Stdio::from(log))
                .spawn()
                .expect("rsyslogd (run scripts/setup.sh)");
            let mut child = child;
            if wait_listening(&mut child, dir.path(), ports) {
                return Rsyslog {
                    dir,
                    child,
                    tcp: ports.0,
                    udp: ports.1,
                    tls: ports.2,
                    mtls: ports.3,
                };
            }
            last_log = std::fs::read_to_string(dir.path().join("rsyslogd.log")).unwrap_or_default();
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("rsyslogd did not start:\n{last_log}");
    }

    pub fn certs(&self) -> Certs {
        let c = self.dir.path().join("certs");
        Certs {
            ca: c.join("ca.pem"),
            other_ca: c.join("other-ca.pem"),
            client_cert: c.join("client.pem"),
            client_key: c.join("client-key.pem"),
        }
    }

    /// Messages written so far by `input` (`tcp`, `udp`, `tls`, `mtls`),
    /// readiness probes left out.
    pub fn received(&self, input: &str) -> Vec<Vec<u8>> {
        received(self.dir.path(), input)
    }

    /// How many lines `input` has written (cheap, for benches/syslog.rs).
    #[allow(dead_code)]
    pub fn lines(&self, input: &str) -> usize {
        let path = self.dir.path().join(format!("out/{input}.log"));
        std::fs::read(path).map_or(0, |b| memchr::memchr_iter(b'\n', &b).count())
    }

    /// Waits until `input` has written at least `n` messages.
    pub async fn wait_for(&self, input: &str, n: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.received(input);
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// rsyslog's own parse of each TCP message: HOSTNAME APP-NAME PROCID
    /// MSGID STRUCTURED-DATA.
    pub fn parsed_tcp(&self) -> Vec<String> {
        let text =
            std::fs::read_to_string(self.dir.path().join("out/tcp-parsed.log")).unwrap_or_default();
        text.lines().map(str::to_owned).collect()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("rsyslogd.log")).unwrap_or_default()
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PROBE: &str = "<14>1 - - readiness-probe - - -";

pub fn received(dir: &Path, input: &str) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(dir.join(format!("out/{input}.log"))).unwrap_or_default();
    // rsyslog may be writing the last line right now: complete lines only.
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    complete
        .lines()
        .map(|l| serde_json::from_str::<String>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|m| m != PROBE)
        .map(String::into_bytes)
        .collect()
}

fn wait_listening(
    child: &mut Child,
    dir: &Path,
    (tcp, udp, tls, mtls): (u16, u16, u16, u16),
) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if [tcp, tls, mtls]
            .iter()
            .all(|p| TcpStream::connect(("127.0.0.1", *p)).is_ok())
        {
            // A port a parallel test's rsyslogd took first also accepts
            // connections, while ours only logs the failed bind and runs
            // on: its log must show that every listener was created.
            return wait_udp(dir, udp, deadline) && !bind_failed(dir);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// rsyslogd logs a listener it could not create and keeps running.
fn bind_failed(dir: &Path) -> bool {
    let log = std::fs::read_to_string(dir.join("rsyslogd.log")).unwrap_or_default();
    log.contains("Error while binding") || log.contains("Could not create")
}

/// UDP has no handshake: send probes until one is written.
fn wait_udp(dir: &Path, port: u16, deadline: Instant) -> bool {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    while Instant::now() < deadline {
        let _ = sock.send_to(PROBE.as_bytes(), ("127.0.0.1", port));
        std::thread::sleep(Duration::from_millis(50));
        let text = std::fs::read_to_string(dir.join("out/udp.log")).unwrap_or_default();
        if !text.is_empty() {
            return true;
        }
    }
    false
}

pub fn rsyslogd() -> &'static str {
    if Path::new("/usr/sbin/rsyslogd").exists() {
        "/usr/sbin/rsyslogd"
    } else {
        "rsyslogd"
    }
}

pub fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(dir: &Path, (tcp, udp, tls, mtls): (u16, u16, u16, u16)) -> String {
    let d = dir.display();
    let out = |name: &str| {
        format!(
            "ruleset(name=\"{name}\") {{ action(type=\"omfile\" file=\"{d}/out/{name}.log\" template=\"raw\" flushOnTXEnd=\"on\" asyncWriting=\"off\") }}\n"
        )
    };
    format!(
        r#"global(
  workDirectory="{d}/work"
  maxMessageSize="256k"
  parser.escapeControlCharactersOnReceive="off"
  defaultNetstreamDriverCAFile="{d}/certs/ca.pem"
  defaultNetstreamDriverCertFile="{d}/certs/server.pem"
  defaultNetstreamDriverKeyFile="{d}/certs/server-key.pem"
)
module(load="imtcp" maxSessions="1000")
module(load="imudp")
input(type="imtcp" port="{tcp}" address="127.0.0.1" ruleset="tcp")
input(type="imudp" port="{udp}" address="127.0.0.1" ruleset="udp" rcvBufSize="4m")
input(type="imtcp" port="{tls}" address="127.0.0.1" ruleset="tls"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" port="{mtls}" address="127.0.0.1" ruleset="mtls"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")
template(name="raw" type="string" string="\"%rawmsg:::json%\"\n")
template(name="parsed" type="string" string="%hostname% %app-name% %procid% %msgid% %structured-data:::escape-cc%\n")
ruleset(name="tcp") {{
  action(type="omfile" file="{d}/out/tcp.log" template="raw" flushOnTXEnd="on" asyncWriting="off")
  action(type="omfile" file="{d}/out/tcp-parsed.log" template="parsed" flushOnTXEnd="on" asyncWriting="off")
}}
{}{}{}"#,
        out("udp"),
        out("tls"),
        out("mtls")
    )
}
