//! The group-less range reader that `watch` and `investigate` share: the
//! partitions opened by [`consume::open`] (no group joined, nothing
//! committed), read merged by record timestamp (`kafka::merge`), cut to
//! `--since/--from/--until`, with the catching-up bar over offsets.
//! Without `--until` it follows live once every partition has caught up.
//! Blocking.

use std::time::Duration;

use rdkafka::message::{Message, OwnedMessage};

use crate::kafka::merge::{Merged, Next};
use crate::kafka::KafkaConfig;

use super::consume::{self, Part};
use super::progress::Bar;
use super::{Range, WatchError};

/// What [`RangeReader::next`] found.
#[derive(Debug)]
pub enum Fetched {
    /// A record inside the range.
    Record(OwnedMessage),
    /// A record older than `--since/--from` (read, not shown).
    Early,
    /// Nothing within the wait.
    Idle,
    /// Every partition has reached the end of the range.
    End,
}

/// The range of every partition of the configured topics.
pub struct RangeReader {
    merged: Merged,
    parts: Vec<Part>,
    range: Range,
    bar: Bar,
    group: String,
}

impl RangeReader {
    /// Finds the partitions and their start offsets and assigns them;
    /// `progress`: draw the bar (only on a terminal).
    pub fn open(kafka: &KafkaConfig, range: &Range, progress: bool) -> Result<Self, WatchError> {
        let (merged, parts, group) = consume::open(kafka, range)?;
        let bar = Bar::new(progress, &parts);
        Ok(RangeReader {
            merged,
            parts,
            range: *range,
            bar,
            group,
        })
    }

    /// The partitions and how far each has been read.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The throwaway group id librdkafka was given (nothing is committed).
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The next record by timestamp across the partitions, waiting at
    /// most about `wait`.
    pub fn next(&mut self, wait: Duration) -> Result<Fetched, WatchError> {
        let bounded = self.range.until.is_some();
        loop {
            let m = match self.merged.next(wait)? {
                Next::Record(m) => m,
                Next::Idle => return Ok(Fetched::Idle),
                Next::End => return Ok(Fetched::End),
            };
            let Some(part) = self
                .parts
                .iter_mut()
                .find(|p| p.partition == m.partition() && p.topic == m.topic())
            else {
                continue;
            };
            part.next = m.offset() + 1;
            let timestamp = m.timestamp().to_millis();
            if self.range.past_until(timestamp) {
                part.done = true;
                self.merged.close(m.topic(), m.partition());
                self.bar.update(&self.parts);
                continue;
            }
            if bounded && part.next >= part.high_at_start {
                part.done = true;
            }
            self.bar.update(&self.parts);
            // Older than `--since/--from`: timestamps are not ordered
            // within a partition (and see `consume::open`).
            if self.range.before_start(timestamp) {
                return Ok(Fetched::Early);
            }
            return Ok(Fetched::Record(m));
        }
    }

    /// Runs `f` (which prints a line) with the bar hidden.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish();
    }
}
