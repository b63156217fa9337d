//! Partitions read merged by record timestamp: each assigned partition
//! gets a queue of its own, and the next record handed over is the oldest
//! head among them. A partition whose next record is known to exist (it
//! is below the partition's end) must show it before anything is handed
//! over, so that one partition read ahead does not make another's older
//! records look late to the detection rules (docs/detect.md, "Allowed
//! lateness").
//!
//! Used by the restart re-read ([`super::lookback`]) and by the
//! group-less range reader of `watch` and `investigate`. Following live
//! (`follow`): once a partition has reached its end, it no longer holds
//! the others back; records arriving later are handed over as they come.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, DefaultConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::{Offset, TopicPartitionList};

/// A partition that yields nothing for this long while records are
/// still expected stops the read.
pub const STALL: Duration = Duration::from_secs(60);
/// The longest wait on one partition's queue at a time.
const POLL: Duration = Duration::from_millis(100);

/// One partition to read: records `[start, end)` are expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    pub topic: String,
    pub partition: i32,
    pub start: i64,
    pub end: i64,
}

/// What [`Merged::next`] found.
#[derive(Debug)]
pub enum Next {
    /// The oldest record among the partitions' heads.
    Record(OwnedMessage),
    /// Nothing to hand over within the wait (following live, or records
    /// still on their way).
    Idle,
    /// Every partition reached its end (never when following).
    End,
}

/// A partition stopped yielding records before its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{topic}/{partition} yielded nothing for {STALL:?} before offset {end}")]
pub struct Stalled {
    pub topic: String,
    pub partition: i32,
    pub end: i64,
}

struct State {
    lane: Lane,
    queue: rdkafka::consumer::base_consumer::PartitionQueue<DefaultConsumerContext>,
    head: Option<OwnedMessage>,
    /// The next offset expected.
    next: i64,
    done: bool,
    progress: Instant,
}

impl State {
    /// Whether more records are known to exist and none is at hand.
    fn holds_back(&self) -> bool {
        !self.done && self.head.is_none() && self.next < self.lane.end
    }
}

/// The merged reader (blocking).
pub struct Merged {
    consumer: Arc<BaseConsumer>,
    states: Vec<State>,
    follow: bool,
}

impl Merged {
    /// Splits a queue off for each lane and assigns the lanes at their
    /// start offsets. Without `follow`, a lane is done at its end.
    pub fn assign(
        consumer: Arc<BaseConsumer>,
        lanes: Vec<Lane>,
        follow: bool,
    ) -> Result<Merged, KafkaError> {
        let mut tpl = TopicPartitionList::new();
        let mut states = Vec::with_capacity(lanes.len());
        for lane in lanes {
            let queue = consumer
                .split_partition_queue(&lane.topic, lane.partition)
                .expect("topic names have no NUL");
            tpl.add_partition_offset(&lane.topic, lane.partition, Offset::Offset(lane.start))?;
            states.push(State {
                next: lane.start,
                done: !follow && lane.start >= lane.end,
                lane,
                queue,
                head: None,
                progress: Instant::now(),
            });
        }
        consumer.assign(&tpl)?;
        Ok(Merged {
            consumer,
            states,
            follow,
        })
    }

    /// The next record in timestamp order, waiting at most about `wait`
    /// for one (longer only while a partition's queue is polled).
    pub fn next(&mut self, wait: Duration) -> Result<Next, Stalled> {
        let deadline = Instant::now() + wait;
        loop {
            // Serves the consumer's events (errors, statistics).
            let _ = self.consumer.poll(Duration::ZERO);
            let mut held = false;
            for s in self
                .states
                .iter_mut()
                .filter(|s| !s.done && s.head.is_none())
            {
                let must = s.next < s.lane.end;
                let timeout = if must {
                    POLL.min(deadline.saturating_duration_since(Instant::now()))
                } else {
                    Duration::ZERO
                };
                match s.queue.poll(timeout) {
                    Some(Ok(m)) => {
                        s.progress = Instant::now();
                        if !self.follow && m.offset() >= s.lane.end {
                            s.done = true;
                        } else {
                            s.head = Some(m.detach());
                        }
                    }
                    Some(Err(KafkaError::PartitionEOF(_))) => {
                        // Nothing more there now (e.g. the end was a
                        // transaction marker): no longer expected.
                        s.lane.end = s.lane.end.min(s.next);
                        s.done = !self.follow;
                    }
                    Some(Err(e)) => tracing::debug!(message = "Kafka read error.", error = %e),
                    None if must && s.progress.elapsed() > STALL => {
                        return Err(Stalled {
                            topic: s.lane.topic.clone(),
                            partition: s.lane.partition,
                            end: s.lane.end,
                        })
                    }
                    None => {}
                }
                held |= s.holds_back();
            }
            if !held {
                let oldest = self
                    .states
                    .iter_mut()
                    .filter(|s| s.head.is_some())
                    .min_by_key(|s| {
                        let m = s.head.as_ref().expect("filtered");
                        m.timestamp().to_millis().unwrap_or(i64::MAX)
                    });
                if let Some(s) = oldest {
                    let m = s.head.take().expect("filtered");
                    s.next = m.offset() + 1;
                    if !self.follow && s.next >= s.lane.end {
                        s.done = true;
                    }
                    return Ok(Next::Record(m));
                }
                if self.states.iter().all(|s| s.done) {
                    return Ok(Next::End);
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Next::Idle);
            }
            if !held {
                // Following live with nothing at hand: do not spin.
                std::thread::sleep((deadline - now).min(Duration::from_millis(10)));
            }
        }
    }

    /// Nothing more is wanted from this partition (e.g. past `--until`).
    pub fn close(&mut self, topic: &str, partition: i32) {
        for s in &mut self.states {
            if s.lane.partition == partition && s.lane.topic == topic {
                s.done = true;
                s.head = None;
            }
        }
    }
}
