//! Sequence rules: at least N events of a first kind (A), then one of a
//! second kind (B), per group, the B within the window after the A's.
//! `failed_logins_then_success`, `denied_then_granted` and user-defined
//! `sequence` rules.
//!
//! Order is event time, not arrival: a group keeps its recent A's and its
//! last few B's, so an A that arrives after its B (another partition was
//! behind) still completes the sequence. The alert is the A's and the B;
//! it fires once, and the group is quiet for the keep-alive after it. Its
//! id is anchored on the B (the time of the event that completed the
//! sequence), which does not depend on the order the A's arrived in. An A
//! that arrives after the alert fired but belongs before its B (within the
//! window, and while the alert is open: the watermark has not passed the
//! B) joins it, so the alert lists the same events whatever the order.

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash};
use std::mem::size_of;
use std::sync::Arc;

use super::alert::{alert_id, Alert, EventRef};
use super::book::Book;
use super::facts::Facts;
use super::hash::FastState;
use super::kept::Kept;
use super::state::{trim_oldest, ByHash, Keyed, Size};
use super::weigh::{Ledger, Tally, Weigh};
use crate::event::Severity;

/// Most B events a group remembers for late A's.
const KEEP_B: usize = 4;

/// Most A events a group keeps (up to a quarter more between trims): an
/// alert lists at most 100 event ids anyway, and a completing B needs
/// only `min_a` of them.
pub const MAX_A: usize = 1_000;

///
/// Small, because a storm makes many (an alert storm's `denied_then_granted`
/// held ≈ 35,000, each a slot of its rule's table: BENCHMARKS.md, session
/// 8): no copy of the fields its events have alike (a kept B leaves them
/// out, and the A that completes it has them), and a fired alert behind a
/// box.
#[derive(Debug, Default)]
struct Group {
    a: Vec<Arc<EventRef>>,
    /// The last B's, in arrival order, as copies whose buffers are reused
    /// (most B's never complete anything: a granted event of a group with
    /// no denial is kept only for a denial that may still arrive late).
    /// A ring: the oldest copy is taken from the front, refilled and put
    /// at the back (a `Vec` rotated its four copies on every B).
    b: VecDeque<Kept>,
    /// No new alert from events at or before this time.
    quiet_until: i64,
    /// The last alert's events, while a late first step may still join it.
    fired: Option<Box<Fired>>,
    /// Its heap bytes ([`Group::count`]; the first steps' events are
    /// shared, counted by the [`Ledger`]), kept up to date as it changes:
    /// weighing it is one read (a granted event weighs its group twice).
    bytes: Tally,
}

/// The events of a fired alert: its first steps (time order) and the
/// event that completed it.
#[derive(Debug)]
struct Fired {
    a: Vec<Arc<EventRef>>,
    b: Arc<EventRef>,
}

impl Fired {
    /// Its box and its vector's buffer (its events are the [`Ledger`]'s).
    fn bytes(&self) -> usize {
        size_of::<Fired>() + self.a.capacity() * size_of::<Arc<EventRef>>()
    }
}

impl Group {
    /// Its heap bytes, counted: the vectors' buffers, the kept copies'
    /// text, the fired alert's box (the events are the [`Ledger`]'s).
    fn count(&self) -> usize {
        self.a.capacity() * size_of::<Arc<EventRef>>()
            + self.b.capacity() * size_of::<Kept>()
            + self.b.iter().map(Kept::heap_bytes).sum::<usize>()
            + self.fired.as_deref().map_or(0, Fired::bytes)
    }
}

impl Weigh for Group {
    fn heap_bytes(&self) -> usize {
        debug_assert_eq!(self.bytes.get(), self.count(), "a change not counted");
        self.bytes.get()
    }
    fn events(&self) -> usize {
        self.a.len() + self.fired.as_ref().map_or(0, |x| x.a.len() + 1)
    }
    /// The first steps it holds.
    fn rank(&self) -> u32 {
        u32::try_from(self.a.len()).unwrap_or(u32::MAX)
    }
}

/// A sequence rule.
pub struct SequenceRule {
    pub name: &'static str,
    pub severity: Severity,
    pub min_a: u32,
    pub window: i64,
    pub keep_alive: i64,
    pub describe: Describe,
    /// Groups by a keyed hash of their key's parts: looking one up makes
    /// no string. Keyed (random per process), so that no one can choose
    /// values whose hashes collide.
    groups: ByHash<Group>,
    hasher: FastState,
    /// Fields of [`EventRef::fields_of`] (a mask) that are the same for
    /// every event of a group, because the group's key is made of them:
    /// kept B's leave them out, and take them from the A that completes
    /// them.
    pub shared: u8,
    /// First steps forgotten over [`MAX_A`] (evictions).
    dropped: u64,
    /// Counts the kept events (the detector's, shared by its rules).
    pub ledger: Ledger,
}

/// Which step an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    A,
    B,
}

impl SequenceRule {
    pub fn new(
        name: &'static str,
        severity: Severity,
        min_a: u32,
        window: i64,
        keep_alive: i64,
        max_keys: usize,
        describe: Describe,
    ) -> SequenceRule {
        SequenceRule {
            name,
            severity,
            min_a: min_a.max(1),
            window,
            keep_alive,
            describe,
            groups: Keyed::new(max_keys),
            hasher: FastState::default(),
            shared: 0,
            dropped: 0,
            ledger: Ledger::default(),
        }
    }

    /// The hash that identifies a group: of the parts its key is made of.
    pub fn hash(&self, parts: impl Hash) -> u64 {
        self.hasher.hash_one(parts)
    }

    /// The same for a key of a `u64` and optional strings
    /// ([`FastState::hash_parts`], cheaper). A rule's groups must all be
    /// hashed one way: `denied_then_granted`'s are hashed so.
    pub fn hash_parts(&self, first: u64, parts: &[Option<&str>]) -> u64 {
        self.hasher.hash_parts(first, parts)
    }

    pub fn size(&self) -> Size {
        let mut size = self.groups.size();
        size.evictions += self.dropped;
        size
    }

    /// Offers the event `f` of the group `hash` as step `step`; `key`
    /// makes the group key as alerts show it, only when one fires (every
    /// event of a group has the parts the key is made of, so any of them
    /// makes the same key: groups hold none, most never fire); `event` is the event as
    /// alerts keep it, made only when needed. True when it completed a
    /// sequence.
    #[allow(clippy::too_many_arguments)]
    pub fn offer(
        &mut self,
        hash: u64,
        key: impl FnOnce() -> String,
        step: Step,
        f: &Facts<'_>,
        event: impl FnOnce() -> Arc<EventRef>,
        watermark: i64,
        book: &mut Book,
    ) -> bool {
        let time = f.time;
        let horizon = watermark.saturating_sub(self.window);
        let shared = self.shared;
        let mut held = self.groups.entry(hash, time, horizon, Group::default);
        let g = &mut *held;
        // The fired alert is closed once the watermark passed its B: no
        // late first step can join it any more.
        if g.fired.as_ref().is_some_and(|x| x.b.time < watermark) {
            let gone = g.fired.take().map_or(0, |x| x.bytes());
            g.bytes.sub(gone);
        }
        if time <= g.quiet_until {
            if step == Step::A {
                let rule = (self.name, self.window, self.describe, &self.ledger);
                join_late(rule, g, time, key, event, book);
            }
            return false;
        }
        // `a` is sorted by time: the expired ones are a prefix.
        let expired = g.a.partition_point(|x| x.time < horizon);
        if expired > 0 {
            g.a.drain(..expired);
        }
        // Looked over before the `retain`: a ring's rebuild cost more than
        // the look, and most events find nothing expired.
        if g.b.iter().any(|x| x.time < horizon) {
            let bytes = &mut g.bytes;
            g.b.retain(|x| {
                let keep = x.time >= horizon;
                if !keep {
                    bytes.sub(x.heap_bytes());
                }
                keep
            });
        }
        let candidates: Vec<Arc<EventRef>> = match step {
            Step::A => {
                let e = event();
                let at = g.a.partition_point(|x| x.time <= e.time);
                let cap = g.a.capacity();
                g.a.insert(at, e.clone());
                let grown = (g.a.capacity() - cap) * size_of::<Arc<EventRef>>();
                g.bytes.add(grown);
                e.count_in(&self.ledger);
                // A flood of first steps (failed logins from one address)
                // keeps the latest `MAX_A`; trimmed by the quarter, so the
                // move is paid once per `MAX_A / 4` events.
                self.dropped += trim_oldest(&mut g.a, MAX_A, |_| {});
                // A late A may complete a B already seen.
                g.b.iter()
                    .filter(|b| b.time > e.time)
                    .map(|b| Arc::new(b.to_event_with(&e, shared)))
                    .collect()
            }
            Step::B => {
                if g.b.len() < KEEP_B {
                    let (k, cap) = (Kept::of(f, shared), g.b.capacity());
                    let text = k.heap_bytes();
                    g.b.push_back(k);
                    g.bytes
                        .add(text + (g.b.capacity() - cap) * size_of::<Kept>());
                } else if let Some(mut oldest) = g.b.pop_front() {
                    let before = oldest.heap_bytes();
                    oldest.fill(f, shared);
                    // A refill only ever grows the buffer.
                    g.bytes.add(oldest.heap_bytes().saturating_sub(before));
                    g.b.push_back(oldest);
                }
                // Without enough A's before it, this B completes nothing.
                let before = g.a.partition_point(|x| x.time < time);
                if before < self.min_a as usize {
                    return false;
                }
                vec![event()]
            }
        };
        for b in candidates {
            let from = b.time.saturating_sub(self.window);
            let a: Vec<Arc<EventRef>> =
                g.a.iter()
                    .filter(|x| x.time >= from && x.time < b.time)
                    .cloned()
                    .collect();
            if a.len() < self.min_a as usize {
                continue;
            }
            let mut refs: Vec<&EventRef> = a.iter().map(|x| &**x).collect();
            refs.push(&*b);
            let key = key();
            let id = alert_id(self.name, &key, b.time);
            let mut alert = Alert::new(self.name, self.severity, key, &refs);
            // Anchored on the completing event: which of the first steps
            // had arrived when it fired depends on the partitions' order,
            // the event that completed the sequence does not.
            alert.id = id;
            alert.summary = (self.describe)(&alert, &refs[..a.len()], &b);
            alert.closed = true;
            drop(refs);
            g.quiet_until = b.time.saturating_add(self.keep_alive);
            g.a.retain(|x| x.time > b.time);
            for k in g.b.drain(..) {
                g.bytes.sub(k.heap_bytes());
            }
            // The B is kept now, with the first steps (already counted).
            b.count_in(&self.ledger);
            let fired = Box::new(Fired { a, b });
            g.bytes.add(fired.bytes());
            if let Some(old) = g.fired.replace(fired) {
                g.bytes.sub(old.bytes());
            }
            book.fire(self.name, alert, 0);
            return true;
        }
        false
    }

    pub fn expire(&mut self, watermark: i64) {
        self.groups
            .expire(watermark.saturating_sub(self.window.saturating_add(self.keep_alive)));
    }
}

/// A rule's name, window, sentence and ledger.
type RuleParts<'r> = (&'static str, i64, Describe, &'r Ledger);

/// How a sequence alert is described: the alert, its first steps, its B.
type Describe = fn(&Alert, &[&EventRef], &EventRef) -> String;

/// A first step at or before the group's quiet time: it joins the fired
/// alert when it belongs before that alert's B, within the window, and the
/// alert is still open; otherwise it is ignored.
fn join_late(
    (name, window, describe, ledger): RuleParts<'_>,
    g: &mut Group,
    time: i64,
    key: impl FnOnce() -> String,
    event: impl FnOnce() -> Arc<EventRef>,
    book: &mut Book,
) {
    let Some(fired) = &mut g.fired else {
        return;
    };
    let b = &fired.b;
    if time >= b.time || time < b.time.saturating_sub(window) {
        return;
    }
    let e = event();
    if fired.a.iter().any(|x| x.id() == e.id()) {
        return;
    }
    let at = fired.a.partition_point(|x| x.time <= e.time);
    let cap = fired.a.capacity();
    fired.a.insert(at, e.clone());
    let grown = (fired.a.capacity() - cap) * size_of::<Arc<EventRef>>();
    g.bytes.add(grown);
    e.count_in(ledger);
    let a: Vec<&EventRef> = fired.a.iter().map(|x| &**x).collect();
    book.join(name, &key(), &e, |alert| describe(alert, &a, b));
}

super::weigh::shed_by_groups!(SequenceRule);

mod describe;
pub use describe::{describe_custom, describe_denied_granted, describe_logins};

#[cfg(test)]
mod tests;
