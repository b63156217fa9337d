//! New-value rules: a group (a principal) shows a value it has not shown
//! before — `new_source_ip` (the value is the address's /24 or /64
//! network) and user-defined `new_value` rules.
//!
//! A group seen for the first time learns its value silently: novelty
//! needs history. Values are forgotten `ttl` after they were last seen
//! (event time), and each group keeps at most [`MAX_VALUES`] of them.
//!
//! "First" is decided in event time, not arrival order: an event whose
//! value the group does not know yet waits until the watermark passes it
//! ([`NoveltyRule::advance`]), and waiting events are decided oldest
//! first. Otherwise an attacker's event read from one partition before
//! the principal's usual traffic from another would be learnt as history
//! and the usual network reported as new. A known value is refreshed at
//! once (order does not matter there), so only new values wait: the
//! alert comes the allowed lateness after its event.

use std::collections::{BTreeMap, VecDeque};
use std::mem::size_of;
use std::sync::Arc;

use super::alert::{Alert, EventRef};
use super::book::Book;
use super::facts::Facts;
use super::hash::FastState;
use super::kept::Kept;
use super::state::{ByHash, Keyed, Size};
use super::weigh::{less, Ledger, Tally, Weigh};
use crate::event::Severity;

mod net;
mod pairs;
pub use net::{network, Cidr, Networks};
use pairs::Pairs;

/// Most values remembered per group; the least recently seen go first.
pub const MAX_VALUES: usize = 64;

/// A new-value rule.
pub struct NoveltyRule {
    pub name: &'static str,
    pub severity: Severity,
    pub ttl: i64,
    pub describe: fn(&Alert, &str, usize) -> String,
    /// Put before a group's key in the alert's group key (`principal=`
    /// for `new_source_ip`, whose groups are keyed by the bare principal).
    pub prefix: &'static str,
    /// Groups by a keyed hash of their key ([`NoveltyRule::hash`]): the
    /// detector hashes a principal once for this rule and
    /// `denied_then_granted`, and a lookup compares no string.
    groups: ByHash<Known>,
    hasher: FastState,
    /// Events with a value new to their group, by (time, arrival).
    waiting: Queue,
    /// The earliest waiting event of each (group, value): a later one
    /// of the pair does not wait too ([`pairs`]).
    pairs: Pairs,
    /// The estimate of `waiting`'s and `pairs`' bytes ([`waiting_bytes`]).
    waiting_held: usize,
    arrivals: u64,
    /// Counts the kept events (the detector's, shared by its rules).
    pub ledger: Ledger,
}

/// An event waiting for the watermark: its group's key, its value, the
/// event, and its bytes ([`waiting_bytes`], kept so that taking it out
/// costs no second count).
type Waiting = (String, String, Copied, usize);

/// A waiting event. A granted one is a [`Kept`] copy (its text in one
/// buffer), made an [`EventRef`] only if it raises an alert: every event
/// of a group not seen before waits, and an `Arc<EventRef>` is a second
/// allocation (the `Arc`'s block) beside the text. A denial's `EventRef` is made anyway (`denied_then_granted`
/// keeps it as a first step, `denial_burst` counts it): it is shared.
#[derive(Debug)]
enum Copied {
    Kept(Kept),
    Shared(Arc<EventRef>),
}

impl Copied {
    fn of(f: &Facts<'_>) -> Copied {
        if f.denied {
            Copied::Shared(f.event())
        } else {
            Copied::Kept(Kept::exact(f))
        }
    }

    fn time(&self) -> i64 {
        match self {
            Copied::Kept(k) => k.time,
            Copied::Shared(e) => e.time,
        }
    }

    fn event(&self) -> Arc<EventRef> {
        match self {
            Copied::Kept(k) => Arc::new(k.to_event()),
            Copied::Shared(e) => e.clone(),
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Copied::Kept(k) => k.heap_bytes(),
            // Counted by the [`Ledger`], shared with other rules.
            Copied::Shared(_) => 0,
        }
    }
}

/// Events waiting for the watermark, by (time, arrival). Most come in
/// time order (a stream is mostly in order, and every event of a group not
/// seen before waits: all of a stream's first seconds): those go to the
/// back of a queue, the others to an ordered map, and the next is the
/// smaller of the two fronts. A `BTreeMap` alone cost an insert and a
/// removal per waiting event (BENCHMARKS.md, "Detector").
#[derive(Default)]
struct Queue {
    /// In (time, arrival) order: each pushed at or after the time of the
    /// one before it (arrivals only grow).
    in_order: VecDeque<((i64, u64), Waiting)>,
    out_of_order: BTreeMap<(i64, u64), Waiting>,
}

impl Queue {
    fn insert(&mut self, at: (i64, u64), w: Waiting) {
        if self.in_order.back().is_none_or(|(last, _)| *last <= at) {
            self.in_order.push_back((at, w));
        } else {
            self.out_of_order.insert(at, w);
        }
    }

    /// The (time, arrival) of the next to decide.
    fn first(&self) -> Option<(i64, u64)> {
        let a = self.in_order.front().map(|(at, _)| *at);
        let b = self.out_of_order.first_key_value().map(|(at, _)| *at);
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next to decide, with its (time, arrival).
    fn pop_first(&mut self) -> Option<((i64, u64), Waiting)> {
        let front = self.in_order.front().map(|(at, _)| *at);
        match (front, self.out_of_order.first_key_value()) {
            (Some(a), Some((b, _))) if *b < a => self.out_of_order.pop_first(),
            (Some(_), _) => self.in_order.pop_front(),
            (None, _) => self.out_of_order.pop_first(),
        }
    }

    fn len(&self) -> usize {
        self.in_order.len() + self.out_of_order.len()
    }
}

/// A group's values, with the time each was last seen.
#[derive(Debug, Default)]
struct Known {
    values: Vec<(String, i64)>,
    /// Heap bytes of the values' text.
    text: Tally,
}

impl Weigh for Known {
    fn heap_bytes(&self) -> usize {
        debug_assert_eq!(
            self.text.get(),
            self.values.iter().map(|(v, _)| v.capacity()).sum::<usize>(),
            "a change not counted"
        );
        self.values.capacity() * size_of::<(String, i64)>() + self.text.get()
    }
}

/// One waiting event's bytes: its entry in the queue or the B-tree (both
/// counted two thirds full), its key and value (its event is shared,
/// counted by the [`Ledger`]).
fn waiting_bytes(w: &Waiting) -> usize {
    size_of::<((i64, u64), Waiting)>() * 3 / 2 + w.0.capacity() + w.1.capacity() + w.2.bytes()
}

/// `new_source_ip`'s value for every address of `trusted_networks`: one
/// network that is history and never alerts.
pub const TRUSTED: &str = "trusted networks";

/// Most events waiting for the watermark; beyond it the oldest are
/// decided at once.
const MAX_WAITING: usize = 100_000;

impl NoveltyRule {
    pub fn new(
        name: &'static str,
        severity: Severity,
        ttl: i64,
        max_keys: usize,
        describe: fn(&Alert, &str, usize) -> String,
    ) -> NoveltyRule {
        NoveltyRule {
            name,
            severity,
            ttl,
            describe,
            prefix: "",
            groups: Keyed::new(max_keys),
            hasher: FastState::default(),
            waiting: Queue::default(),
            pairs: Pairs::default(),
            waiting_held: 0,
            arrivals: 0,
            ledger: Ledger::default(),
        }
    }

    pub fn size(&self) -> Size {
        self.groups.size()
    }

    /// The hash that identifies the group `key`: the detector's
    /// [`FastState::hash_str`] of it (any `FastState` hashes alike in one
    /// process).
    pub fn hash(&self, key: &str) -> u64 {
        self.hasher.hash_str(key)
    }

    /// Offers `value` for `key` (whose [`NoveltyRule::hash`] is `hash`),
    /// of the event `f`: a known value is refreshed now; a new one waits
    /// for the watermark (decided at once when already behind it).
    pub fn offer(
        &mut self,
        hash: u64,
        key: &str,
        value: &str,
        f: &Facts<'_>,
        watermark: i64,
        book: &mut Book,
    ) {
        let t = f.time;
        // Only a value's time changes here (`touch`: no weighing). A value
        // last seen more than `ttl` before this event is forgotten for it:
        // whether it is new again is decided in event-time order, with the
        // group's other values as they were then (refreshed here, it would
        // be known to the events before this one too).
        if self.refresh(hash, value, t, t.saturating_sub(self.ttl)) {
            return;
        }
        if t <= watermark {
            self.decide(hash, key, value, t, || f.event(), book);
            return;
        }
        let pair = self.hasher.hash_parts(hash, &[Some(value)]);
        if self.pairs.merge(pair, (hash, value), t, self.ttl) {
            return;
        }
        self.arrivals += 1;
        let copied = Copied::of(f);
        if let Copied::Shared(e) = &copied {
            e.count_in(&self.ledger);
        }
        let mut w = (key.to_owned(), value.to_owned(), copied, 0);
        w.3 = waiting_bytes(&w);
        self.waiting_held += w.3;
        self.waiting.insert((t, self.arrivals), w);
        self.waiting_held += self.pairs.note(pair, hash, value, (t, self.arrivals));
        if self.waiting.len() > MAX_WAITING {
            self.decide_oldest(book);
        }
    }

    /// Decides the oldest waiting event now; false when none waits.
    fn decide_oldest(&mut self, book: &mut Book) -> bool {
        let Some((at, w)) = self.waiting.pop_first() else {
            return false;
        };
        less(&mut self.waiting_held, w.3);
        let hash = self.hash(&w.0);
        let pair = self.hasher.hash_parts(hash, &[Some(&w.1)]);
        let latest = self.pairs.take(pair, at).map(|(latest, bytes)| {
            less(&mut self.waiting_held, bytes);
            latest
        });
        let event = || w.2.event();
        self.decide(hash, &w.0, &w.1, w.2.time(), event, book);
        // The later events of the pair, not queued: the value is known
        // now, and they refresh it as a known value's events do (whatever
        // its last use: it was just decided).
        if let Some(latest) = latest.filter(|&l| l > at.0) {
            self.refresh(hash, &w.1, latest, i64::MIN);
        }
        true
    }

    /// A known value's event at `t`: the group touched and the value's
    /// last use moved to `t`, when it was last seen at or after `since`
    /// (a value seen earlier is forgotten for it). False when it was not.
    fn refresh(&mut self, hash: u64, value: &str, t: i64, since: i64) -> bool {
        let Some(known) = self.groups.touch(&hash, t) else {
            return false;
        };
        let live = known
            .values
            .iter_mut()
            .find(|(v, seen)| v == value && *seen >= since);
        live.map(|slot| slot.1 = slot.1.max(t)).is_some()
    }

    /// Decides, oldest first, the waiting events at or before `watermark`.
    pub fn advance(&mut self, watermark: i64, book: &mut Book) {
        while self.waiting.first().is_some_and(|(t, _)| t <= watermark) {
            self.decide_oldest(book);
        }
    }

    /// Events waiting for the watermark.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// `value` for `key` in event-time order (`event`, at `t`, made only
    /// for an alert); true when it was new to a group with history (and an
    /// alert fired).
    fn decide(
        &mut self,
        hash: u64,
        key: &str,
        value: &str,
        t: i64,
        event: impl FnOnce() -> Arc<EventRef>,
        book: &mut Book,
    ) -> bool {
        let horizon = t.saturating_sub(self.ttl);
        let mut held = self.groups.entry(hash, t, horizon, Known::default);
        let Known { values, text } = &mut *held;
        values.retain(|(v, seen)| {
            let keep = *seen >= horizon;
            if !keep {
                text.sub(v.capacity());
            }
            keep
        });
        if let Some(slot) = values.iter_mut().find(|(v, _)| v == value) {
            slot.1 = slot.1.max(t);
            return false;
        }
        let had = values.len();
        if values.len() >= MAX_VALUES {
            if let Some(oldest) = (0..values.len()).min_by_key(|&i| values[i].1) {
                let (v, _) = values.swap_remove(oldest);
                text.sub(v.capacity());
            }
        }
        let v = value.to_owned();
        text.add(v.capacity());
        values.push((v, t));
        drop(held);
        if had == 0 || value == TRUSTED {
            return false;
        }
        let group_key = format!("{}{key},value={value}", self.prefix);
        let e = event();
        let mut alert = Alert::new(self.name, self.severity, group_key, &[&*e]);
        alert.summary = (self.describe)(&alert, value, had);
        alert.closed = true;
        book.fire(self.name, alert, 0);
        true
    }
}

/// `new_source_ip`'s sentence.
pub fn describe_new_ip(a: &Alert, network: &str, known: usize) -> String {
    format!(
        "{} acted from {} in {network}, a network it has not used before ({known} known).",
        a.principal.as_deref().unwrap_or("(unknown principal)"),
        a.source_ips
            .first()
            .map(String::as_str)
            .unwrap_or("an address"),
    )
}

/// A user-defined new-value rule's sentence.
pub fn describe_custom(a: &Alert, value: &str, known: usize) -> String {
    format!(
        "Rule {}: new value {value} for {} ({known} known before).",
        a.rule,
        a.group_key
            .rsplit_once(",value=")
            .map(|(k, _)| k)
            .unwrap_or(&a.group_key)
    )
}

mod shed;
#[cfg(test)]
mod tests;
