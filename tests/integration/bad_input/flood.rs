//! A flood of dead-letter records end to end on the mock cluster: 100,000
//! records that are not JSON among 100 good events. Every one is stored
//! with its reason before its offset is committed; the figures (time,
//! peak RSS) come from a child process.

use std::sync::Arc;
use std::time::Instant;

use siem_bridge::sink::Sink;

use super::{figure, is_child, peak_rss_kib, run_child};
use crate::support::kafka::{committed_total, config, event, TOPIC};
use crate::support::pipeline::Running;
use crate::support::sinks::MemorySink;
use crate::support::wait::{secs, wait_until, KAFKA_POLL};

const FLOOD: usize = 100_000;
const GOOD: usize = 100;
const PARTITIONS: i32 = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by dead_letter_flood_is_stored_in_bounded_memory in a child process"]
async fn child_dead_letter_flood() {
    if !is_child() {
        return;
    }
    let mut values: Vec<Vec<u8>> = (0..FLOOD)
        .map(|n| format!("not json {n}").into_bytes())
        .collect();
    // Good events spread through the flood.
    for n in 0..GOOD {
        values.insert(n * (FLOOD / GOOD), event(n).into_bytes());
    }
    let kafka = siem_bridge::mock::MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, PARTITIONS).unwrap();
    kafka.preload(TOPIC, PARTITIONS, &values).unwrap();
    let bs = kafka.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dl.ndjson");
    let mut cfg = config(&bs, "g-flood", &dl.to_string_lossy());
    cfg.pipeline.batch_max_events = 500;
    let sink = MemorySink::new("mem");
    let base = peak_rss_kib();
    let start = Instant::now();
    let run = Running::start(cfg, vec![sink.clone() as Arc<dyn Sink>]);
    let total = (FLOOD + GOOD) as i64;
    let done = async || committed_total(&bs, "g-flood", TOPIC, PARTITIONS) == total;
    assert!(wait_until(secs(240), KAFKA_POLL, done).await);
    let elapsed = start.elapsed();
    let summary = run.stop().await;
    assert_eq!(summary.unresolved, 0);
    assert_eq!(sink.ids().len(), GOOD);
    // Committed means stored: every flood record has its entry.
    let text = std::fs::read_to_string(&dl).unwrap();
    let mut offsets = std::collections::HashSet::new();
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["reason_code"], "not_json");
        assert!(v["raw"].as_str().unwrap().starts_with("not json "));
        let k = &v["kafka"];
        offsets.insert((
            k["partition"].as_i64().unwrap(),
            k["offset"].as_i64().unwrap(),
        ));
    }
    assert_eq!(offsets.len(), FLOOD, "one entry per record");
    println!(
        "flood records={FLOOD} secs_ms={} peak_kib={} base_kib={base}",
        elapsed.as_millis(),
        peak_rss_kib()
    );
}

#[test]
fn dead_letter_flood_is_stored_in_bounded_memory() {
    let out = run_child("bad_input::flood::child_dead_letter_flood");
    let peak = figure(&out, "peak_kib") / 1024;
    let ms = figure(&out, "secs_ms");
    eprintln!("dead-letter flood: {FLOOD} records in {ms} ms, peak RSS {peak} MiB");
    // Generous: the whole flood is ~1.5 MB of records; a process that kept
    // every entry or record would still pass, one that grew per record by
    // kilobytes would not.
    assert!(peak < 600, "{peak} MiB");
}
