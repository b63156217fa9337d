//! Events that arrive late at a threshold rule.
//!
//! One dated past an alert's keep-alive, read before the event that
//! extends the alert up to it, joins the alert then ([`CountRule::pull`]).
//!
//! One that moves a threshold alert's window earlier ([`CountRule::after_join`]).
//!
//! Read in arrival order, a threshold alert fires on the first window that
//! reaches the threshold among the events that have *arrived*. An event
//! that arrives late can make an earlier window reach it: in time order,
//! the alert would have fired on that window, with the events before the
//! one it fired on (`x@0 e0@290 … e3@299`, five in 300 s, with `e3` late:
//! the alert fired on `e0…e5`, and `x` belongs to it). So when an alert
//! fires, its group keeps the events just before its window (within two
//! windows and keep-alives of its first event, at most four thresholds'
//! worth: a late event may extend the alert back, and a chain of them
//! further); when a late
//! event joins the alert, the earliest window that now reaches the
//! threshold with them is found again, and the events from its start
//! join the alert (in `detect`, whose alerts are not handed out until they
//! close, its id follows its window's start).

use std::sync::Arc;

use std::mem::size_of;

use super::super::hash::FastMap;
use super::super::weigh::{Ledger, Shed, Size};
use super::{hit_bytes, Book, CountRule, EventRef, Group, Hit};

/// The hits kept just before a fired alert's window, and that alert's
/// first event time (its anchor).
#[derive(Debug)]
struct Before {
    hits: Vec<Hit>,
    anchor: i64,
}

/// [`Before`]s by group key, and their bytes (a plain count rule's hits
/// hold no value: their bytes are their places; their events are the
/// ledger's).
#[derive(Debug, Default)]
pub(super) struct Befores {
    by_key: FastMap<String, Before>,
    bytes: usize,
}

fn entry_bytes(key: &str, b: &Before) -> usize {
    key.len() + size_of::<(String, Before)>() + b.hits.capacity() * size_of::<Hit>()
}

impl Befores {
    /// When group `key`'s alert fires (`used`: its events; `hits`: the
    /// group's, those before them still there): keeps the hits just
    /// before its window that could still open it earlier (within
    /// `reach` of its first event, at most four thresholds). `plain`: a
    /// count rule whose window is the events' count alone (a distinct or
    /// spread rule keeps none).
    pub(super) fn keep(
        &mut self,
        key: &str,
        hits: &[Hit],
        used: &[Arc<EventRef>],
        (threshold, reach, plain): (u32, i64, bool),
    ) {
        self.remove(key);
        let Some(first) = used.iter().map(|e| e.time).min().filter(|_| plain) else {
            return;
        };
        let end = hits.partition_point(|h| h.event.time < first);
        let start = hits[..end].partition_point(|h| h.event.time < first.saturating_sub(reach));
        let start = start.max(end.saturating_sub(threshold as usize * 4));
        if start < end {
            let b = Before {
                hits: hits[start..end].to_vec(),
                anchor: first,
            };
            self.bytes += entry_bytes(key, &b);
            self.by_key.insert(key.to_owned(), b);
        }
    }

    fn remove(&mut self, key: &str) {
        if let Some((k, b)) = self.by_key.remove_entry(key) {
            self.bytes = self.bytes.saturating_sub(entry_bytes(&k, &b));
        }
    }

    /// Forgets those anchored before `horizon`.
    pub(super) fn expire(&mut self, horizon: i64) {
        let bytes = &mut self.bytes;
        self.by_key.retain(|k, b| {
            let keep = b.anchor >= horizon;
            if !keep {
                *bytes = bytes.saturating_sub(entry_bytes(k, b));
            }
            keep
        });
    }

    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(super) fn events(&self) -> usize {
        self.by_key.values().map(|b| b.hits.len()).sum()
    }
}

impl CountRule {
    /// Moves into group `key`'s alerts the events it holds that their
    /// keep-alive now reaches ([`pull_into`]).
    pub(super) fn pull(&mut self, key: &str, book: &mut Book, used: &mut Vec<Arc<EventRef>>) {
        if let Some(mut g) = self.groups.get_held(key) {
            pull_into(&mut g, self.name, key, book, used);
        }
    }

    /// After an event joined group `key`'s alert: [`pull_into`] and
    /// [`widen_into`], the group looked up once.
    pub(super) fn after_join(&mut self, key: &str, book: &mut Book, used: &mut Vec<Arc<EventRef>>) {
        let (n, window, name) = (self.threshold as usize, self.window, self.name);
        if let Some(mut g) = self.groups.get_held(key) {
            pull_into(&mut g, name, key, book, used);
        }
        if !self.before.by_key.is_empty() {
            widen_into(&mut self.before, (name, n, window), key, book, used);
        }
    }
}

/// Moves into group `key`'s alerts the events `g` holds that their
/// keep-alive now reaches. Read in arrival order, an event dated past an
/// alert's keep-alive may come before the one that extends the alert up
/// to it (or before the alert fired): it was kept toward a new window,
/// and belongs to the incident. Kept events are sorted, and one that joins
/// has every earlier one joining too: a prefix.
fn pull_into(
    g: &mut Group,
    name: &'static str,
    key: &str,
    book: &mut Book,
    used: &mut Vec<Arc<EventRef>>,
) {
    let n = g
        .hits
        .iter()
        .take_while(|h| book.extend_shared(name, key, &h.event))
        .count();
    for h in g.hits.drain(..n) {
        g.held.sub(hit_bytes(&h));
        g.consumed_until = g.consumed_until.max(h.event.time);
        used.push(h.event);
    }
}

/// After a late event joined group `key`'s alert: the earliest window
/// that now reaches the threshold (`n` in `window`) with the hits kept
/// before the alert ([`keep_before`]); its hits join the alert (and
/// `used`).
fn widen_into(
    before: &mut Befores,
    (name, n, window): (&'static str, usize, i64),
    key: &str,
    book: &mut Book,
    used: &mut Vec<Arc<EventRef>>,
) {
    let Some(kept) = before.by_key.get_mut(key) else {
        return;
    };
    let Some(times) = book.times_at(name, key, kept.anchor) else {
        // Its alert closed: they can open no window of it.
        before.remove(key);
        return;
    };
    let hits = &kept.hits;
    let start = (0..hits.len()).find(|&i| {
        let t = hits[i].event.time;
        let end = t.saturating_add(window);
        let within = hits[i..].partition_point(|h| h.event.time <= end);
        let listed = times.partition_point(|x| *x <= end) - times.partition_point(|x| *x < t);
        within + listed >= n
    });
    let Some(start) = start else {
        return;
    };
    // Those before it stay: a later late event may open the window
    // earlier still.
    // (Its buffer keeps its capacity: the bytes counted stay right.)
    for h in kept.hits.drain(start..) {
        if book.extend_shared(name, key, &h.event) {
            used.push(h.event);
        }
    }
}

/// [`super::super::weigh::shed_by_groups`] with the hits kept before
/// fired alerts counted too.
impl Shed for CountRule {
    fn size(&self) -> Size {
        CountRule::size(self)
    }
    fn bytes(&self) -> usize {
        self.groups.bytes() + self.before.bytes()
    }
    fn held(&self) -> usize {
        self.groups.held() + self.before.bytes()
    }
    fn events(&self) -> usize {
        self.groups.events() + self.before.events()
    }
    fn ledger(&mut self) -> Option<&mut Ledger> {
        Some(&mut self.ledger)
    }
    fn shed(&mut self, bytes: usize, per_event: usize, _: &mut Book) -> u64 {
        self.groups.shed(bytes, per_event)
    }
}
