//! `investigate --since/--from/--from-beginning` reading the audit topic
//! as `watch` does: on librdkafka's mock cluster (whose brokers cannot
//! look offsets up by time, so the range is cut on the client), and on
//! tansu, which answers ListOffsets by time (`support::tansu`).

use std::time::Duration;

use serde_json::Value;
use siem_bridge::mock::MockKafka;

use crate::support::kafka::{committed, produce, Record, Sending, TOPIC};
use crate::support::tansu::Tansu;

const MIN: i64 = 60_000;

fn now_ms() -> i64 {
    siem_bridge::event::now_nanos() / 1_000_000
}

/// The incident's events in partition 0, record timestamps `ts`. One
/// partition: the detector allows 30 s of disorder, and the mock cluster
/// hands out each partition's records in large batches.
fn incident_records(ts: i64) -> Vec<Record> {
    std::fs::read_to_string(super::incident())
        .unwrap()
        .lines()
        .map(|l| Record {
            value: l.as_bytes().to_vec(),
            partition: 0,
            key: None,
            timestamp: Some(ts),
        })
        .collect()
}

/// The incident's events dealt round-robin over `partitions`, each record
/// stamped with its event's time moved to `base` (the incident starts at
/// 2025-06-10T14:00:00Z): a producer that stamps records as events happen.
fn incident_spread(partitions: i32, base: i64) -> Vec<Record> {
    let start = siem_bridge::event::time::parse_rfc3339("2025-06-10T14:00:00Z").unwrap();
    std::fs::read_to_string(super::incident())
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let v: Value = serde_json::from_str(l).unwrap();
            let t = siem_bridge::event::time::parse_rfc3339(v["time"].as_str().unwrap()).unwrap();
            Record {
                value: l.as_bytes().to_vec(),
                partition: i as i32 % partitions,
                key: None,
                timestamp: Some(base + (t - start) / 1_000_000),
            }
        })
        .collect()
}

/// A routine event outside the incident, id `id`.
fn routine(id: &str, partition: i32, ts: i64) -> Record {
    let line = std::fs::read_to_string(super::incident())
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .replace("noise-0001-f2a752e6b438", id);
    Record {
        value: line.into_bytes(),
        partition,
        key: None,
        timestamp: Some(ts),
    }
}

/// Runs `investigate --json ARGS` against `bootstrap`: the report and
/// the log (JSON lines).
async fn run(bootstrap: &str, args: &[&str]) -> (Value, String) {
    let out = tokio::time::timeout(
        Duration::from_secs(90),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
            .arg("investigate")
            .arg("--json")
            .args(args)
            .env("SIEM_BRIDGE_LOG", "info")
            .env("SIEM_BRIDGE_LOG_FORMAT", "json")
            .env("CONFLUENT_BOOTSTRAP_SERVERS", bootstrap)
            .env_remove("CONFLUENT_API_KEY")
            .env_remove("CONFLUENT_API_SECRET")
            .env_remove("SIEM_BRIDGE_CONFIG")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("a range read stops by itself")
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

/// A field of the start log line: `partitions` is `(partition, start,
/// high)` of each partition, `throwaway_group` the group id librdkafka
/// was given.
fn start_log(log: &str, field: &str) -> String {
    log.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| {
            v["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Reading the range"))
        })
        .and_then(|v| v["fields"][field].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no start log line: {log}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_on_the_mock_cluster() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 2).unwrap();
    let b = kafka.bootstrap_servers();
    let now = now_ms();
    let mut records = vec![routine("old-1", 1, now - 180 * MIN)];
    records.extend(incident_records(now - 10 * MIN));
    produce(&b, TOPIC, &records, Sending::Pipelined).await;

    let (all, log) = run(&b, &["--from-beginning"]).await;
    // Nothing committed, for the group it had to name either.
    let group = start_log(&log, "throwaway_group");
    assert!(group.starts_with("siem-bridge-watch-"), "{group}");
    let offsets = committed(&b, &group, TOPIC, 2);
    assert!(offsets.values().all(Option::is_none), "{offsets:?}");
    assert_eq!(all["totals"]["events"], 473);
    assert_eq!(all["input"]["sources"][0], format!("kafka:{TOPIC}"));
    assert_eq!(all["chains"][0]["client"]["client_id"], "exfil");
    assert_eq!(all["chains"][0]["events"], 24);
    assert_eq!(all["totals"]["alerts"], 8);
    let step = &all["chains"][0]["steps"][0];
    assert!(step["kafka"].as_str().unwrap().starts_with(TOPIC), "{step}");

    // `--since 1h`: the record of three hours ago is left out.
    let (recent, _) = run(&b, &["--since", "1h", "--principal", "User:svc-*"]).await;
    assert_eq!(recent["totals"]["events"], 58);
    assert_eq!(recent["input"]["events"], 472);
    assert!(recent["input"]["range_from"].is_string());
    // `--until` before the incident: only the old record.
    let (old, _) = run(&b, &["--from-beginning", "--until", "1h"]).await;
    assert_eq!(old["totals"]["events"], 1);
}

/// The incident over three partitions: read merged by record timestamp,
/// the rules see the events in order and raise exactly the alerts they
/// raise over the file, and the chains are the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_merged_by_time_give_the_file_alerts() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 3).unwrap();
    let b = kafka.bootstrap_servers();
    let records = incident_spread(3, now_ms() - 30 * MIN);
    assert!((0..3).all(|p| records.iter().filter(|r| r.partition == p).count() > 150));
    produce(&b, TOPIC, &records, Sending::Pipelined).await;

    let (ranged, _) = run(&b, &["--from-beginning"]).await;
    let file = super::json(&[&super::incident()], None);
    assert_eq!(ranged["input"]["events"], 472);
    assert_eq!(file["totals"]["alerts"], 8);
    assert_eq!(ranged["totals"]["alerts"], file["totals"]["alerts"]);
    assert_eq!(ranged["alerts"], file["alerts"]);
    let chain = |r: &Value, f: &str| -> Vec<Value> {
        r["chains"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c[f].clone())
            .collect()
    };
    for field in ["client", "events", "denied", "auth_failed", "alerts"] {
        assert_eq!(
            chain(&ranged, field),
            chain(&file, field),
            "chains' {field}"
        );
    }
    // The exfiltration chain's steps in the same order as from the file.
    let ids = |r: &Value| -> Vec<Value> {
        r["chains"][0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].clone())
            .collect()
    };
    assert_eq!(ranged["chains"][0]["client"]["client_id"], "exfil");
    assert_eq!(ids(&ranged), ids(&file));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_lookup_on_tansu() {
    let tansu = Tansu::start();
    tansu.create_topic(TOPIC, 2);
    let b = &tansu.bootstrap;
    let now = now_ms();
    produce(
        b,
        TOPIC,
        &[
            routine("old-0", 0, now - 180 * MIN),
            routine("old-1", 1, now - 170 * MIN),
            routine("new-0", 0, now - 10 * MIN),
            routine("new-1", 1, now - 5 * MIN),
        ],
        Sending::OneAtATime,
    )
    .await;
    let (r, log) = run(b, &["--since", "1h"]).await;
    assert!(
        !log.contains("found no offset"),
        "the time lookup fell back to reading from the oldest record: {log}"
    );
    // The broker found offset 1 on both partitions: the old records were
    // never read.
    assert_eq!(start_log(&log, "partitions"), "[(0, 1, 2), (1, 1, 2)]");
    assert_eq!(r["input"]["records"], 2);
    assert_eq!(r["totals"]["events"], 2);
    drop(tansu);
}
