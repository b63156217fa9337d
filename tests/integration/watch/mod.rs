//! `siem-bridge watch` run as a user runs it, against librdkafka's mock
//! cluster: time ranges, query flags, exact NDJSON, nothing committed.

mod filters;
mod output;
mod tansu;

use std::time::Duration;

use siem_bridge::mock::MockKafka;

use crate::support::kafka::Sending::Pipelined;
use crate::support::kafka::{produce, Record, TOPIC};

/// What varies between test events.
#[derive(Clone)]
pub struct Ev {
    pub id: &'static str,
    pub principal: &'static str,
    pub granted: bool,
    pub topic: &'static str,
    pub ip: &'static str,
    pub method: &'static str,
}

impl Ev {
    pub fn new(id: &'static str) -> Ev {
        Ev {
            id,
            principal: "User:sa-1",
            granted: true,
            topic: "orders",
            ip: "198.51.100.1",
            method: "kafka.Produce",
        }
    }

    pub fn json(&self) -> String {
        format!(
            r#"{{"specversion":"1.0","id":"{id}","source":"crn://confluent.cloud/organization=o1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1","type":"io.confluent.kafka.server/authorization","time":"2025-03-04T09:05:00.318Z","data":{{"methodName":"{method}","resourceName":"crn://confluent.cloud/organization=o1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1/topic={topic}","authenticationInfo":{{"principal":"{principal}"}},"authorizationInfo":{{"granted":{granted},"operation":"Write","resourceType":"Topic","resourceName":"{topic}"}},"requestMetadata":{{"clientAddress":[{{"ip":"{ip}","port":50000}}]}}}}}}"#,
            id = self.id,
            method = self.method,
            topic = self.topic,
            principal = self.principal,
            granted = self.granted,
            ip = self.ip,
        )
    }
}

pub fn now_ms() -> i64 {
    siem_bridge::event::now_nanos() / 1_000_000
}

pub fn rfc3339(ms: i64) -> String {
    siem_bridge::event::time::format_rfc3339_nanos(ms * 1_000_000)
}

/// A mock cluster with the audit topic holding `records`.
pub async fn cluster(partitions: i32, records: &[Record]) -> (MockKafka, String) {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, partitions).unwrap();
    let bootstrap = kafka.bootstrap_servers();
    produce(&bootstrap, TOPIC, records, Pipelined).await;
    (kafka, bootstrap)
}

/// The binary with the environment a user would give it (no config file).
pub fn watch(bootstrap: &str, args: &[&str]) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_siem-bridge"));
    c.arg("watch")
        .args(args)
        .env("SIEM_BRIDGE_LOG", "warn")
        .env("CONFLUENT_BOOTSTRAP_SERVERS", bootstrap)
        .env_remove("CONFLUENT_API_KEY")
        .env_remove("CONFLUENT_API_SECRET")
        .env_remove("SIEM_BRIDGE_CONFIG")
        .env_remove("NO_COLOR")
        .kill_on_drop(true);
    c
}

/// Runs `watch` to completion (it must stop by itself: `--until`) and
/// returns its stdout lines.
pub async fn lines(bootstrap: &str, args: &[&str]) -> Vec<String> {
    let out = tokio::time::timeout(Duration::from_secs(60), watch(bootstrap, args).output())
        .await
        .expect("watch --until stops by itself")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The event ids of NDJSON lines; dead-letter lines as `DL:<offset>`.
pub fn ids(lines: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            match v["id"].as_str() {
                Some(id) => id.to_owned(),
                None => format!("DL:{}", v["dead_letter"]["kafka"]["offset"]),
            }
        })
        .collect();
    ids.sort();
    ids
}

/// A record for `partition` with Kafka timestamp `ts` (Unix ms).
fn rec(value: impl Into<Vec<u8>>, partition: i32, ts: i64) -> Record {
    Record {
        value: value.into(),
        partition,
        key: None,
        timestamp: Some(ts),
    }
}

const MIN: i64 = 60_000;

/// old (3 h ago, p0), mid (90 min, p1), new (10 min, p0), and a broken
/// record (5 min ago, p1, offset 1).
fn timeline(now: i64) -> Vec<Record> {
    vec![
        rec(Ev::new("old").json(), 0, now - 180 * MIN),
        rec(Ev::new("mid").json(), 1, now - 90 * MIN),
        rec(Ev::new("new").json(), 0, now - 10 * MIN),
        rec("{broken", 1, now - 5 * MIN),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_ranges_select_by_record_timestamp() {
    let now = now_ms();
    let (_kafka, b) = cluster(2, &timeline(now)).await;
    let all = ["DL:1", "mid", "new", "old"];
    assert_eq!(
        ids(&lines(&b, &["--json", "--from-beginning", "--until", "0s"]).await),
        all
    );
    assert_eq!(
        ids(&lines(&b, &["--json", "--since", "2h", "--until", "0s"]).await),
        ["DL:1", "mid", "new"]
    );
    let from = rfc3339(now - 100 * MIN);
    let until = rfc3339(now - 30 * MIN);
    assert_eq!(
        ids(&lines(&b, &["--json", "--from", &from, "--until", &until]).await),
        ["mid"]
    );
    assert_eq!(
        ids(&lines(&b, &["--json", "--from-beginning", "--until", "2h"]).await),
        ["old"]
    );
    // `--until` in the future stops at the end of what existed at start.
    let later = rfc3339(now + 600 * MIN);
    assert_eq!(
        ids(&lines(&b, &["--json", "--since", "1h", "--until", &later]).await),
        ["DL:1", "new"]
    );
    // Nothing in the range: stops at once with no output.
    assert!(lines(&b, &["--json", "--since", "1m", "--until", "0s"])
        .await
        .is_empty());
}

async fn next<R: tokio::io::AsyncBufRead + Unpin>(lines: &mut tokio::io::Lines<R>) -> String {
    tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("a line within 30 s")
        .unwrap()
        .expect("still running")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_live_until_ctrl_c() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let now = now_ms();
    let (_kafka, b) = cluster(2, &timeline(now)).await;
    let mut child = watch(&b, &["--json", "--since", "15m"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut first = vec![next(&mut out).await, next(&mut out).await];
    first.sort();
    assert!(first[0].contains("\"dead_letter\""), "{first:?}");
    assert!(first[1].contains("\"id\":\"new\""), "{first:?}");
    produce(
        &b,
        TOPIC,
        &[rec(Ev::new("live").json(), 1, now_ms())],
        Pipelined,
    )
    .await;
    assert!(next(&mut out).await.contains("\"id\":\"live\""));
    // SAFETY: signalling our own child by its pid.
    unsafe { libc::kill(child.id().unwrap() as i32, libc::SIGINT) };
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("stops on SIGINT")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2_and_say_which_flag() {
    let (_kafka, b) = cluster(1, &[]).await;
    for (args, expect) in [
        (&["--until", "1h"][..], "--since"),
        (&["--since", "2 hours"][..], "--since"),
        (
            &["--from-beginning", "--crn", "sensitive-*"][..],
            "KEY=GLOB",
        ),
        (&["--from-beginning", "--ip", "10.0.0.0/40"][..], "--ip"),
    ] {
        let out = watch(&b, args).output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
    }
}
