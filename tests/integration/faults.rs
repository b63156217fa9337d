//! Kafka-side faults: a rebalance while batches are in flight (K2), offset
//! commit errors and a broker outage (K8); cases of `docs/sinks.md` §6.1.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use siem_bridge::mock::MockKafka;
use siem_bridge::sink::Sink;

use crate::support::kafka::Sending::Pipelined;
use crate::support::kafka::*;
use crate::support::pipeline::Running;
use crate::support::sinks::MemorySink;
use crate::support::wait::{secs, wait_until, KAFKA_POLL};

fn all(n: usize) -> HashSet<String> {
    (0..n).map(|i| format!("evt-{i}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k2_rebalance_with_a_second_consumer_loses_nothing() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 6).unwrap();
    let bs = kafka.bootstrap_servers();
    let n = 6000;
    produce(&bs, TOPIC, &round_robin(6, &records(0..n)), Pipelined).await;
    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dl.ndjson").to_string_lossy().into_owned();
    let mut cfg = config(&bs, "g-k2", &dl);
    cfg.pipeline.batch_max_events = 20;
    cfg.kafka.session_timeout_ms = 3_000;
    cfg.pipeline.shutdown_timeout_ms = 1_000;
    let a = MemorySink::new("mem");
    *a.delay.lock().unwrap() = Duration::from_millis(100);
    let b = MemorySink::new("mem");
    *b.delay.lock().unwrap() = Duration::from_millis(100);
    let first = Running::start(cfg.clone(), vec![a.clone() as Arc<dyn Sink>]);
    assert!(wait_until(secs(20), KAFKA_POLL, async || a.ids().len() > 300).await);
    eprintln!(
        "k2: committed before the second member: {:?}",
        committed(&bs, "g-k2", TOPIC, 6)
    );
    // A second member joins while the first has batches in flight.
    let second = Running::start(cfg, vec![b.clone() as Arc<dyn Sink>]);
    let done = async || committed_total(&bs, "g-k2", TOPIC, 6) == n as i64;
    assert!(wait_until(secs(60), KAFKA_POLL, done).await);
    first.stop().await;
    second.stop().await;
    assert!(!b.ids().is_empty(), "the second member got partitions");
    let union: HashSet<String> = a.ids().union(&b.ids()).cloned().collect();
    assert_eq!(union, all(n), "0 missing");
    let dups = a.ids().intersection(&b.ids()).count() + a.duplicates() + b.duplicates();
    eprintln!(
        "k2: {} by first, {} by second, {dups} duplicates",
        a.ids().len(),
        b.ids().len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k8_offset_commit_errors_and_broker_down_up_lose_nothing() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 2).unwrap();
    let bs = kafka.bootstrap_servers();
    kafka.cluster().request_errors(
        RDKafkaApiKey::OffsetCommit,
        &[
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        ],
    );
    produce(&bs, TOPIC, &round_robin(2, &records(0..500)), Pipelined).await;
    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dl.ndjson").to_string_lossy().into_owned();
    let sink = MemorySink::new("mem");
    let run = Running::start(
        config(&bs, "g-k8", &dl),
        vec![sink.clone() as Arc<dyn Sink>],
    );
    assert!(wait_until(secs(30), KAFKA_POLL, async || sink.ids().len() == 500).await);
    kafka.cluster().broker_down(1).unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    kafka.cluster().broker_up(1).unwrap();
    produce(&bs, TOPIC, &round_robin(2, &records(500..1000)), Pipelined).await;
    let done = async || committed_total(&bs, "g-k8", TOPIC, 2) == 1000;
    assert!(wait_until(secs(60), KAFKA_POLL, done).await);
    run.stop().await;
    assert_eq!(sink.ids(), all(1000), "0 missing");
    eprintln!("k8: {} duplicates", sink.duplicates());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k7_sink_stall_longer_than_max_poll_interval_keeps_the_group() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 2).unwrap();
    let bs = kafka.bootstrap_servers();
    produce(&bs, TOPIC, &round_robin(2, &records(0..300)), Pipelined).await;
    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dl.ndjson").to_string_lossy().into_owned();
    let mut cfg = config(&bs, "g-k7", &dl);
    cfg.kafka.session_timeout_ms = 3_000;
    cfg.kafka.max_poll_interval_ms = 3_000;
    cfg.pipeline.shutdown_timeout_ms = 1_000;
    cfg.pipeline.max_in_flight_bytes = 60_000;
    cfg.pipeline.batch_max_bytes = 20_000;
    let sink = MemorySink::new("mem");
    sink.stall_on("evt-0");
    let run = Running::start(cfg, vec![sink.clone() as Arc<dyn Sink>]);
    assert!(wait_until(secs(20), KAFKA_POLL, async || run.assignments() == 1).await);
    // Stalled for three times max.poll.interval.ms, with intake paused.
    tokio::time::sleep(Duration::from_secs(9)).await;
    assert_eq!(run.assignments(), 1, "no eviction, no rebalance");
    sink.release();
    let done = async || committed_total(&bs, "g-k7", TOPIC, 2) == 300;
    assert!(wait_until(secs(30), KAFKA_POLL, done).await);
    run.stop().await;
    assert_eq!(sink.ids(), all(300));
    assert_eq!(sink.duplicates(), 0, "no duplicate storm");
}
