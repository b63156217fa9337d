//! The tracker's state behind its lock: per topic, per partition, the
//! window of records from the first unresolved one to the last read.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// One record read from a partition and not yet popped off its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Record {
    /// The record's Kafka offset.
    pub offset: i64,
    /// Delivered to every sink, filtered out, or dead-lettered.
    pub resolved: bool,
    /// The record value's size, counted against `max_in_flight_bytes`.
    pub bytes: usize,
    /// The record's Kafka timestamp in ms, for retention headroom.
    pub timestamp_ms: Option<i64>,
}

/// One assigned partition.
#[derive(Debug)]
pub(super) struct Partition {
    /// The assignment this state belongs to; tickets of other epochs are
    /// ignored.
    pub epoch: u64,
    /// Records from the first unresolved one to the last read, in offset
    /// order.
    pub pending: VecDeque<Record>,
    /// The next offset to store once everything before it is resolved.
    pub next: Option<i64>,
    /// What was last stored.
    pub stored: Option<i64>,
}

impl Partition {
    /// A partition just assigned (or first seen) in `epoch`.
    pub fn new(epoch: u64) -> Partition {
        Partition {
            epoch,
            pending: VecDeque::new(),
            next: None,
            stored: None,
        }
    }

    /// The oldest record not yet resolved.
    pub fn first_unresolved(&self) -> Option<&Record> {
        self.pending.iter().find(|r| !r.resolved)
    }

    /// Bytes of every record in the window.
    pub fn pending_bytes(&self) -> usize {
        self.pending.iter().map(|r| r.bytes).sum()
    }
}

/// The partitions of one topic. Topics are few (usually one), so they
/// are found by a linear search that compares the shared name's pointer
/// first: no per-record hashing or key allocation.
#[derive(Debug)]
pub(super) struct Topic {
    pub name: Arc<str>,
    pub partitions: BTreeMap<i32, Partition>,
}

/// Everything the tracker's lock protects.
#[derive(Debug, Default)]
pub(super) struct State {
    pub topics: Vec<Topic>,
    /// The latest assignment epoch handed out.
    pub epoch: u64,
    /// Sum of the windows' bytes.
    pub pending_bytes: usize,
    /// Sum of the windows' record counts.
    pub pending_records: usize,
    /// Assignments seen so far.
    pub assignments: u64,
}

impl State {
    pub fn topic_index(&self, name: &str) -> Option<usize> {
        self.topics
            .iter()
            .position(|t| std::ptr::eq(t.name.as_ptr(), name.as_ptr()) || &*t.name == name)
    }

    /// The topic's entry, created if missing.
    pub fn topic_mut(&mut self, name: &str) -> &mut Topic {
        let i = match self.topic_index(name) {
            Some(i) => i,
            None => {
                self.topics.push(Topic {
                    name: Arc::from(name),
                    partitions: BTreeMap::new(),
                });
                self.topics.len() - 1
            }
        };
        &mut self.topics[i]
    }

    pub fn partition(&self, topic: &str, partition: i32) -> Option<&Partition> {
        let i = self.topic_index(topic)?;
        self.topics[i].partitions.get(&partition)
    }

    pub fn partition_mut(&mut self, topic: &str, partition: i32) -> Option<&mut Partition> {
        let i = self.topic_index(topic)?;
        self.topics[i].partitions.get_mut(&partition)
    }

    /// Every assigned partition, in topic and partition order.
    pub fn each(&self) -> Vec<(&Arc<str>, i32, &Partition)> {
        let mut out: Vec<_> = self
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|(p, part)| (&t.name, *p, part)))
            .collect();
        out.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        out
    }
}
