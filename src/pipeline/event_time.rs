//! How far each assigned partition has come in event time: the bound
//! that keeps the detector's watermark from running ahead of a partition
//! that is still catching up (`Detector::hold_watermark`).
//!
//! librdkafka hands over records partition by partition, a fetch at a
//! time: after a restart or an outage, one partition's backlog can be read
//! minutes (of event time) ahead of another's. The watermark is held at
//! the latest event time of the partition furthest behind, among those
//! that are *behind* (their read position below the high watermark
//! librdkafka last saw) and not idle (a record read, or the assignment,
//! within [`IDLE`]). A partition that is caught up holds nothing: what it
//! gets next is new.

use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer;
use rdkafka::{Offset, TopicPartitionList};

use crate::event::KafkaCoords;
use crate::kafka::{cached_watermarks, AuditConsumer};

/// A partition that yields nothing for this long holds nothing.
pub const IDLE: Duration = Duration::from_secs(10);

struct Source {
    topic: String,
    partition: i32,
    /// Latest event time read (`i64::MIN` before the first record).
    latest: i64,
    /// The last record read, or the assignment.
    progressed: Instant,
}

/// Per-partition event-time progress.
#[derive(Default)]
pub struct Progress {
    sources: Vec<Source>,
    last: usize,
}

impl Progress {
    /// Notes one record's event time.
    #[inline]
    pub fn note(&mut self, kafka: &KafkaCoords, time: i64) {
        let hit = self
            .sources
            .get(self.last)
            .is_some_and(|s| s.partition == kafka.partition && s.topic == kafka.topic);
        if !hit {
            match self
                .sources
                .iter()
                .position(|s| s.partition == kafka.partition && s.topic == kafka.topic)
            {
                Some(i) => self.last = i,
                None => {
                    self.sources.push(Source {
                        topic: kafka.topic.clone(),
                        partition: kafka.partition,
                        latest: i64::MIN,
                        progressed: Instant::now(),
                    });
                    self.last = self.sources.len() - 1;
                }
            }
        }
        let s = &mut self.sources[self.last];
        s.latest = s.latest.max(time);
        s.progressed = Instant::now();
    }

    /// The bound for the watermark now: the latest event time of the
    /// partition furthest behind (`i64::MIN` when one has not yielded a
    /// record yet, or before the first assignment), or `i64::MAX` when
    /// none is behind. `assigned` is the consumer's assignment, looked up
    /// once per tick by the caller (`None` when librdkafka gave none).
    pub fn hold(&mut self, consumer: &AuditConsumer, assigned: Option<&TopicPartitionList>) -> i64 {
        let assigned = match assigned {
            Some(a) if a.count() > 0 => a,
            _ => return i64::MIN,
        };
        let positions = consumer.position().ok();
        self.sources
            .retain(|s| assigned.find_partition(&s.topic, s.partition).is_some());
        let mut hold = i64::MAX;
        for e in assigned.elements() {
            let (topic, partition) = (e.topic(), e.partition());
            let i = match self
                .sources
                .iter()
                .position(|s| s.partition == partition && s.topic == topic)
            {
                Some(i) => i,
                None => {
                    self.sources.push(Source {
                        topic: topic.to_owned(),
                        partition,
                        latest: i64::MIN,
                        progressed: Instant::now(),
                    });
                    self.sources.len() - 1
                }
            };
            let position = positions
                .as_ref()
                .and_then(|p| p.find_partition(topic, partition))
                .and_then(|p| match p.offset() {
                    Offset::Offset(o) => Some(o),
                    _ => None,
                });
            let behind = match (position, cached_watermarks(consumer, topic, partition)) {
                (Some(at), Some((_, high))) => high > at,
                (None, Some((low, high))) => high > low,
                (_, None) => true, // not fetched yet
            };
            let s = &self.sources[i];
            if behind && s.progressed.elapsed() < IDLE {
                hold = hold.min(s.latest);
            }
        }
        self.last = 0;
        hold
    }
}
