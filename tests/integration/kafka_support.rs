//! Kafka helpers for pipeline tests: a mock cluster per test, producing
//! numbered audit events, reading committed offsets, a test config.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use siem_bridge::config::Config;
use siem_bridge::kafka::{KafkaConfig, OffsetReset};
use siem_bridge::pipeline::dead_letter::DeadLetterConfig;
use siem_bridge::pipeline::PipelineConfig;
use siem_bridge::policy::Policy;

pub const TOPIC: &str = "confluent-audit-log-events";

/// A valid audit event whose CloudEvents id is `evt-<n>`.
pub fn event(n: usize) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"evt-{n}","source":"crn://confluent.cloud/organization=o1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1","type":"io.confluent.kafka.server/authorization","time":"2025-03-04T09:05:00.318Z","data":{{"methodName":"kafka.CreateTopics","resourceName":"crn://confluent.cloud/organization=o1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1/topic=t{n}","authenticationInfo":{{"principal":"User:sa-{n}"}},"authorizationInfo":{{"granted":true,"operation":"Create","resourceType":"Topic","resourceName":"t{n}"}},"requestMetadata":{{"request_id":172320804099726286}}}}}}"#
    )
}

/// Produces `records` (key = index) to `topic`, round-robin over
/// `partitions` partitions, and waits for every ack.
pub async fn produce(bootstrap: &str, topic: &str, partitions: i32, records: &[Vec<u8>]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .create()
        .unwrap();
    let sends = records.iter().enumerate().map(|(i, r)| {
        let producer = &producer;
        let key = i.to_string();
        async move {
            producer
                .send(
                    FutureRecord::to(topic)
                        .key(&key)
                        .payload(r)
                        .partition(i as i32 % partitions),
                    Duration::from_secs(10),
                )
                .await
                .map_err(|(e, _)| e)
                .unwrap();
        }
    });
    futures::future::join_all(sends).await;
}

pub fn events(range: std::ops::Range<usize>) -> Vec<Vec<u8>> {
    range.map(|n| event(n).into_bytes()).collect()
}

/// The committed offset of each partition for `group` (None if none).
pub fn committed(
    bootstrap: &str,
    group: &str,
    topic: &str,
    partitions: i32,
) -> BTreeMap<i32, Option<i64>> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let got = c.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
    got.elements()
        .iter()
        .map(|e| {
            let o = match e.offset() {
                Offset::Offset(o) => Some(o),
                _ => None,
            };
            (e.partition(), o)
        })
        .collect()
}

/// Sum of committed offsets (records committed past, when offsets start at 0).
pub fn committed_total(bootstrap: &str, group: &str, topic: &str, partitions: i32) -> i64 {
    committed(bootstrap, group, topic, partitions)
        .values()
        .map(|o| o.unwrap_or(0))
        .sum()
}

/// A config for tests: quick timeouts, `auto.offset.reset = error` so a
/// lost record cannot hide behind a reset.
pub fn config(bootstrap: &str, group: &str, dl_path: &str) -> Config {
    Config {
        kafka: KafkaConfig {
            bootstrap_servers: bootstrap.to_owned(),
            group_id: group.to_owned(),
            session_timeout_ms: 6_000,
            commit_interval_ms: 100,
            max_poll_interval_ms: 10_000,
            auto_offset_reset: OffsetReset::Earliest,
            ..Default::default()
        },
        pipeline: PipelineConfig {
            batch_max_events: 50,
            batch_linger_ms: 20,
            retry_initial_ms: 10,
            retry_max_ms: 200,
            misconfigured_retry_ms: 50,
            shutdown_timeout_ms: 3_000,
            ..Default::default()
        },
        dead_letter: DeadLetterConfig {
            path: Some(dl_path.to_owned()),
            ..Default::default()
        },
        sinks: Vec::new(),
        policy: Policy::default(),
        observability: siem_bridge::observe::ObservabilityConfig::disabled(),
    }
}

/// Polls `cond` every 20 ms for up to `secs` seconds.
pub async fn wait_for(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}
