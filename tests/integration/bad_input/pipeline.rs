//! End to end on librdkafka's mock cluster: a 4 MB record (the largest
//! this test sends: the mock keeps at most ~5 MiB per partition), 100,000
//! levels of nesting, invalid UTF-8 and an unterminated 100 KB of `[`
//! among good events. Each is dead-lettered with its reason, and while the
//! dead-letter store fails nothing is committed past the first of them.

use std::sync::Arc;
use std::time::Duration;

use siem_bridge::mock::MockKafka;
use siem_bridge::sink::Sink;

use super::huge::big_event;
use crate::support::kafka::{
    committed, config, event, produce, round_robin, Sending::OneAtATime, TOPIC,
};
use crate::support::pipeline::Running;
use crate::support::sinks::MemorySink;
use crate::support::wait::{secs, wait_until, KAFKA_POLL};

/// The big record: over the default 1 MiB `max_record_bytes`.
const BIG: usize = 4_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_records_at_scale_wait_for_their_dead_letter_entry() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 1).unwrap();
    let bs = kafka.bootstrap_servers();
    let mut values: Vec<Vec<u8>> = (0..10).map(|n| event(n).into_bytes()).collect();
    values.push(big_event("big", BIG)); // offset 10
    let n = 100_000;
    values.push(
        format!(
            r#"{{"specversion":"1.0","id":"deep","source":"s","type":"io.confluent.x","data":{{"x":{}1{}}}}}"#,
            "[".repeat(n),
            "]".repeat(n)
        )
        .into_bytes(),
    ); // 11
    let mut bad_utf8 = event(999).into_bytes();
    bad_utf8[40] = 0xc3; // a lead byte without its continuation
    values.push(bad_utf8); // 12
    values.push(vec![b'['; 100_000]); // 13
    values.extend((10..20).map(|n| event(n).into_bytes())); // 14..24
                                                            // One at a time: offsets follow the order.
    produce(&bs, TOPIC, &round_robin(1, &values), OneAtATime).await;

    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dl.ndjson");
    // The dead-letter path is a directory for now: every write fails.
    std::fs::create_dir(&dl).unwrap();
    let mut cfg = config(&bs, "g-bad-scale", &dl.to_string_lossy());
    cfg.pipeline.batch_max_events = 10;
    let sink = MemorySink::new("mem");
    let run = Running::start(cfg, vec![sink.clone() as Arc<dyn Sink>]);

    assert!(wait_until(secs(30), KAFKA_POLL, async || sink.ids().len() == 20).await);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        committed(&bs, "g-bad-scale", TOPIC, 1)[&0],
        Some(10),
        "nothing committed past the big record before its entry is stored"
    );
    assert!(run.with(|h| h.stats.dead_letter_error()).is_some());

    // The store comes back: every bad record is written, then committed.
    std::fs::remove_dir(&dl).unwrap();
    let done = async || committed(&bs, "g-bad-scale", TOPIC, 1)[&0] == Some(24);
    assert!(wait_until(secs(30), KAFKA_POLL, done).await);
    let summary = run.stop().await;
    assert_eq!(summary.unresolved, 0);

    let text = std::fs::read_to_string(&dl).unwrap();
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Entries of different batches are written in the order their
    // retries succeed, not by offset.
    lines.sort_by_key(|l| l["kafka"]["offset"].as_i64());
    let got: Vec<(i64, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["kafka"]["offset"].as_i64().unwrap(),
                l["reason_code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (10, "too_large"),
            (11, "too_deep"),
            (12, "not_utf8"),
            (13, "too_deep")
        ]
    );
    assert_eq!(lines[0]["raw"].as_str().unwrap().len(), BIG);
    assert!(lines[0]["reason"]
        .as_str()
        .unwrap()
        .contains("4000000 bytes"));
    assert!(lines[2]["raw_base64"].is_string());
    let ids = sink.ids();
    assert_eq!(ids.len(), 20);
    assert!((0..20).all(|n| ids.contains(&format!("evt-{n}"))));
}
