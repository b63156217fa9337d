//! Read-ahead for `detect`: events held back, up to a bound in bytes, and
//! given to the rules in event-time order.
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
use std::collections::BinaryHeap;

/// One event held back: its record, enriched again when it goes to the
/// rules (an enrichment held would take three times the room of the
/// record it was made from).
#[derive(Debug)]
pub struct Held {
    /// Event time, then order of reading.
    key: (i64, u64),
    pub record: Box<[u8]>,
}

impl Held {
    /// What it holds in memory.
    fn bytes(&self) -> usize {
        std::mem::size_of::<Held>() + self.record.len()
    }
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Held {}

impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Held {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// Events held back in event-time order, at most `limit` bytes of them
/// (`0`: none, each event goes through at once).
#[derive(Debug)]
pub struct Reorder {
    heap: BinaryHeap<Reverse<Held>>,
    bytes: usize,
    limit: usize,
    read: u64,
    /// The key of the last event read with a time: an event without one
    /// stays where it was read.
    last_time: i64,
}

impl Reorder {
    pub fn new(limit: usize) -> Reorder {
        Reorder {
            heap: BinaryHeap::new(),
            bytes: 0,
            limit,
            read: 0,
            last_time: i64::MIN,
        }
    }

    /// Holds the event in `record` (its event time `time`, `None` when it
    /// has none).
    pub fn push(&mut self, time: Option<i64>, record: &[u8]) {
        if let Some(t) = time {
            self.last_time = t;
        }
        let held = Held {
            key: (time.unwrap_or(self.last_time), self.read),
            record: record.into(),
        };
        self.read += 1;
        self.bytes += held.bytes();
        self.heap.push(Reverse(held));
    }

    /// The earliest held event while more than the bound is held.
    pub fn over(&mut self) -> Option<Held> {
        if self.bytes > self.limit {
            self.pop()
        } else {
            None
        }
    }

    /// The earliest held event.
    pub fn pop(&mut self) -> Option<Held> {
        let Reverse(held) = self.heap.pop()?;
        self.bytes -= held.bytes();
        Some(held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Processor;

    fn event(id: &str, time: Option<&str>) -> (Option<i64>, Vec<u8>) {
        let time = time.map_or(String::new(), |t| format!(r#""time":"{t}","#));
        let line = format!(
            r#"{{"specversion":"1.0","id":"{id}","source":"crn:///kafka=C1","type":"io.confluent.kafka.server/authentication",{time}"data":{{"methodName":"kafka.Authentication"}}}}"#
        );
        let (_, e) = Processor::default()
            .enrich(line.as_bytes(), None, 0)
            .unwrap();
        let t = (e.time_source != crate::event::TimeSource::Ingest).then_some(e.time_unix_nanos);
        (t, line.into_bytes())
    }

    fn ids(r: &mut Reorder, mut next: impl FnMut(&mut Reorder) -> Option<Held>) -> Vec<String> {
        std::iter::from_fn(|| next(r))
            .map(|h| {
                let (_, e) = Processor::default().enrich(&h.record, None, 0).unwrap();
                e.event_id().to_owned()
            })
            .collect()
    }

    fn push(r: &mut Reorder, id: &str, time: Option<&str>) {
        let (t, line) = event(id, time);
        r.push(t, &line);
    }

    #[test]
    fn held_events_come_out_in_event_time_then_reading_order() {
        let mut r = Reorder::new(usize::MAX);
        push(&mut r, "p1-a", Some("2026-01-01T00:10:00Z"));
        push(&mut r, "p1-b", Some("2026-01-01T00:20:00Z"));
        push(&mut r, "untimed", None);
        push(&mut r, "p2-a", Some("2026-01-01T00:05:00Z"));
        push(&mut r, "p2-b", Some("2026-01-01T00:20:00Z"));
        assert!(r.over().is_none());
        assert_eq!(
            ids(&mut r, Reorder::pop),
            ["p2-a", "p1-a", "p1-b", "untimed", "p2-b"]
        );
        assert_eq!(r.bytes, 0);
    }

    #[test]
    fn past_the_bound_the_earliest_goes_first() {
        let (_, line) = event("x", Some("2026-01-01T00:00:00Z"));
        let one = Held {
            key: (0, 0),
            record: line.into(),
        }
        .bytes();
        let mut r = Reorder::new(2 * one);
        push(&mut r, "c", Some("2026-01-01T00:03:00Z"));
        push(&mut r, "a", Some("2026-01-01T00:01:00Z"));
        assert!(r.over().is_none(), "two fit");
        push(&mut r, "b", Some("2026-01-01T00:02:00Z"));
        assert_eq!(ids(&mut r, Reorder::over), ["a"]);
        assert_eq!(ids(&mut r, Reorder::pop), ["b", "c"]);
    }

    #[test]
    fn with_no_room_every_event_goes_through_at_once() {
        let mut r = Reorder::new(0);
        push(&mut r, "b", Some("2026-01-01T00:02:00Z"));
        assert_eq!(ids(&mut r, Reorder::over), ["b"]);
        push(&mut r, "a", Some("2026-01-01T00:01:00Z"));
        assert_eq!(ids(&mut r, Reorder::over), ["a"]);
    }
}
