//! `siem-bridge demo`: the summary teaches (where the filter rules come
//! from, the attacker's successful login next to the denials, the alerts
//! the detection rules raise, next steps), and `--serve` keeps the
//! in-process Kafka and the endpoints up until Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};

fn demo(args: &[&str], out: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_siem-bridge"));
    c.arg("demo").args(args).arg("--out").arg(out);
    c
}

#[test]
fn the_summary_tells_the_story_and_what_to_try_next() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(&["--events", "50"], &dir.path().join("d"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "demo: --events 50 is below the minimum; generating 100\n",
        "demo: produced 100 audit records to an in-process Kafka",
        "demo: filter rules from examples/policy/reference.toml (F1-F3:",
        "(by the filter rules of examples/policy/reference.toml)",
        "the attack, from 203.0.113.66:\n     20  failed logins\n      1  successful login as User:sa-leak42 at ",
        "     31  denied requests after it, on sensitive-hr, sensitive-payments, sensitive-pii\n",
        "  critical  failed_logins_then_success    20 failed authentications from 203.0.113.66, then a successful one as User:sa-leak42",
        "  high      auth_bruteforce               20 failed authentications from 203.0.113.66",
        "  high      denial_burst                  31 denied User:sa-leak42 operations on sensitive resources",
        "\nnext steps:\n",
        "  siem-bridge demo --serve\n",
        "then `siem-bridge run` (README.md, \"Running it against Confluent Cloud\")",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    let help = Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .args(["demo", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.contains("at least 100"), "{help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_kafka_and_the_endpoints_up_until_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = demo(&["--events", "100", "--serve"], &dir.path().join("d"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut bootstrap, mut endpoints) = (None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("  Kafka bootstrap:") {
            bootstrap = rest.split_whitespace().next().map(str::to_owned);
        }
        if let Some(rest) = line.strip_prefix("  /metrics /health /ready:") {
            endpoints = Some(rest.trim().to_owned());
        }
        if line.starts_with("    siem-bridge detect ") {
            break;
        }
    }
    let (bootstrap, endpoints) = (bootstrap.unwrap(), endpoints.unwrap());
    // Still up after the summary: the endpoints answer, Kafka has the topic.
    let metrics = reqwest::get(format!("{endpoints}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("siem_bridge_events_read_total 100\n"),
        "{metrics}"
    );
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()
        .unwrap();
    let md = consumer
        .fetch_metadata(Some("confluent-audit-log-events"), Duration::from_secs(10))
        .unwrap();
    assert_eq!(md.topics()[0].partitions().len(), 3);
    // Ctrl-C ends it cleanly.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
