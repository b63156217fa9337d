//! The Kafka side of `watch`: a consumer that never joins or commits to a
//! consumer group. Partitions are `assign`ed (not subscribed, so no group
//! is joined), auto-commit and offset storing are off and nothing calls
//! commit, and start offsets come from the watermarks or
//! `offsets_for_times`. librdkafka refuses `assign` without a `group.id`,
//! so it gets a throwaway one, never the configured `group_id`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::Message;
use rdkafka::{Offset, TopicPartitionList};

use crate::kafka::merge::{Lane, Merged};
use crate::kafka::KafkaConfig;

use super::range::{Range, Start};
use super::WatchError;

const TIMEOUT: Duration = Duration::from_secs(15);

/// One assigned partition and how far it has been read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub topic: String,
    pub partition: i32,
    /// The first offset read.
    pub start: i64,
    /// The high watermark when `watch` started: the end of catching up.
    pub high_at_start: i64,
    /// The next offset to read.
    pub next: i64,
    /// With `--until`: nothing more to show from this partition.
    pub done: bool,
}

impl Part {
    /// Records between the start and the high watermark at start.
    pub fn backlog(&self) -> u64 {
        (self.high_at_start - self.start).max(0) as u64
    }

    /// How many of those have been read.
    pub fn caught_up(&self) -> u64 {
        (self.next.min(self.high_at_start) - self.start).max(0) as u64
    }
}

/// The consumer settings: the `[kafka]` connection and security settings
/// and passthrough options, and nothing that involves a group.
pub fn consumer_config(
    kafka: &KafkaConfig,
    group: &str,
) -> Result<rdkafka::ClientConfig, WatchError> {
    let mut c = kafka.client_config()?;
    c.set("client.id", "siem-bridge-watch")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        // The end of a partition is news: the range reader stops waiting.
        .set("enable.partition.eof", "true")
        // A start offset that retention removed meanwhile: the oldest left.
        .set("auto.offset.reset", "earliest");
    kafka.set_prefetch(&mut c);
    for (k, v) in &kafka.librdkafka_options {
        c.set(k, v.expose());
    }
    // Reserved keys were refused by the config check; make sure anyway.
    c.set("group.id", group).set("enable.auto.commit", "false");
    Ok(c)
}

/// A group id no one else uses: `siem-bridge-watch-<16 hex digits>`.
pub fn throwaway_group() -> String {
    format!("siem-bridge-watch-{:016x}", fastrand::u64(..))
}

/// Creates the consumer, finds every partition of the configured topics,
/// resolves the start offsets and assigns them, each partition on a queue
/// of its own so that they are read merged by timestamp
/// ([`super::reader`]); without `--until` the reader follows live.
/// Returns the reader's partitions, the partitions and the throwaway
/// group id.
pub fn open(kafka: &KafkaConfig, range: &Range) -> Result<(Merged, Vec<Part>, String), WatchError> {
    let group = throwaway_group();
    let consumer: Arc<BaseConsumer> = Arc::new(
        consumer_config(kafka, &group)?
            .create()
            .map_err(WatchError::kafka("cannot create the Kafka consumer"))?,
    );
    let mut parts = Vec::new();
    let mut lows = Vec::new();
    for topic in &kafka.topics {
        let md = consumer
            .fetch_metadata(Some(topic), TIMEOUT)
            .map_err(|source| WatchError::Metadata {
                topic: topic.clone(),
                servers: kafka.bootstrap_servers.clone(),
                source: Box::new(source),
            })?;
        let t = md
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .filter(|t| t.error().is_none() && !t.partitions().is_empty())
            .ok_or_else(|| WatchError::NoTopic(topic.clone()))?;
        for p in t.partitions() {
            let (low, high) =
                consumer
                    .fetch_watermarks(topic, p.id(), TIMEOUT)
                    .map_err(WatchError::kafka(format!(
                        "watermarks of {topic}/{}",
                        p.id()
                    )))?;
            let start = match range.start {
                Start::Beginning => low,
                Start::End => high,
                Start::Time(_) => high, // resolved below, in one request
            };
            lows.push(low);
            parts.push(Part {
                topic: topic.clone(),
                partition: p.id(),
                start,
                high_at_start: high,
                next: start,
                done: false,
            });
        }
    }
    if let Start::Time(ms) = range.start {
        let mut tpl = TopicPartitionList::new();
        for p in &parts {
            tpl.add_partition_offset(&p.topic, p.partition, Offset::Offset(ms))
                .map_err(WatchError::Client)?;
        }
        let found = consumer
            .offsets_for_times(tpl, TIMEOUT)
            .map_err(WatchError::kafka("offsets for the start time"))?;
        for (p, low) in parts.iter_mut().zip(&lows) {
            match found
                .find_partition(&p.topic, p.partition)
                .map(|e| e.offset())
            {
                Some(Offset::Offset(o)) => {
                    p.start = o;
                    p.next = o;
                }
                // "No record at or after the time": start at the end, once
                // the newest record confirms it. A broker without a time
                // index (librdkafka's mock cluster) answers this for every
                // time; then read from the oldest record and let the
                // client-side time check skip what is too old.
                _ if p.high_at_start > *low => {
                    let newest = last_timestamp(kafka, &p.topic, p.partition, p.high_at_start)?;
                    if newest.is_some_and(|t| t >= ms) {
                        tracing::warn!(
                            message = "The broker found no offset for the start time, yet the newest record is later; reading the partition from its oldest record.",
                            topic = %p.topic,
                            partition = p.partition
                        );
                        p.start = *low;
                        p.next = *low;
                    }
                }
                _ => {}
            }
        }
    }
    if range.until.is_some() {
        for p in &mut parts {
            p.done = p.start >= p.high_at_start;
        }
    }
    let lanes = parts
        .iter()
        .map(|p| Lane {
            topic: p.topic.clone(),
            partition: p.partition,
            start: p.start,
            end: p.high_at_start,
        })
        .collect();
    let merged = Merged::assign(consumer, lanes, range.until.is_none())
        .map_err(WatchError::kafka("cannot assign the partitions"))?;
    Ok((merged, parts, group))
}

/// The timestamp of the record just below `high`, if it can be read.
fn last_timestamp(
    kafka: &KafkaConfig,
    topic: &str,
    partition: i32,
    high: i64,
) -> Result<Option<i64>, WatchError> {
    let consumer: BaseConsumer = consumer_config(kafka, &throwaway_group())?
        .create()
        .map_err(WatchError::kafka("cannot create the Kafka consumer"))?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Offset(high - 1))
        .map_err(WatchError::Client)?;
    consumer.assign(&tpl).map_err(WatchError::kafka(format!(
        "cannot assign {topic}/{partition}"
    )))?;
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            return Ok(m.timestamp().to_millis());
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
