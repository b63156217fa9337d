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

mod state;
mod store;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use state::{Partition, Record, State};
pub use store::OffsetStore;

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
    /// The record's topic (shared name).
    pub topic: Arc<str>,
    /// The record's partition.
    pub partition: i32,
    /// The partition's assignment when the record was read; a ticket of
    /// an older epoch resolves nothing.
    pub epoch: u64,
    /// The record's offset.
    pub offset: i64,
    /// The record value's size, counted in flight until resolved.
    pub bytes: usize,
}

/// The watermark of every assigned partition.
#[derive(Default)]
pub struct Tracker {
    state: Mutex<State>,
    store: OnceLock<Weak<dyn OffsetStore>>,
    /// `State::pending_bytes` as of the last change, readable without the
    /// lock (the consumer loop checks it after every record).
    pending_bytes: AtomicUsize,
    /// Rendered bytes of the events of batches handed to delivery and not
    /// finished yet ([`Tracker::delivering`]).
    delivering: AtomicUsize,
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker")
            .field("state", &self.state)
            .finish()
    }
}

impl Tracker {
    /// A tracker with no partitions and no offset store yet.
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
            s.topic_mut(topic)
                .partitions
                .insert(*partition, Partition::new(epoch));
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
                let unresolved = p.pending.iter().filter(|r| !r.resolved).count();
                s.pending_records -= p.pending.len();
                s.pending_bytes -= p.pending_bytes();
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
            Partition::new(next_epoch)
        });
        if p.epoch == next_epoch {
            s.epoch = next_epoch;
        }
        let mut released = (0, 0);
        if p.pending.back().is_some_and(|r| r.offset >= offset) {
            tracing::warn!(
                message = "Offset went backwards; resetting the partition's watermark.",
                topic,
                partition,
                offset
            );
            released = (p.pending.len(), p.pending_bytes());
            p.pending.clear();
        }
        p.pending.push_back(Record {
            offset,
            resolved: false,
            bytes,
            timestamp_ms,
        });
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

    /// Counts `extra` more bytes in flight for the record of `t` — the
    /// alerts it raised, which go out in a batch of alerts with no
    /// delivery slot — released with the record. Without it an alert storm
    /// held memory the in-flight bound did not see.
    pub fn add_bytes(&self, t: &Ticket, extra: usize) {
        let mut guard = self.lock();
        let s = &mut *guard;
        let Some(p) = s.partition_mut(&t.topic, t.partition) else {
            return;
        };
        if p.epoch != t.epoch {
            return;
        }
        if let Ok(i) = p.pending.binary_search_by_key(&t.offset, |r| r.offset) {
            p.pending[i].bytes += extra;
            s.pending_bytes += extra;
            self.publish(s);
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
            if let Ok(i) = p.pending.binary_search_by_key(&t.offset, |r| r.offset) {
                p.pending[i].resolved = true;
            }
            let (mut popped, mut bytes) = (0, 0);
            while let Some(r) = p.pending.front().filter(|r| r.resolved).copied() {
                p.pending.pop_front();
                p.next = Some(r.offset + 1);
                popped += 1;
                bytes += r.bytes;
            }
            if popped > 0 {
                s.pending_records -= popped;
                s.pending_bytes -= bytes;
                // Newest first: a batch's tickets come in runs of one
                // partition (a fetch's worth); the same `Arc` skips the
                // string comparison.
                if !moved.iter().rev().any(|(topic, part)| {
                    *part == t.partition && (Arc::ptr_eq(topic, &t.topic) || *topic == t.topic)
                }) {
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

    /// Bytes in flight, the backpressure gauge: the records read but not
    /// yet committable (from each partition's first unresolved record to
    /// its last read one: a stuck record makes its partition's window
    /// grow), plus the rendered events of the batches being delivered
    /// ([`Tracker::delivering`]).
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes.load(Ordering::Relaxed) + self.delivering.load(Ordering::Relaxed)
    }

    /// Counts `bytes` of rendered events (a batch handed to delivery) in
    /// flight until the returned guard is dropped. An event takes about
    /// three times its record's bytes in memory (its rendering, its
    /// enrichment, a sink's request body): counting only the records let
    /// 8 MiB in flight hold ≈ 25 MB. Offsets are not involved.
    pub fn delivering(self: &Arc<Self>, bytes: usize) -> Delivering {
        self.rendered(bytes);
        self.adopt(bytes)
    }

    /// Counts a rendered event in flight from the moment it joins a batch,
    /// not only once the batch is handed to delivery: a batch that closes
    /// (by size or linger) while intake is held then adds nothing, and in
    /// flight stays within one record and its event of the bound.
    pub fn rendered(&self, bytes: usize) {
        self.delivering.fetch_add(bytes, Ordering::Relaxed);
    }

    /// The guard of a batch whose events were counted by
    /// [`Tracker::rendered`] as they joined it.
    pub fn adopt(self: &Arc<Self>, bytes: usize) -> Delivering {
        Delivering {
            tracker: self.clone(),
            bytes,
        }
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
                part.first_unresolved()
                    .map(|r| (t.to_string(), p, r.offset))
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
                first_unresolved: part.first_unresolved().map(|r| (r.offset, r.timestamp_ms)),
            })
            .collect()
    }
}

/// Rendered bytes counted in flight while a batch is delivered; released
/// on drop (delivered, given up, or its task ended early).
#[derive(Debug)]
pub struct Delivering {
    tracker: Arc<Tracker>,
    bytes: usize,
}

impl Drop for Delivering {
    fn drop(&mut self) {
        self.tracker
            .delivering
            .fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
