//! The per-partition watermark: **the one place offsets move**.
//!
//! Every record the consumer reads is registered here, in offset order,
//! before anything else happens to it. A record is *resolved* when it is
//! delivered to every sink, filtered out, or written to the dead-letter
//! store. The stored offset of a partition is always "first unresolved
//! offset" (or "last read + 1" when all are resolved), so it never passes a
//! record that is not resolved, whatever order batches complete in
//! (`docs/sinks.md` §0.1–0.2).
//!
//! Storing happens under the same lock that the revoke callback takes, and
//! each registration carries the partition's assignment *epoch*: a batch
//! that completes after its partition was revoked (or revoked and assigned
//! again) is ignored and can never store an offset for it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use rdkafka::consumer::Consumer;
use rdkafka::{Offset, TopicPartitionList};

/// Where resolved offsets go: the Kafka consumer in production, a
/// recorder in tests.
pub trait OffsetStore: Send + Sync {
    /// Stores `next` (the next offset to read) for each partition.
    fn store(&self, offsets: &[(String, i32, i64)]) -> Result<(), String>;
}

impl OffsetStore for crate::kafka::AuditConsumer {
    fn store(&self, offsets: &[(String, i32, i64)]) -> Result<(), String> {
        let mut tpl = TopicPartitionList::new();
        for (topic, partition, next) in offsets {
            tpl.add_partition_offset(topic, *partition, Offset::Offset(*next))
                .map_err(|e| e.to_string())?;
        }
        // `store_offsets` stores the list as given: `next` is already +1.
        self.store_offsets(&tpl).map_err(|e| e.to_string())
    }
}

/// One assigned partition as [`Tracker::partitions`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionState {
    pub topic: String,
    pub partition: i32,
    /// The next offset to read, as last stored.
    pub stored: Option<i64>,
    /// The oldest record not yet resolved: (offset, timestamp ms).
    pub first_unresolved: Option<(i64, Option<i64>)>,
}

/// A registered record: its partition, epoch and offset. The topic name
/// is shared with the tracker (one allocation per topic, not per record).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ticket {
    pub topic: Arc<str>,
    pub partition: i32,
    pub epoch: u64,
    pub offset: i64,
    pub bytes: usize,
}

#[derive(Debug)]
struct Partition {
    epoch: u64,
    /// Records from the first unresolved one to the last read, in offset
    /// order: (offset, resolved, bytes, Kafka timestamp in ms).
    pending: VecDeque<(i64, bool, usize, Option<i64>)>,
    /// The next offset to store once everything before it is resolved.
    next: Option<i64>,
    /// What was last stored.
    stored: Option<i64>,
}

/// The partitions of one topic. Topics are few (usually one), so they
/// are found by a linear search that compares the shared name's pointer
/// first: no per-record hashing or key allocation.
#[derive(Debug)]
struct Topic {
    name: Arc<str>,
    partitions: BTreeMap<i32, Partition>,
}

#[derive(Debug, Default)]
struct State {
    topics: Vec<Topic>,
    epoch: u64,
    pending_bytes: usize,
    pending_records: usize,
    assignments: u64,
}

impl State {
    fn topic_index(&self, name: &str) -> Option<usize> {
        self.topics
            .iter()
            .position(|t| std::ptr::eq(t.name.as_ptr(), name.as_ptr()) || &*t.name == name)
    }

    /// The topic's entry, created if missing.
    fn topic_mut(&mut self, name: &str) -> &mut Topic {
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

    fn partition(&self, topic: &str, partition: i32) -> Option<&Partition> {
        let i = self.topic_index(topic)?;
        self.topics[i].partitions.get(&partition)
    }

    fn partition_mut(&mut self, topic: &str, partition: i32) -> Option<&mut Partition> {
        let i = self.topic_index(topic)?;
        self.topics[i].partitions.get_mut(&partition)
    }

    /// Every assigned partition, in topic and partition order.
    fn each(&self) -> Vec<(&Arc<str>, i32, &Partition)> {
        let mut out: Vec<_> = self
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|(p, part)| (&t.name, *p, part)))
            .collect();
        out.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        out
    }
}

/// The watermark of every assigned partition.
#[derive(Default)]
pub struct Tracker {
    state: Mutex<State>,
    store: OnceLock<Weak<dyn OffsetStore>>,
    /// `State::pending_bytes` as of the last change, readable without the
    /// lock (the consumer loop checks it after every record).
    pending_bytes: AtomicUsize,
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker")
            .field("state", &self.state)
            .finish()
    }
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Connects the offset store (set once, after the consumer exists).
    pub fn attach<S: OffsetStore + 'static>(&self, store: Weak<S>) {
        let store: Weak<dyn OffsetStore> = store;
        let _ = self.store.set(store);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publishes the window for lock-free readers; called under the lock
    /// after every change.
    fn publish(&self, s: &State) {
        self.pending_bytes.store(s.pending_bytes, Ordering::Relaxed);
    }

    /// New partitions get a fresh epoch.
    pub fn assign(&self, parts: &[(String, i32)]) {
        let mut s = self.lock();
        s.assignments += 1;
        s.epoch += 1;
        let epoch = s.epoch;
        for (topic, partition) in parts {
            s.topic_mut(topic).partitions.insert(
                *partition,
                Partition {
                    epoch,
                    pending: VecDeque::new(),
                    next: None,
                    stored: None,
                },
            );
        }
    }

    /// Forgets partitions: nothing can be stored for them afterwards.
    pub fn revoke(&self, parts: &[(String, i32)]) {
        let mut s = self.lock();
        for key in parts {
            let Some(i) = s.topic_index(&key.0) else {
                continue;
            };
            if let Some(p) = s.topics[i].partitions.remove(&key.1) {
                let unresolved = p.pending.iter().filter(|(_, done, ..)| !done).count();
                s.pending_records -= p.pending.len();
                s.pending_bytes -= p.pending.iter().map(|(_, _, b, _)| b).sum::<usize>();
                if unresolved > 0 {
                    tracing::info!(
                        message = "Partition revoked with unresolved records; the next owner re-reads them.",
                        topic = %key.0, partition = key.1, unresolved
                    );
                }
            }
        }
        self.publish(&s);
    }

    /// Registers a record just read. Records of one partition must be
    /// registered in offset order.
    pub fn register(&self, topic: &str, partition: i32, offset: i64, bytes: usize) -> Ticket {
        self.register_at(topic, partition, offset, bytes, None)
    }

    /// [`Tracker::register`] with the record's Kafka timestamp (ms), kept
    /// so that the retention headroom of the oldest unresolved record can
    /// be reported.
    pub fn register_at(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        bytes: usize,
        timestamp_ms: Option<i64>,
    ) -> Ticket {
        let mut guard = self.lock();
        let s = &mut *guard;
        let i = match s.topic_index(topic) {
            Some(i) => i,
            None => {
                s.topic_mut(topic);
                s.topics.len() - 1
            }
        };
        let next_epoch = s.epoch + 1;
        let t = &mut s.topics[i];
        let p = t.partitions.entry(partition).or_insert_with(|| {
            // Read before the assign callback was seen (should not happen
            // with librdkafka, but be safe): start an epoch for it.
            Partition {
                epoch: next_epoch,
                pending: VecDeque::new(),
                next: None,
                stored: None,
            }
        });
        if p.epoch == next_epoch {
            s.epoch = next_epoch;
        }
        let mut released = (0, 0);
        if p.pending.back().is_some_and(|(o, ..)| *o >= offset) {
            tracing::warn!(
                message = "Offset went backwards; resetting the partition's watermark.",
                topic,
                partition,
                offset
            );
            released = (
                p.pending.len(),
                p.pending.iter().map(|(_, _, b, _)| b).sum::<usize>(),
            );
            p.pending.clear();
        }
        p.pending.push_back((offset, false, bytes, timestamp_ms));
        let epoch = p.epoch;
        let name = t.name.clone();
        s.pending_records = s.pending_records + 1 - released.0;
        s.pending_bytes = s.pending_bytes + bytes - released.1;
        self.publish(s);
        Ticket {
            topic: name,
            partition,
            epoch,
            offset,
            bytes,
        }
    }

    /// Marks records resolved and stores every watermark that moved.
    /// Tickets of revoked partitions or older epochs are ignored.
    pub fn resolve<'a>(&self, tickets: impl IntoIterator<Item = &'a Ticket>) {
        let mut guard = self.lock();
        let s = &mut *guard;
        let mut moved: Vec<(Arc<str>, i32)> = Vec::new();
        for t in tickets {
            let Some(p) = s.partition_mut(&t.topic, t.partition) else {
                continue;
            };
            if p.epoch != t.epoch {
                continue;
            }
            // Offsets are sorted: find the record by binary search.
            if let Ok(i) = p.pending.binary_search_by_key(&t.offset, |(o, ..)| *o) {
                p.pending[i].1 = true;
            }
            let (mut popped, mut bytes) = (0, 0);
            while let Some(&(o, true, b, _)) = p.pending.front() {
                p.pending.pop_front();
                p.next = Some(o + 1);
                popped += 1;
                bytes += b;
            }
            if popped > 0 {
                s.pending_records -= popped;
                s.pending_bytes -= bytes;
                if !moved
                    .iter()
                    .any(|(topic, part)| *part == t.partition && *topic == t.topic)
                {
                    moved.push((t.topic.clone(), t.partition));
                }
            }
        }
        self.publish(s);
        let offsets: Vec<(String, i32, i64)> = moved
            .into_iter()
            .filter_map(|(topic, partition)| {
                let p = s.partition_mut(&topic, partition)?;
                let next = p.next?;
                if p.stored == Some(next) {
                    return None;
                }
                p.stored = Some(next);
                Some((topic.to_string(), partition, next))
            })
            .collect();
        if offsets.is_empty() {
            return;
        }
        // Still under the lock: a revoke cannot slip in between.
        if let Some(store) = self.store.get().and_then(Weak::upgrade) {
            if let Err(e) = store.store(&offsets) {
                tracing::debug!(message = "Storing offsets failed (partition no longer assigned?).", error = %e);
            }
        }
    }

    /// Whether the ticket's partition is still assigned in the same epoch.
    /// Work for stale tickets is wasted: the partition's new owner
    /// re-reads those records.
    pub fn is_current(&self, t: &Ticket) -> bool {
        Self::current_in(&self.lock(), t)
    }

    /// [`Tracker::is_current`] for every ticket, under one lock.
    pub fn all_current(&self, tickets: &[Ticket]) -> bool {
        let s = self.lock();
        tickets.iter().all(|t| Self::current_in(&s, t))
    }

    fn current_in(s: &State, t: &Ticket) -> bool {
        s.partition(&t.topic, t.partition)
            .is_some_and(|p| p.epoch == t.epoch)
    }

    /// Bytes of records read but not yet committable: from each
    /// partition's first unresolved record to its last read one (the
    /// backpressure gauge: a stuck record makes its partition's window grow).
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes.load(Ordering::Relaxed)
    }

    /// How many assignments (rebalances that gave us partitions) happened.
    pub fn assignments(&self) -> u64 {
        self.lock().assignments
    }

    /// Records read but not yet resolved, in assigned partitions.
    pub fn pending_records(&self) -> usize {
        self.lock().pending_records
    }

    /// The stored offset (next to read) of each assigned partition.
    pub fn stored(&self) -> Vec<(String, i32, Option<i64>)> {
        let s = self.lock();
        s.each()
            .into_iter()
            .map(|(t, p, part)| (t.to_string(), p, part.stored))
            .collect()
    }

    /// The oldest unresolved offset per partition (for health and logs).
    pub fn blocked_at(&self) -> Vec<(String, i32, i64)> {
        let s = self.lock();
        s.each()
            .into_iter()
            .filter_map(|(t, p, part)| {
                part.pending
                    .iter()
                    .find(|(_, done, ..)| !done)
                    .map(|(o, ..)| (t.to_string(), p, *o))
            })
            .collect()
    }

    /// Every assigned partition with its stored offset and its first
    /// unresolved record (offset, Kafka timestamp in ms), if any: what
    /// consumer lag and retention headroom are computed from.
    pub fn partitions(&self) -> Vec<PartitionState> {
        let s = self.lock();
        s.each()
            .into_iter()
            .map(|(t, p, part)| PartitionState {
                topic: t.to_string(),
                partition: p,
                stored: part.stored,
                first_unresolved: part
                    .pending
                    .iter()
                    .find(|(_, done, ..)| !done)
                    .map(|&(o, _, _, ts)| (o, ts)),
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "tracker_tests.rs"]
mod tests;
