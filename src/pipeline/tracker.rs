//! The per-partition watermark: **the one place offsets move**.
//!
//! Every record the consumer reads is registered here, in offset order,
//! before anything else happens to it. A record is *resolved* when it is
//! delivered to every sink, filtered out, or written to the dead-letter
//! store. The stored offset of a partition is always "first unresolved
//! offset" (or "last read + 1" when all are resolved), so it never passes a
//! record that is not resolved, whatever order batches complete in
//! (`shared/docs/sinks.md` §0.1–0.2).
//!
//! Storing happens under the same lock that the revoke callback takes, and
//! each registration carries the partition's assignment *epoch*: a batch
//! that completes after its partition was revoked (or revoked and assigned
//! again) is ignored and can never store an offset for it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock, Weak};

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

/// A registered record: its partition, epoch and offset.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ticket {
    pub topic: String,
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

#[derive(Debug, Default)]
struct State {
    partitions: HashMap<(String, i32), Partition>,
    epoch: u64,
    pending_bytes: usize,
    pending_records: usize,
    assignments: u64,
}

/// The watermark of every assigned partition.
#[derive(Default)]
pub struct Tracker {
    state: Mutex<State>,
    store: OnceLock<Weak<dyn OffsetStore>>,
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

    /// New partitions get a fresh epoch.
    pub fn assign(&self, parts: &[(String, i32)]) {
        let mut s = self.lock();
        s.assignments += 1;
        s.epoch += 1;
        let epoch = s.epoch;
        for (topic, partition) in parts {
            s.partitions.insert(
                (topic.clone(), *partition),
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
            if let Some(p) = s.partitions.remove(key) {
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
        let mut s = self.lock();
        let key = (topic.to_owned(), partition);
        if !s.partitions.contains_key(&key) {
            // Read before the assign callback was seen (should not happen
            // with librdkafka, but be safe): start an epoch for it.
            s.epoch += 1;
            let epoch = s.epoch;
            s.partitions.insert(
                key.clone(),
                Partition {
                    epoch,
                    pending: VecDeque::new(),
                    next: None,
                    stored: None,
                },
            );
        }
        let p = s.partitions.get_mut(&key).expect("inserted above");
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
        s.pending_records = s.pending_records + 1 - released.0;
        s.pending_bytes = s.pending_bytes + bytes - released.1;
        Ticket {
            topic: key.0,
            partition,
            epoch,
            offset,
            bytes,
        }
    }

    /// Marks records resolved and stores every watermark that moved.
    /// Tickets of revoked partitions or older epochs are ignored.
    pub fn resolve<'a>(&self, tickets: impl IntoIterator<Item = &'a Ticket>) {
        let mut s = self.lock();
        let mut moved: Vec<(String, i32)> = Vec::new();
        for t in tickets {
            let key = (t.topic.clone(), t.partition);
            let Some(p) = s.partitions.get_mut(&key) else {
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
                if !moved.contains(&key) {
                    moved.push(key);
                }
            }
        }
        let offsets: Vec<(String, i32, i64)> = moved
            .into_iter()
            .filter_map(|key| {
                let p = s.partitions.get_mut(&key)?;
                let next = p.next?;
                if p.stored == Some(next) {
                    return None;
                }
                p.stored = Some(next);
                Some((key.0, key.1, next))
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
        self.lock()
            .partitions
            .get(&(t.topic.clone(), t.partition))
            .is_some_and(|p| p.epoch == t.epoch)
    }

    /// Bytes of records read but not yet committable: from each
    /// partition's first unresolved record to its last read one (the
    /// backpressure gauge: a stuck record makes its partition's window grow).
    pub fn pending_bytes(&self) -> usize {
        self.lock().pending_bytes
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
        let mut out: Vec<_> = s
            .partitions
            .iter()
            .map(|((t, p), part)| (t.clone(), *p, part.stored))
            .collect();
        out.sort();
        out
    }

    /// The oldest unresolved offset per partition (for health and logs).
    pub fn blocked_at(&self) -> Vec<(String, i32, i64)> {
        let s = self.lock();
        let mut out: Vec<_> = s
            .partitions
            .iter()
            .filter_map(|((t, p), part)| {
                part.pending
                    .iter()
                    .find(|(_, done, ..)| !done)
                    .map(|(o, ..)| (t.clone(), *p, *o))
            })
            .collect();
        out.sort();
        out
    }

    /// Every assigned partition with its stored offset and its first
    /// unresolved record (offset, Kafka timestamp in ms), if any: what
    /// consumer lag and retention headroom are computed from.
    pub fn partitions(&self) -> Vec<PartitionState> {
        let s = self.lock();
        let mut out: Vec<_> = s
            .partitions
            .iter()
            .map(|((t, p), part)| PartitionState {
                topic: t.clone(),
                partition: *p,
                stored: part.stored,
                first_unresolved: part
                    .pending
                    .iter()
                    .find(|(_, done, ..)| !done)
                    .map(|&(o, _, _, ts)| (o, ts)),
            })
            .collect();
        out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        out
    }
}

#[cfg(test)]
#[path = "tracker_tests.rs"]
mod tests;
