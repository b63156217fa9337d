//! `protocol = "relp"` against a real rsyslogd with imrelp inputs (plain
//! and TLS), killed and restarted on the same ports mid-stream. rsyslogd
//! runs its main queue in direct mode, so its `rsp 200` comes after the
//! message is written to the output file: a message it acknowledged
//! survives a `kill -9`, and any message missing is the sender's fault.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use siem_bridge::event::Event;
use siem_bridge::sink::syslog::SyslogSink;
use siem_bridge::sink::Sink;

use super::rsyslogd::{free_tcp_port, received, rsyslogd};
use super::{deliver, missing, padded_events, sd_id, sink};
use crate::support::pki;

/// rsyslogd with two imrelp inputs, restartable on the same ports.
pub struct Relp {
    dir: tempfile::TempDir,
    child: Option<Child>,
    pub plain: u16,
    pub tls: u16,
}

impl Relp {
    pub fn start() -> Relp {
        let dir = tempfile::tempdir().unwrap();
        pki::write(&dir.path().join("certs"), pki::LOCALHOST_ONLY);
        for sub in ["work", "out"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let mut r = Relp {
            dir,
            child: None,
            plain: 0,
            tls: 0,
        };
        for _ in 0..5 {
            (r.plain, r.tls) = (free_tcp_port(), free_tcp_port());
            if r.spawn() {
                return r;
            }
        }
        panic!("rsyslogd with imrelp did not start:\n{}", r.log());
    }

    /// Starts rsyslogd on the current ports; false if it did not listen.
    fn spawn(&mut self) -> bool {
        let d = self.dir.path();
        let conf = d.join("rsyslog.conf");
        std::fs::write(&conf, config(d, self.plain, self.tls)).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("rsyslogd.log"))
            .unwrap();
        let child = Command::new(rsyslogd())
            .arg("-n")
            .arg("-f")
            .arg(&conf)
            .arg("-i")
            .arg(d.join("work/rsyslogd.pid"))
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("rsyslogd (run scripts/setup.sh)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.as_mut().unwrap().try_wait() {
                return false;
            }
            let up = [self.plain, self.tls]
                .iter()
                .all(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_ok());
            if up {
                return !self.log().contains("Could not create");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// `kill -9`: connections reset, no serverclose.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM: imrelp sends `serverclose` and closes.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SAFETY: signalling our own child by its pid.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let _ = c.wait();
        }
    }

    /// Starts again on the same ports.
    pub fn restart(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.spawn() {
            self.kill();
            assert!(Instant::now() < deadline, "restart failed:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn received(&self, input: &str) -> Vec<Vec<u8>> {
        received(self.dir.path(), input)
    }

    /// `[tls]` keys: our CA, and the client certificate imrelp requires.
    pub fn tls_keys(&self) -> String {
        let c = self.dir.path().join("certs");
        format!(
            "ca_file = \"{}\"\ncert_file = \"{}\"\nkey_file = \"{}\"",
            c.join("ca.pem").display(),
            c.join("client.pem").display(),
            c.join("client-key.pem").display()
        )
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("rsyslogd.log")).unwrap_or_default()
    }
}

impl Drop for Relp {
    fn drop(&mut self) {
        self.kill();
    }
}

fn config(d: &Path, plain: u16, tls: u16) -> String {
    let d = d.display();
    let out = |name: &str| {
        format!(
            "ruleset(name=\"{name}\") {{ action(type=\"omfile\" file=\"{d}/out/{name}.log\" template=\"raw\" flushOnTXEnd=\"on\" asyncWriting=\"off\") }}\n"
        )
    };
    format!(
        r#"global(workDirectory="{d}/work" maxMessageSize="256k" parser.escapeControlCharactersOnReceive="off")
main_queue(queue.type="Direct")
module(load="imrelp")
input(type="imrelp" port="{plain}" address="127.0.0.1" ruleset="relp")
input(type="imrelp" port="{tls}" address="127.0.0.1" ruleset="relptls" tls="on"
      tls.caCert="{d}/certs/ca.pem" tls.myCert="{d}/certs/server.pem" tls.myPrivKey="{d}/certs/server-key.pem"
      tls.authMode="certvalid")
template(name="raw" type="string" string="\"%rawmsg:::json%\"\n")
{}{}"#,
        out("relp"),
        out("relptls")
    )
}

/// Delivers `all` in batches of 100 while the receiver is killed once and
/// stopped once (SIGTERM: serverclose) and restarted on the same port each
/// time; checks that every id arrived.
async fn survives_restarts(s: Arc<SyslogSink>, relp: &mut Relp, input: &str, all: &[Arc<Event>]) {
    let chunks: Vec<&[Arc<Event>]> = all.chunks(100).collect();
    let third = chunks.len() / 3;
    for (k, chunk) in chunks.iter().enumerate() {
        if k == third {
            relp.kill();
            relp.restart();
        }
        if k == 2 * third {
            relp.stop();
            relp.restart();
        }
        deliver(&*s, chunk).await;
    }
    s.close().await;
    let got: Vec<String> = relp.received(input).iter().map(|m| sd_id(m)).collect();
    let missing = missing(all, &got);
    assert!(
        missing.is_empty(),
        "{} missing, e.g. {:?}\n{}",
        missing.len(),
        &missing[..missing.len().min(5)],
        relp.log()
    );
    let st = s.stats();
    assert!(st.connects >= 3, "reconnected after each restart: {st:?}");
    println!(
        "RELP {input}: {} events, 0 missing, {} duplicates, {} connects, {} unacknowledged and resent",
        all.len(),
        got.len() - all.len(),
        st.connects,
        st.unsettled_messages
    );
}

#[tokio::test]
async fn relp_delivers_everything_through_kill_and_restart() {
    let mut relp = Relp::start();
    let s = sink(&format!(
        "address = \"127.0.0.1:{}\"\nprotocol = \"relp\"\nreconnect_backoff_min_ms = 50",
        relp.plain
    ));
    let all = padded_events("relp", 3000, 300);
    survives_restarts(s, &mut relp, "relp", &all).await;
}

#[tokio::test]
async fn relp_over_tls_delivers_everything_through_kill_and_restart() {
    let mut relp = Relp::start();
    let s = sink(&format!(
        "address = \"localhost:{}\"\nprotocol = \"relp\"\nreconnect_backoff_min_ms = 50\n[tls]\n{}",
        relp.tls,
        relp.tls_keys()
    ));
    let all = padded_events("relptls", 1500, 300);
    survives_restarts(s, &mut relp, "relptls", &all).await;
}

#[tokio::test]
async fn relp_over_tls_without_the_client_certificate_is_misconfigured() {
    let relp = Relp::start();
    let ca = relp.tls_keys().lines().next().unwrap().to_owned();
    let s = sink(&format!(
        "address = \"localhost:{}\"\nprotocol = \"relp\"\n[tls]\n{ca}",
        relp.tls
    ));
    let report = s.send(&padded_events("nocert", 2, 300)).await;
    for o in &report.outcomes {
        assert!(
            matches!(o, siem_bridge::sink::Outcome::Misconfigured(m) if m.contains("client certificate")),
            "{o:?}"
        );
    }
    assert!(relp.received("relptls").is_empty());
}

#[tokio::test]
async fn relp_to_a_plain_tcp_port_is_misconfigured() {
    // Something that is not imrelp never answers `open` properly.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::Write;
        for mut c in listener.incoming().flatten() {
            let _ = c.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        }
    });
    let s = sink(&format!(
        "address = \"127.0.0.1:{port}\"\nprotocol = \"relp\"\nconnect_timeout_secs = 2"
    ));
    let report = s.send(&padded_events("bad", 1, 300)).await;
    assert!(
        matches!(&report.outcomes[0], siem_bridge::sink::Outcome::Misconfigured(m) if m.contains("RELP")),
        "{:?}",
        report.outcomes
    );
}
