//! Kafka helpers: producing records (the one `produce`), numbered audit
//! events, reading committed offsets, a pipeline config for tests.

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

/// An in-process mock cluster whose audit topic already holds
/// `event(0..n)`, spread over `partitions` (`MockKafka::preload`'s order).
pub fn preloaded(n: usize, partitions: i32) -> siem_bridge::mock::MockKafka {
    let kafka = siem_bridge::mock::MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, partitions).unwrap();
    kafka.preload(TOPIC, partitions, &records(0..n)).unwrap();
    kafka
}

/// One record to produce.
pub struct Record {
    pub value: Vec<u8>,
    pub partition: i32,
    pub key: Option<String>,
    /// The record timestamp in ms since the epoch (default: now).
    pub timestamp: Option<i64>,
}

/// `values` spread round-robin over `partitions` partitions, key = index.
pub fn round_robin(partitions: i32, values: &[Vec<u8>]) -> Vec<Record> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| Record {
            value: v.clone(),
            partition: i as i32 % partitions,
            key: Some(i.to_string()),
            timestamp: None,
        })
        .collect()
}

/// How [`produce`] sends.
#[derive(Clone, Copy, PartialEq)]
pub enum Sending {
    /// Every record enqueued at once, in order (the mock cluster).
    Pipelined,
    /// Each record acknowledged before the next is sent (tansu).
    OneAtATime,
}

/// Produces `records` to `topic` in the order given, so offsets within a
/// partition follow that order, and waits for every ack. Returns where
/// each record landed: `(partition, offset)`, from the delivery reports.
/// No compression: tansu with sqlite storage cannot serve snappy. Records
/// up to 10 MB.
pub async fn produce(
    bootstrap: &str,
    topic: &str,
    records: &[Record],
    sending: Sending,
) -> Vec<(i32, i64)> {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .set("compression.type", "none")
        // Room for the bad-input tests' records of several MB.
        .set("message.max.bytes", "10000000")
        .create()
        .unwrap();
    let send = |r: &Record| {
        let mut record = FutureRecord::<String, _>::to(topic)
            .payload(&r.value)
            .partition(r.partition);
        if let Some(key) = &r.key {
            record = record.key(key);
        }
        if let Some(ts) = r.timestamp {
            record = record.timestamp(ts);
        }
        producer.send_result(record).map_err(|(e, _)| e).unwrap()
    };
    let mut landed = Vec::with_capacity(records.len());
    if sending == Sending::OneAtATime {
        for r in records {
            let d = send(r).await.unwrap().map_err(|(e, _)| e).unwrap();
            landed.push((d.partition, d.offset));
        }
    } else {
        let deliveries: Vec<_> = records.iter().map(send).collect();
        for d in futures::future::join_all(deliveries).await {
            let d = d.unwrap().map_err(|(e, _)| e).unwrap();
            landed.push((d.partition, d.offset));
        }
    }
    landed
}

/// Valid audit events `evt-<n>` for `range`, as record values.
pub fn records(range: std::ops::Range<usize>) -> Vec<Vec<u8>> {
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
        detect: None,
    }
}
