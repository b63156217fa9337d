//! Read-ahead for the commands that run the detection rules over a
//! backlog (`detect`, `investigate`): events held back, up to a bound in
//! bytes, and given to the rules in event-time order.
//!
//! A file exported from the audit topic partition after partition (what
//! `kafkacat -C … -e` writes) is out of order by as much as a partition's
//! whole span, far beyond any allowed lateness: without read-ahead, the
//! second partition's events would all be late. Held in a heap keyed by
//! event time, the disorder inside the bound costs nothing; past it, the
//! earliest held event goes first and the rules' allowed lateness applies
//! as in `run`. Ties keep the order of reading, so an input already in
//! time order gives the rules exactly the same sequence as without it.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::ops::DerefMut;

use crate::detect::{Alert, Detector};
use crate::event::Enrichment;

/// Default read-ahead, in MiB (`detect --reorder-mib`).
pub const REORDER_MIB: usize = 16;

/// One event held back in the heap. The item is boxed: the heap moves its
/// elements a dozen times per push and pop, and an enrichment is ≈ 650
/// bytes.
#[derive(Debug)]
pub struct Held<T> {
    /// Event time, then order of reading.
    key: (i64, u64),
    /// What it holds in memory, as the caller weighed it.
    bytes: usize,
    pub item: Box<T>,
}

impl<T> PartialEq for Held<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<T> Eq for Held<T> {}

impl<T> PartialOrd for Held<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Held<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// Events held back in event-time order, at most `limit` bytes of them
/// (`0`: none, each event goes through at once).
///
/// An event not earlier than the last one held in `run` joins it at its
/// end (kept sorted, unboxed, no sifting): input in time order, or each
/// partition's stretch of it, never reaches the heap. The others wait in
/// the heap; the earliest of both fronts goes first.
#[derive(Debug)]
pub struct Reorder<T> {
    run: VecDeque<(Key, usize, T)>,
    heap: BinaryHeap<Reverse<Held<T>>>,
    bytes: usize,
    limit: usize,
    read: u64,
    /// The key of the last event read with a time: an event without one
    /// stays where it was read.
    last_time: i64,
}

/// Event time, then order of reading.
type Key = (i64, u64);

impl<T> Reorder<T> {
    pub fn new(limit: usize) -> Reorder<T> {
        Reorder {
            run: VecDeque::new(),
            heap: BinaryHeap::new(),
            bytes: 0,
            limit,
            read: 0,
            last_time: i64::MIN,
        }
    }

    /// Holds `item`, an event whose time is `time` (`None` when it has
    /// none) and which takes `bytes` of memory besides its slot here.
    pub fn push(&mut self, time: Option<i64>, item: T, bytes: usize) {
        if let Some(t) = time {
            self.last_time = t;
        }
        let key = (time.unwrap_or(self.last_time), self.read);
        let bytes = bytes + std::mem::size_of::<Held<T>>() + std::mem::size_of::<T>();
        self.read += 1;
        self.bytes += bytes;
        if self.run.back().is_none_or(|(k, _, _)| *k <= key) {
            self.run.push_back((key, bytes, item));
        } else {
            self.heap.push(Reverse(Held {
                key,
                bytes,
                item: Box::new(item),
            }));
        }
    }

    /// The earliest held event while more than the bound is held.
    pub fn over(&mut self) -> Option<T> {
        if self.bytes > self.limit {
            self.pop()
        } else {
            None
        }
    }

    /// The earliest held event.
    pub fn pop(&mut self) -> Option<T> {
        let from_run = match (self.run.front(), self.heap.peek()) {
            (Some((k, _, _)), Some(Reverse(h))) => *k < h.key,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if from_run {
            let (_, bytes, item) = self.run.pop_front()?;
            self.bytes -= bytes;
            Some(item)
        } else {
            let Reverse(held) = self.heap.pop()?;
            self.bytes -= held.bytes;
            Some(*held.item)
        }
    }
}

/// The detection rules behind a read-ahead: a backlog read partition
/// after partition reaches them in event-time order, the same for
/// `detect` and `investigate`. `D` is the detector, owned or borrowed.
pub struct Ordered<D> {
    detector: D,
    /// Each event with its record; its text trimmed to its length.
    held: Reorder<(Enrichment, Box<[u8]>)>,
}

impl<D: DerefMut<Target = Detector>> Ordered<D> {
    /// `reorder_bytes`: the read-ahead's bound (`0`: in reading order).
    pub fn new(detector: D, reorder_bytes: usize) -> Ordered<D> {
        Ordered {
            detector,
            held: Reorder::new(reorder_bytes),
        }
    }

    /// One valid event; the alerts it lets out go to `out`.
    pub fn observe(&mut self, mut e: Enrichment, raw: &[u8], out: &mut Vec<Alert>) {
        let time = e.event_time();
        if self.held.limit > 0 {
            e.shrink_to_fit();
        }
        let bytes = e.heap_bytes() + raw.len();
        self.held.push(time, (e, raw.into()), bytes);
        while let Some((e, raw)) = self.held.over() {
            self.detector.observe(&e, &raw, out);
        }
    }

    /// Every event held goes to the rules (a live input has gone quiet).
    pub fn release(&mut self, out: &mut Vec<Alert>) {
        while let Some((e, raw)) = self.held.pop() {
            self.detector.observe(&e, &raw, out);
        }
    }

    /// Every event held, then every alert still open (end of input).
    pub fn finish(&mut self, out: &mut Vec<Alert>) {
        self.release(out);
        self.detector.finish(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minute: i64) -> Option<i64> {
        Some(minute * 60_000_000_000)
    }

    fn all(
        r: &mut Reorder<&'static str>,
        next: fn(&mut Reorder<&'static str>) -> Option<&'static str>,
    ) -> Vec<&'static str> {
        std::iter::from_fn(|| next(r)).collect()
    }

    #[test]
    fn held_events_come_out_in_event_time_then_reading_order() {
        let mut r = Reorder::new(usize::MAX);
        r.push(t(10), "p1-a", 100);
        r.push(t(20), "p1-b", 100);
        r.push(None, "untimed", 100);
        r.push(t(5), "p2-a", 100);
        r.push(t(20), "p2-b", 100);
        assert!(r.over().is_none());
        assert_eq!(
            all(&mut r, Reorder::pop),
            ["p2-a", "p1-a", "p1-b", "untimed", "p2-b"]
        );
        assert_eq!(r.bytes, 0);
    }

    #[test]
    fn past_the_bound_the_earliest_goes_first() {
        let one = 100 + std::mem::size_of::<Held<&str>>() + std::mem::size_of::<&str>();
        let mut r = Reorder::new(2 * one);
        r.push(t(3), "c", 100);
        r.push(t(1), "a", 100);
        assert!(r.over().is_none(), "two fit");
        r.push(t(2), "b", 100);
        assert_eq!(all(&mut r, Reorder::over), ["a"]);
        assert_eq!(all(&mut r, Reorder::pop), ["b", "c"]);
    }

    #[test]
    fn with_no_room_every_event_goes_through_at_once() {
        let mut r = Reorder::new(0);
        r.push(t(2), "b", 1);
        assert_eq!(all(&mut r, Reorder::over), ["b"]);
        r.push(t(1), "a", 1);
        assert_eq!(all(&mut r, Reorder::over), ["a"]);
    }

    /// The read-ahead as first written: one heap.
    struct OneHeap {
        heap: BinaryHeap<Reverse<(Key, u64)>>,
        held: usize,
        limit: usize,
        read: u64,
        last_time: i64,
    }

    impl OneHeap {
        const ONE: usize = 1 + std::mem::size_of::<Held<u64>>() + std::mem::size_of::<u64>();

        fn push(&mut self, time: Option<i64>, item: u64) {
            if let Some(t) = time {
                self.last_time = t;
            }
            self.heap
                .push(Reverse(((time.unwrap_or(self.last_time), self.read), item)));
            self.read += 1;
            self.held += Self::ONE;
        }

        fn pop(&mut self) -> Option<u64> {
            let Reverse((_, item)) = self.heap.pop()?;
            self.held -= Self::ONE;
            Some(item)
        }

        fn over(&mut self) -> Option<u64> {
            (self.held > self.limit).then(|| self.pop()).flatten()
        }
    }

    #[test]
    fn the_run_and_the_heap_give_what_one_heap_gives() {
        let mut rng = crate::xorshift::XorShift::new(0x9e37_79b9_7f4a_7c15);
        let mut next = move |m: u64| rng.below(m);
        let mut from_heap = 0;
        for case in 0..1_000 {
            let limit = next(20) as usize * OneHeap::ONE;
            let mut r = Reorder::new(limit);
            let mut want = OneHeap {
                heap: BinaryHeap::new(),
                held: 0,
                limit,
                read: 0,
                last_time: i64::MIN,
            };
            let (mut got, mut expected) = (Vec::new(), Vec::new());
            let mut last = 0;
            for i in 0..next(60) {
                // Mostly in order (a partition's stretch), sometimes back.
                let time = match next(10) {
                    0 => None,
                    1..=2 => Some(next(50) as i64),
                    _ => Some(last + next(3) as i64),
                };
                last = time.unwrap_or(last);
                r.push(time, i, 1);
                want.push(time, i);
                from_heap += r.heap.len();
                got.extend(std::iter::from_fn(|| r.over()));
                expected.extend(std::iter::from_fn(|| want.over()));
                if next(20) == 0 {
                    got.extend(r.pop());
                    expected.extend(want.pop());
                }
            }
            got.extend(std::iter::from_fn(|| r.pop()));
            expected.extend(std::iter::from_fn(|| want.pop()));
            assert_eq!(got, expected, "case {case}, limit {limit}");
            assert_eq!(r.bytes, 0);
        }
        assert!(from_heap > 1_000, "the heap must be used: {from_heap}");
    }
}
