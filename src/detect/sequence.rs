//! Sequence rules: at least N events of a first kind (A), then one of a
//! second kind (B), per group, the B within the window after the A's.
//! `failed_logins_then_success`, `denied_then_granted` and user-defined
//! `sequence` rules.
//!
//! Order is event time, not arrival: a group keeps its recent A's and its
//! last few B's, so an A that arrives after its B (another partition was
//! behind) still completes the sequence. The alert is the A's and the B;
//! the A's of the next alert are those after that B, and a round within
//! the keep-alive (none by default) joins the alert ([`round`]). Its
//! id is anchored on the B (the time of the event that completed the
//! sequence), which does not depend on the order the A's arrived in. An A
//! that arrives after the alert fired but belongs before its B (within the
//! window, and while the alert is open: the watermark has not passed the
//! B) joins it, so the alert lists the same events whatever the order.

use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use super::alert::{alert_id, Alert, EventRef};
use super::book::Book;
use super::facts::Facts;
use super::hash::FastState;
use super::state::{ByHash, Keyed, Size};
use super::weigh::Ledger;
use crate::event::Severity;

/// Most B events a group remembers for late A's.
const KEEP_B: usize = 4;

/// Most A events a group keeps (up to a quarter more between trims): an
/// alert lists at most 100 event ids anyway, and a completing B needs
/// only `min_a` of them.
pub const MAX_A: usize = 1_000;

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
        g.close_fired(watermark);
        // What alerts are made with; read where one may be (a group at
        // quiet, or a completing step): a granted event of a group with
        // no denial returns before.
        let rule = || (self.name, self.window, self.describe, &self.ledger);
        let fired = || (self.severity, self.min_a, self.keep_alive);
        if time <= g.quiet_until() {
            if time > g.last_round().0 {
                // After the alert's last completing event, within its
                // keep-alive: a step of its next round.
                let parts = (rule(), fired(), shared);
                return round::step(parts, &mut self.dropped, g, step, f, key, event, book);
            }
            let displaced = match step {
                Step::A => {
                    let (e, key) = (event(), key());
                    join_late(rule(), g, time, || key.clone(), || e.clone(), book);
                    round::join_between(rule(), g, &e, &key, book);
                    // With it, a B kept from before the alert's may have
                    // enough first steps: it completes the alert instead,
                    // as in time order (it arrived before its first steps).
                    let mut earlier = None;
                    for b in g.kept_before_fired(&e, shared) {
                        let k = || key.clone();
                        earlier = complete_earlier(rule(), fired(), g, b.time, k, || b, book);
                        if earlier.is_some() {
                            break;
                        }
                    }
                    match earlier {
                        None => return false,
                        Some(displaced) => displaced,
                    }
                }
                Step::B => match complete_earlier(rule(), fired(), g, time, key, event, book) {
                    None => {
                        // Kept: a first step that arrives late may still
                        // complete it (as in time order).
                        g.keep_b(f, shared, KEEP_B);
                        return false;
                    }
                    Some(displaced) => displaced,
                },
            };
            // The B it displaced comes after the new one: as in time
            // order, it may be the alert's next round, or past its
            // keep-alive complete a sequence of its own; if neither yet,
            // it is kept for first steps still to come.
            let (b, key) = displaced;
            if !round::settle(rule(), fired(), g, b.clone(), || key, book) {
                g.keep_event(&b, shared, KEEP_B);
            }
            return true;
        }
        // `a` is sorted by time: the expired ones are a prefix.
        let expired = g.a.partition_point(|x| x.time < horizon);
        if expired > 0 {
            g.a.drain(..expired);
        }
        g.expire_b(horizon);
        let candidates: Vec<Arc<EventRef>> = match step {
            Step::A => {
                let e = event();
                g.insert_a(e.clone());
                e.count_in(&self.ledger);
                // A flood of first steps (failed logins from one address)
                // keeps the latest `MAX_A`; trimmed by the quarter, so the
                // move is paid once per `MAX_A / 4` events.
                self.dropped += g.trim_a(MAX_A);
                // A late A may complete a B already seen (most groups
                // have none: no walk).
                if g.rare.is_none() {
                    Vec::new()
                } else {
                    g.kept_after(&e, shared)
                }
            }
            Step::B => {
                g.keep_b(f, shared, KEEP_B);
                // Without enough A's before it, this B completes nothing.
                let before = g.a.partition_point(|x| x.time <= time);
                if before < self.min_a as usize {
                    return false;
                }
                vec![event()]
            }
        };
        complete(rule(), fired(), g, candidates, key, book)
    }

    pub fn expire(&mut self, watermark: i64) {
        self.groups
            .expire(watermark.saturating_sub(self.window.saturating_add(self.keep_alive)));
    }
}

/// A rule's name, window, sentence and ledger.
type RuleParts<'r> = (&'static str, i64, Describe, &'r Ledger);

/// What a rule's alerts are made with: severity, first steps needed,
/// keep-alive.
type FireParts = (Severity, u32, i64);

/// Fires the alert of the first of `candidates` (B's, earliest first)
/// with enough first steps of `g` within the window before it; true when
/// one fired.
fn complete(
    (name, window, describe, ledger): RuleParts<'_>,
    (severity, min_a, keep_alive): FireParts,
    g: &mut Group,
    candidates: Vec<Arc<EventRef>>,
    key: impl FnOnce() -> String,
    book: &mut Book,
) -> bool {
    for b in candidates {
        let a = firsts_before(g.a.iter(), b.time, window);
        if a.len() < min_a as usize {
            continue;
        }
        let parts = (name, severity, describe);
        let alert = sequence_alert(parts, key(), &a, (&b, g.id_time(b.time)));
        // The B is kept now, with the first steps (already counted).
        b.count_in(ledger);
        g.fire(b.time.saturating_add(keep_alive), a, b, true);
        book.fire_in_turn(name, alert, keep_alive);
        return true;
    }
    false
}

/// The first steps of `firsts` within the window before `time`; one at
/// `time` itself counts (a tie is read as before: with times in
/// milliseconds, or events without one, a failure and the login after it
/// can share a time).
fn firsts_before<'e>(
    firsts: impl Iterator<Item = &'e Arc<EventRef>>,
    time: i64,
    window: i64,
) -> Vec<Arc<EventRef>> {
    let from = time.saturating_sub(window);
    firsts
        .filter(|x| x.time >= from && x.time <= time)
        .cloned()
        .collect()
}

/// The alert of a sequence: its first steps `a` and its B, its id
/// anchored on the B's time (which of the first steps had arrived when it
/// fired depends on the partitions' order; the event that completed the
/// sequence does not), or on `id_at` when another alert holds that id
/// ([`group::IdSwap`]).
fn sequence_alert(
    (name, severity, describe): (&'static str, Severity, Describe),
    key: String,
    a: &[Arc<EventRef>],
    (b, id_at): (&EventRef, i64),
) -> Alert {
    let mut refs: Vec<&EventRef> = a.iter().map(|x| &**x).collect();
    refs.push(b);
    let id = alert_id(name, &key, id_at);
    let mut alert = Alert::new(name, severity, key, &refs);
    alert.id = id;
    alert.anchored = true;
    alert.summary = describe(&alert, 1, b);
    alert
}

/// How a sequence alert is described: the alert, its rounds, its last B.
type Describe = fn(&Alert, u32, &EventRef) -> String;

super::weigh::shed_by_groups!(SequenceRule);

mod describe;
mod group;
mod late;
mod round;
pub use describe::{describe_custom, describe_denied_granted, describe_logins};
use group::Group;
use late::{complete_earlier, join_late};

#[cfg(test)]
mod tests;
