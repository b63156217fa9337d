//! Kafka unreachable: the log stays quiet (one line, then a summary a
//! minute), `/ready` says why, and `exit_after_unreachable_secs` ends
//! `run` with exit 1 for a supervisor.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use siem_bridge::cmd;
use siem_bridge::config::{self, Config};
use siem_bridge::pipeline::Handle;
use tokio_util::sync::CancellationToken;

use crate::support::wait::{secs, wait_until, KAFKA_POLL};

/// A TCP port nobody listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn ten_seconds_without_a_broker_log_a_few_lines_then_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        format!(
            "[kafka]\nbootstrap_servers = \"127.0.0.1:{port}\"\nexit_after_unreachable_secs = 10\n[observability]\nenabled = false\n[dead_letter]\npath = \"{}/dl.ndjson\"\n[[sinks]]\ntype = \"stdout\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let start = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .args(["run", "--config", path.to_str().unwrap()])
        .env_remove("NO_COLOR")
        .env_remove("SIEM_BRIDGE_LOG")
        .output()
        .unwrap();
    let took = start.elapsed();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(took >= Duration::from_secs(10), "{took:?}\n{err}");
    // Before: ~20 lines a second (195 consumer-error warnings in 10 s).
    let lines = err.lines().count();
    assert!(lines <= 12, "{lines} lines in {took:?}:\n{err}");
    assert_eq!(
        err.matches("Kafka unreachable; retrying (repeats are summarised once a minute).")
            .count(),
        1,
        "{err}"
    );
    // Before the outage is certain, a failed connection is an ordinary
    // error: logged once a minute per kind at most.
    assert!(err.matches("Kafka error; continuing").count() <= 2, "{err}");
    // stderr is a pipe here: no colour codes.
    assert!(!err.contains('\u{1b}'), "{err}");
    let last = err.lines().last().unwrap();
    let want = format!(
        "siem-bridge: gave up after exit_after_unreachable_secs: no Kafka broker reachable at 127.0.0.1:{port} for 10 s ("
    );
    assert!(last.starts_with(&want), "{last:?}\n{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_says_no_broker_is_reachable() {
    let port = closed_port();
    let mut config: Config = config::load(None, &|v: &str| {
        (v == "CONFLUENT_BOOTSTRAP_SERVERS").then(|| format!("127.0.0.1:{port}"))
    })
    .unwrap();
    config.observability.enabled = true;
    config.observability.listen = "127.0.0.1:0".into();
    let sinks = vec![config.sinks[0].build().unwrap()];
    let shutdown = CancellationToken::new();
    type Started = Arc<Mutex<Option<(Handle, Option<std::net::SocketAddr>)>>>;
    let started: Started = Arc::default();
    let s = started.clone();
    let task = tokio::spawn(cmd::run::serve(
        config,
        sinks,
        shutdown.clone(),
        move |h, a| *s.lock().unwrap() = Some((h, a)),
    ));
    let up = async || started.lock().unwrap().is_some();
    assert!(wait_until(secs(10), KAFKA_POLL, up).await);
    let addr = started.lock().unwrap().as_ref().unwrap().1.unwrap();
    let want = format!("not ready: no Kafka broker reachable at 127.0.0.1:{port} for ");
    let mut last = String::new();
    let says_why = async || {
        let r = reqwest::get(format!("http://{addr}/ready")).await.unwrap();
        let status = r.status().as_u16();
        last = r.text().await.unwrap();
        status == 503 && last.lines().any(|l| l.starts_with(&want))
    };
    assert!(wait_until(secs(10), KAFKA_POLL, says_why).await, "{last}");
    shutdown.cancel();
    task.await.unwrap().unwrap();
}
