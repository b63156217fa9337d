//! The whole path: 10,000 audit events in librdkafka's mock cluster →
//! pipeline → Splunk HEC sink → fake HEC with faults. Every id must arrive,
//! and the committed offset may only ever cover events the fake accepted
//! (with acks on: events whose ackId it reported `true`).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use siem_bridge::mock::MockKafka;
use siem_bridge::sink::splunk_hec::SplunkHecSink;
use siem_bridge::sink::Sink;

use super::config;
use crate::support::hec::{FakeHec, Fault, HecOptions};
use crate::support::kafka::Sending::Pipelined;
use crate::support::kafka::{committed, produce, records, round_robin, TOPIC};
use crate::support::pipeline::Running;

const N: usize = 10_000;

/// Partitions: the mock broker keeps at most 5 MiB per partition and
/// silently drops older records (`docs/test-infra.md` §1), so 10,000 events of
/// about 1 KB are spread over 8.
const PARTITIONS: i32 = 8;

/// Produces `records` round-robin and returns, per partition, the index of
/// the record at each offset (from the delivery reports).
async fn produce_mapped(bootstrap: &str, records: &[Vec<u8>]) -> Vec<Vec<usize>> {
    let landed = produce(
        bootstrap,
        TOPIC,
        &round_robin(PARTITIONS, records),
        Pipelined,
    )
    .await;
    let mut at: Vec<Vec<Option<usize>>> = vec![Vec::new(); PARTITIONS as usize];
    for (n, (partition, offset)) in landed.into_iter().enumerate() {
        let slots = &mut at[partition as usize];
        if slots.len() <= offset as usize {
            slots.resize(offset as usize + 1, None);
        }
        slots[offset as usize] = Some(n);
    }
    at.into_iter()
        .map(|p| p.into_iter().map(|n| n.expect("dense offsets")).collect())
        .collect()
}

/// Runs the pipeline until everything is committed, checking on the way
/// that no commit ever passes an event the fake has not confirmed.
async fn run(hec: &FakeHec, extra: &str, group: &str, confirmed: impl Fn(&FakeHec) -> Vec<String>) {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, PARTITIONS).unwrap();
    let bs = kafka.bootstrap_servers();
    let at = produce_mapped(&bs, &records(0..N)).await;
    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dl.ndjson");
    let mut cfg = crate::support::kafka::config(&bs, group, &dl.to_string_lossy());
    cfg.pipeline.batch_max_events = 500;
    let sink = Arc::new(SplunkHecSink::new(&config(hec, extra), "hec".into()).unwrap());
    let running = Running::start(cfg, vec![sink.clone() as Arc<dyn Sink>]);
    let mut checks = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let offsets = committed(&bs, group, TOPIC, PARTITIONS);
        let seen: HashSet<String> = confirmed(hec).into_iter().collect();
        let mut total = 0;
        for (p, offset) in offsets {
            let offset = offset.unwrap_or(0) as usize;
            total += offset;
            // A committed offset names every record below it as done.
            let missing = at[p as usize][..offset]
                .iter()
                .find(|&&n| !seen.contains(&format!("evt-{n}")));
            assert_eq!(
                missing, None,
                "partition {p}: offset {offset} committed past an unconfirmed event"
            );
        }
        checks += 1;
        if total == N {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "stuck at {total} of {N} committed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let summary = running.stop().await;
    assert_eq!(summary.unresolved, 0);
    assert!(
        checks > 2,
        "the commit was watched while it moved ({checks} checks)"
    );
    let indexed: HashSet<String> = hec.indexed_ids().into_iter().collect();
    assert_eq!(indexed.len(), N, "every id received");
    assert!((0..N).all(|n| indexed.contains(&format!("evt-{n}"))));
    assert!(
        !dl.exists() || std::fs::read_to_string(&dl).unwrap().is_empty(),
        "nothing dead-lettered"
    );
    let stats = sink.stats();
    assert!(
        stats.possible_duplicates > 0,
        "the faults did cause resends: {stats:?}"
    );
}

fn faults() -> Vec<Fault> {
    vec![
        Fault::busy(),
        Fault::ResetAfterIndexing,
        Fault::code(500, 8, "Internal server error"),
        Fault::Delay(Duration::from_millis(1500)),
        Fault::html(502),
        Fault::Reply {
            status: 429,
            body: r#"{"text":"HEC queue at capacity","code":26}"#.to_owned(),
            retry_after: Some(1),
        },
        Fault::code(403, 4, "Invalid token"),
        Fault::ResetAfterIndexing,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_10000_events_through_faults_commit_only_after_acceptance() {
    let hec = FakeHec::start(HecOptions {
        keep_bodies: false,
        ..HecOptions::default()
    })
    .await;
    hec.push_faults(faults());
    run(
        &hec,
        "request_timeout_ms = 500",
        "g-hec",
        FakeHec::indexed_ids,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_10000_events_with_acks_commit_only_after_ack_true() {
    let hec = FakeHec::start(HecOptions {
        acks: true,
        keep_bodies: false,
        ..HecOptions::default()
    })
    .await;
    hec.push_faults(faults());
    hec.set_false_polls(3);
    hec.never_ack([2, 5]);
    let extra = "request_timeout_ms = 500\nacknowledgements = true\nack_timeout_ms = 400";
    run(&hec, extra, "g-hec-ack", FakeHec::acked_ids).await;
    assert!(hec.ack_queries().len() > 3);
}
