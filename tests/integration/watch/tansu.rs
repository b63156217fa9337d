//! `watch --since/--from` against tansu, a Kafka-compatible broker that
//! answers ListOffsets by timestamp (librdkafka's mock cluster cannot, so
//! the other watch tests only reach the read-from-the-oldest fallback).
//! The broker comes from `support::tansu`.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::{ids, now_ms, rec, rfc3339, watch, Ev, MIN};
use crate::support::kafka::{produce, Sending, TOPIC};
use crate::support::tansu::Tansu;

/// The broker's answer to ListOffsets by `ms` for partitions 0 and 1.
fn offsets_for(bootstrap: &str, ms: i64) -> Vec<Offset> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "tansu-probe")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..2 {
        tpl.add_partition_offset(TOPIC, p, Offset::Offset(ms))
            .unwrap();
    }
    let found = consumer
        .offsets_for_times(tpl, Duration::from_secs(10))
        .unwrap();
    (0..2)
        .map(|p| found.find_partition(TOPIC, p).unwrap().offset())
        .collect()
}

/// Runs `watch` (bounded by `--until`) with JSON logs; returns the event
/// ids it printed and its start log's `(partition, start, high)` list.
async fn run(bootstrap: &str, args: &[&str]) -> (Vec<String>, String) {
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        watch(bootstrap, args)
            .env("SIEM_BRIDGE_LOG", "info")
            .env("SIEM_BRIDGE_LOG_FORMAT", "json")
            .output(),
    )
    .await
    .expect("watch --until stops by itself")
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(
        !stderr.contains("found no offset"),
        "the time lookup fell back to reading from the oldest record: {stderr}"
    );
    let parts = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| {
            v["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Watching"))
        })
        .and_then(|v| v["fields"]["partitions"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no start log line: {stderr}"));
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    (ids(&lines), parts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_and_from_start_where_the_broker_finds_the_time() {
    let tansu = Tansu::start();
    tansu.create_topic(TOPIC, 2);
    let b = &tansu.bootstrap;
    let now = now_ms();
    produce(
        b,
        TOPIC,
        &[
            rec(Ev::new("old").json(), 0, now - 180 * MIN),
            rec(Ev::new("new").json(), 0, now - 10 * MIN),
            rec(Ev::new("mid").json(), 1, now - 90 * MIN),
            rec(Ev::new("late").json(), 1, now - 5 * MIN),
        ],
        Sending::OneAtATime,
    )
    .await;

    // The premise: tansu answers ListOffsets by time with the first offset
    // at or after the time, per partition.
    let at = |o| Offset::Offset(o);
    assert_eq!(offsets_for(b, now - 60 * MIN), [at(1), at(1)]);
    assert_eq!(offsets_for(b, now - 120 * MIN), [at(1), at(0)]);
    assert_eq!(offsets_for(b, now - 200 * MIN), [at(0), at(0)]);

    // `--since`: both partitions start at offset 1 (of 2), so only the
    // later records are read at all.
    let (shown, parts) = run(b, &["--json", "--since", "1h", "--until", "0s"]).await;
    assert_eq!(shown, ["late", "new"]);
    assert_eq!(
        parts,
        "confluent-audit-log-events partition 0 from offset 1 (1 to catch up), confluent-audit-log-events partition 1 from offset 1 (1 to catch up)"
    );

    // `--from` … `--until`: p0 starts at `new`, p1 at `mid`; `new` and
    // `late` are past `--until`.
    let from = rfc3339(now - 120 * MIN);
    let until = rfc3339(now - 30 * MIN);
    let (shown, parts) = run(b, &["--json", "--from", &from, "--until", &until]).await;
    assert_eq!(shown, ["mid"]);
    assert_eq!(
        parts,
        "confluent-audit-log-events partition 0 from offset 1 (1 to catch up), confluent-audit-log-events partition 1 from offset 0 (2 to catch up)"
    );

    drop(tansu);
}
