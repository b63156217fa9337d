//! The Kafka side of `watch`: a consumer that never joins or commits to a
//! consumer group. Partitions are `assign`ed (not subscribed), there is no
//! `group.id`, auto-commit is off, and start offsets come from the
//! watermarks or `offsets_for_times`.

use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};

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
pub fn consumer_config(kafka: &KafkaConfig) -> Result<rdkafka::ClientConfig, WatchError> {
    let mut c = kafka.client_config().map_err(WatchError::Kafka)?;
    c.set("client.id", "siem-bridge-watch")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "false")
        // A start offset that retention removed meanwhile: the oldest left.
        .set("auto.offset.reset", "earliest")
        .set(
            "queued.max.messages.kbytes",
            kafka.prefetch_kbytes.to_string(),
        );
    for (k, v) in &kafka.librdkafka_options {
        c.set(k, v);
    }
    // Reserved keys were refused by the config check; make sure anyway.
    c.remove("group.id");
    c.set("enable.auto.commit", "false");
    Ok(c)
}

/// Creates the consumer, finds every partition of the configured topics,
/// resolves the start offsets and assigns them.
pub fn open(kafka: &KafkaConfig, range: &Range) -> Result<(StreamConsumer, Vec<Part>), WatchError> {
    let consumer: StreamConsumer = consumer_config(kafka)?
        .create()
        .map_err(|e| WatchError::Kafka(format!("cannot create the Kafka consumer: {e}")))?;
    let mut parts = Vec::new();
    for topic in &kafka.topics {
        let md = consumer
            .fetch_metadata(Some(topic), TIMEOUT)
            .map_err(|e| WatchError::Kafka(format!("metadata of {topic}: {e}")))?;
        let t = md
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .filter(|t| t.error().is_none() && !t.partitions().is_empty())
            .ok_or_else(|| {
                WatchError::Kafka(format!(
                    "topic {topic} does not exist or is not readable with these credentials"
                ))
            })?;
        for p in t.partitions() {
            let (low, high) = consumer
                .fetch_watermarks(topic, p.id(), TIMEOUT)
                .map_err(|e| WatchError::Kafka(format!("watermarks of {topic}/{}: {e}", p.id())))?;
            let start = match range.start {
                Start::Beginning => low,
                Start::End => high,
                Start::Time(_) => high, // resolved below, in one request
            };
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
                .map_err(|e| WatchError::Kafka(e.to_string()))?;
        }
        let found = consumer
            .offsets_for_times(tpl, TIMEOUT)
            .map_err(|e| WatchError::Kafka(format!("offsets for the start time: {e}")))?;
        for p in &mut parts {
            // `End`: no record at or after the time; start at the end.
            if let Some(Offset::Offset(o)) = found
                .find_partition(&p.topic, p.partition)
                .map(|e| e.offset())
            {
                p.start = o;
                p.next = o;
            }
        }
    }
    if range.until.is_some() {
        for p in &mut parts {
            p.done = p.start >= p.high_at_start;
        }
    }
    let mut tpl = TopicPartitionList::new();
    for p in &parts {
        tpl.add_partition_offset(&p.topic, p.partition, Offset::Offset(p.start))
            .map_err(|e| WatchError::Kafka(e.to_string()))?;
    }
    consumer
        .assign(&tpl)
        .map_err(|e| WatchError::Kafka(format!("cannot assign the partitions: {e}")))?;
    Ok((consumer, parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_group_and_no_commits_whatever_the_options() {
        let mut k = KafkaConfig {
            bootstrap_servers: "b:9092".into(),
            ..Default::default()
        };
        k.librdkafka_options
            .insert("fetch.min.bytes".into(), "1".into());
        let c = consumer_config(&k).unwrap();
        assert_eq!(c.get("group.id"), None);
        assert_eq!(c.get("enable.auto.commit"), Some("false"));
        assert_eq!(c.get("enable.auto.offset.store"), Some("false"));
        assert_eq!(c.get("fetch.min.bytes"), Some("1"));
    }

    #[test]
    fn progress_counts() {
        let mut p = Part {
            topic: "t".into(),
            partition: 0,
            start: 10,
            high_at_start: 30,
            next: 10,
            done: false,
        };
        assert_eq!((p.backlog(), p.caught_up()), (20, 0));
        p.next = 25;
        assert_eq!(p.caught_up(), 15);
        p.next = 99;
        assert_eq!(p.caught_up(), 20);
    }
}
