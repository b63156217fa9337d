//! Spent batches handed back from the delivery tasks to the consumer loop.
//!
//! Events are made on the consumer loop's thread and used to be freed on
//! whichever runtime worker finished their batch. A free from another
//! thread is mimalloc's slow path (an atomic push onto the page's
//! cross-thread list, collected later by the owner): ≈ 1,100 instructions
//! per event with callgrind (BENCHMARKS.md, "2026-12-06 (session 7)").
//! Here a delivery task gives its batch's vector of events back, and the
//! loop empties it — the events freed on the thread that made them — when
//! it opens its next batch, every 2 ms while it holds (over the in-flight
//! bound, when no batch opens), or at its 100 ms tick, then reuses the
//! vector (already sized for a batch) for the next batch.
//!
//! Nothing about offsets depends on this: a batch's records are resolved
//! before its vector is given back, and what waits here is only memory,
//! freed at the latest on the next tick. Its events still count in flight
//! (the batch's [`Delivering`] guard waits with them) until they are
//! freed: a bound in bytes, not only in vectors.

use std::sync::{Arc, Mutex};

use super::tracker::Delivering;
use crate::event::Event;

/// Spent vectors of events, waiting to be emptied by the consumer loop,
/// each with the guard that counts its events in flight.
#[derive(Debug, Default)]
pub struct Recycle {
    spent: Mutex<Vec<(Vec<Arc<Event>>, Delivering)>>,
}

/// Vectors kept beyond the one handed out: a batch in flight gives back
/// one each, so a handful covers the default four in flight.
const KEEP: usize = 8;

impl Recycle {
    /// A delivery task's spent vector (its batch is resolved or given up)
    /// and the guard counting its events in flight, released once they
    /// are freed.
    pub fn give(&self, events: Vec<Arc<Event>>, delivering: Delivering) {
        if events.capacity() == 0 {
            return;
        }
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        if spent.len() < KEEP {
            spent.push((events, delivering));
            return;
        }
        drop(spent);
        // Too many waiting (the loop has not looked for a while): free
        // here rather than hold more.
        drop(events);
    }

    /// Empties every spent vector on the calling thread (freeing the
    /// events whose last reference they held) and returns one with room
    /// for at least `capacity` events, if any; the others are freed too.
    pub fn take(&self, capacity: usize) -> Option<Vec<Arc<Event>>> {
        let spent = std::mem::take(&mut *self.spent.lock().unwrap_or_else(|p| p.into_inner()));
        let mut found = None;
        for (mut v, delivering) in spent {
            v.clear();
            drop(delivering);
            if found.is_none() && v.capacity() >= capacity {
                found = Some(v);
            }
        }
        found
    }

    /// Spent vectors waiting (tests).
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.spent.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Disposition;
    use crate::pipeline::tracker::Tracker;
    use crate::process::Processor;

    /// A guard counting nothing, for tests about the events alone.
    fn held() -> Delivering {
        Arc::new(Tracker::new()).delivering(0)
    }

    fn event() -> Arc<Event> {
        let raw = r#"{"specversion":"1.0","id":"r1","source":"crn://confluent.cloud/","type":"io.confluent.kafka.server/authorization","time":"2026-01-01T00:00:00Z","data":{"methodName":"kafka.Produce","authorizationInfo":{"granted":true}}}"#;
        match Processor::default().process(raw.as_bytes(), None, 0) {
            Disposition::Forward(e) => Arc::new(e),
            other => panic!("not forwarded: {}", other.label()),
        }
    }

    #[test]
    fn take_frees_the_events_on_the_taking_thread_and_hands_back_a_sized_vector() {
        let r = Arc::new(Recycle::default());
        let e = event();
        let weak = Arc::downgrade(&e);
        let mut v = Vec::with_capacity(500);
        v.push(e);
        let giver = r.clone();
        std::thread::spawn(move || giver.give(v, held()))
            .join()
            .expect("giver");
        // Given back, not freed by the giving thread.
        assert!(weak.upgrade().is_some());
        assert_eq!(r.waiting(), 1);
        let v = r.take(500).expect("a vector with room for a batch");
        assert!(v.is_empty() && v.capacity() >= 500);
        assert!(weak.upgrade().is_none(), "freed by take");
        assert_eq!(r.waiting(), 0);
        assert!(r.take(1).is_none());
    }

    #[test]
    fn too_small_vectors_are_emptied_but_not_handed_back() {
        let r = Recycle::default();
        let e = event();
        let weak = Arc::downgrade(&e);
        let small = vec![e];
        assert_eq!(small.capacity(), 1);
        r.give(small, held());
        r.give(Vec::new(), held()); // nothing to keep
        assert_eq!(r.waiting(), 1);
        assert!(r.take(500).is_none());
        assert!(weak.upgrade().is_none());
    }

    #[test]
    fn at_most_keep_vectors_wait_and_free_empties_them_all() {
        let r = Recycle::default();
        let kept: Vec<_> = (0..KEEP + 3)
            .map(|_| {
                let e = event();
                let w = Arc::downgrade(&e);
                let mut v = Vec::with_capacity(4);
                v.push(e);
                r.give(v, held());
                w
            })
            .collect();
        assert_eq!(r.waiting(), KEEP);
        // The ones past the bound were freed by the giver at once.
        assert!(kept[KEEP..].iter().all(|w| w.upgrade().is_none()));
        assert!(kept[..KEEP].iter().all(|w| w.upgrade().is_some()));
        assert!(r.take(usize::MAX).is_none());
        assert_eq!(r.waiting(), 0);
        assert!(kept.iter().all(|w| w.upgrade().is_none()));
    }

    #[test]
    fn an_event_still_shared_elsewhere_survives_the_take() {
        let r = Recycle::default();
        let e = event();
        let mut v = Vec::with_capacity(8);
        v.push(e.clone());
        r.give(v, held());
        assert!(r.take(usize::MAX).is_none());
        assert_eq!(Arc::strong_count(&e), 1);
        assert_eq!(e.id(), "r1");
    }

    #[test]
    fn spent_events_count_in_flight_until_the_loop_frees_them() {
        let r = Recycle::default();
        let tracker = Arc::new(Tracker::new());
        let mut v = Vec::with_capacity(8);
        v.push(event());
        r.give(v, tracker.delivering(3_000));
        // Delivered and resolved, but not freed yet: still memory held.
        assert_eq!(tracker.pending_bytes(), 3_000);
        assert!(r.take(8).is_some());
        assert_eq!(tracker.pending_bytes(), 0);
        // Past the vectors kept, freed (and released) by the giver.
        for _ in 0..KEEP {
            r.give(Vec::with_capacity(1), tracker.delivering(10));
        }
        r.give(Vec::with_capacity(1), tracker.delivering(10));
        assert_eq!(tracker.pending_bytes(), 10 * KEEP);
        assert!(r.take(usize::MAX).is_none());
        assert_eq!(tracker.pending_bytes(), 0);
    }
}
