//! Re-reading the recent past of the topics, up to a consumer group's
//! committed offsets, in timestamp order across partitions.
//!
//! `run` uses it at start to rebuild the detection rules' state: the
//! records its group already committed (their alerts were delivered
//! before the commit) are read again from `lookback` ago, and handed over
//! merged by Kafka timestamp, so that one partition read to its end does
//! not make another's older records look late.
//!
//! The reader joins no group and commits nothing: partitions are
//! `assign`ed, auto-commit is off, and the group id is used only to look
//! up the committed offsets.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::{Offset, TopicPartitionList};

use super::merge::{Lane, Merged, Next, Stalled};
use super::KafkaConfig;
use crate::secret::SecretError;

const TIMEOUT: Duration = Duration::from_secs(15);
/// A broker that cannot find offsets by time (librdkafka's mock cluster
/// answers "end" for every time) gets at most this many of each
/// partition's last records read, filtered by timestamp.
const FALLBACK_RECORDS: i64 = 100_000;

/// Why the re-read failed.
#[derive(Debug, thiserror::Error)]
pub enum LookbackError {
    /// `sasl_password_file` cannot be read: check the path.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A Kafka request failed: check that the brokers are reachable.
    #[error("{what}: {source}")]
    Kafka {
        what: String,
        #[source]
        source: KafkaError,
    },
    /// A partition stopped yielding records before its committed offset.
    #[error(transparent)]
    Stalled(#[from] Stalled),
}

fn kafka(what: impl Into<String>) -> impl FnOnce(KafkaError) -> LookbackError {
    let what = what.into();
    move |source| LookbackError::Kafka { what, source }
}

/// What a re-read covered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Covered {
    /// Partitions the topics have.
    pub partitions: usize,
    /// Records handed over.
    pub records: u64,
}

/// One partition's stretch: `[start, end)`.
struct Stretch {
    topic: String,
    partition: i32,
    start: i64,
    end: i64,
}

/// Reads every partition of `config.topics` from `lookback` ago up to
/// the group's committed offset (a partition without one is skipped) and
/// calls `on_record` for each record in timestamp order. Blocking.
pub fn read(
    config: &KafkaConfig,
    lookback: Duration,
    mut on_record: impl FnMut(&OwnedMessage),
) -> Result<Covered, LookbackError> {
    let mut c = config.client_config()?;
    c.set("client.id", "siem-bridge-restore")
        .set("auto.offset.reset", "earliest");
    config.set_prefetch(&mut c);
    for (k, v) in &config.librdkafka_options {
        c.set(k, v.expose());
    }
    c.set("group.id", &config.group_id)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true");
    let consumer: Arc<BaseConsumer> = Arc::new(c.create().map_err(kafka("Kafka consumer"))?);
    let since = crate::event::now_nanos() / 1_000_000 - lookback.as_millis() as i64;
    let (partitions, stretches) = plan(&consumer, config, since)?;
    let mut covered = Covered {
        partitions,
        records: 0,
    };
    if stretches.is_empty() {
        return Ok(covered);
    }
    let lanes = stretches
        .into_iter()
        .map(|s| Lane {
            topic: s.topic,
            partition: s.partition,
            start: s.start,
            end: s.end,
        })
        .collect();
    let mut merged = Merged::assign(consumer, lanes, false).map_err(kafka("assign"))?;
    loop {
        match merged.next(Duration::from_secs(1))? {
            Next::Record(m) => {
                if m.timestamp().to_millis().unwrap_or(i64::MAX) >= since {
                    covered.records += 1;
                    on_record(&m);
                }
            }
            Next::Idle => {}
            Next::End => break,
        }
    }
    Ok(covered)
}

/// The partitions of the topics, and the stretch to read of each.
fn plan(
    consumer: &BaseConsumer,
    config: &KafkaConfig,
    since_ms: i64,
) -> Result<(usize, Vec<Stretch>), LookbackError> {
    let mut all = TopicPartitionList::new();
    let mut times = TopicPartitionList::new();
    for topic in &config.topics {
        let md = consumer
            .fetch_metadata(Some(topic), TIMEOUT)
            .map_err(kafka(format!("metadata of {topic}")))?;
        for t in md.topics().iter().filter(|t| t.name() == topic) {
            for p in t.partitions() {
                all.add_partition(topic, p.id());
                times
                    .add_partition_offset(topic, p.id(), Offset::Offset(since_ms))
                    .map_err(kafka("partition list"))?;
            }
        }
    }
    let partitions = all.count();
    if partitions == 0 {
        return Ok((0, Vec::new()));
    }
    let committed = consumer
        .committed_offsets(all, TIMEOUT)
        .map_err(kafka(format!("committed offsets of {}", config.group_id)))?;
    let found = match consumer.offsets_for_times(times, TIMEOUT) {
        Ok(f) => Some(f),
        Err(KafkaError::OffsetFetch(RDKafkaErrorCode::UnsupportedVersion)) => None,
        Err(e) => return Err(kafka("offsets for the look-back time")(e)),
    };
    let mut out = Vec::new();
    for e in committed.elements() {
        let Offset::Offset(end) = e.offset() else {
            continue; // nothing committed: nothing was delivered before
        };
        let (topic, partition) = (e.topic().to_owned(), e.partition());
        let by_time = found
            .as_ref()
            .and_then(|f| f.find_partition(&topic, partition))
            .map(|f| f.offset());
        let start = match by_time {
            Some(Offset::Offset(o)) => o,
            _ => {
                let (low, _) = consumer
                    .fetch_watermarks(&topic, partition, TIMEOUT)
                    .map_err(kafka(format!("watermarks of {topic}/{partition}")))?;
                low.max(end - FALLBACK_RECORDS)
            }
        };
        if start < end {
            out.push(Stretch {
                topic,
                partition,
                start,
                end,
            });
        }
    }
    Ok((partitions, out))
}
