//! The book of open alerts: an alert stays open while its incident goes
//! on (events of its group join it within its keep-alive) and is handed
//! out when it fires and when it closes ([`Emit`]).
//!
//! The open alerts are held to `[detect] max_open_alert_bytes` (an
//! estimate, kept as alerts open, grow and close): over it, the alerts
//! least recently joined are closed early, down to nine tenths of the
//! bound, and handed out as they are, as if their keep-alive had ended.
//! No alert is lost; an early-closed alert's group starts afresh (its
//! later events count toward a new alert, with its own id).

use std::mem::size_of;
use std::ops::RangeInclusive;
use std::sync::Arc;

use super::alert::{Alert, EventRef};
use super::hash::FastMap;

/// When alerts are handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    /// When they fire (within a second of the event that completes them),
    /// and again when they close if events joined them meanwhile. `run`.
    OnFireAndClose,
    /// Once, complete, when they close or the input ends. `detect`.
    OnClose,
}

#[derive(Debug)]
struct Open {
    alert: Alert,
    keep_alive: i64,
    /// Changed since last handed out.
    dirty: bool,
    /// Rewrites the summary when events joined (counts change).
    refresh: Option<fn(&Alert) -> String>,
    /// Its bytes in the book ([`Open::weigh`]), kept up to date.
    bytes: usize,
    /// Its events, for an alert that may lose some when it closes.
    revise: Option<Box<Revise>>,
    /// Later alerts of its group, in time order, waiting for it to close
    /// before they are handed out ([`later`]): an event that arrives late
    /// may still bridge the gap, and they join it.
    later: Vec<Open>,
}

/// Open alerts by rule and group key.
#[derive(Debug)]
pub struct Book {
    /// Rule name → group key → alert (two levels, so a lookup by `&str`
    /// allocates nothing).
    open: FastMap<&'static str, FastMap<String, Open>>,
    /// No open alert's keep-alive ends before this time: a watermark at or
    /// below it closes nothing, and [`Book::close_before`] returns at once.
    next_deadline: i64,
    emit: Emit,
    pub out: Vec<Alert>,
    /// The open alerts' bytes (an estimate), and its bound.
    bytes: usize,
    pub max_bytes: usize,
    /// Alerts closed early, over `max_bytes`.
    pub closed_early: u64,
}

/// Which of a group's alerts an event is added to.
#[derive(Debug, Clone)]
enum Target {
    /// The one whose keep-alive it is within.
    KeepAlive,
    /// The first whose events' span meets this period; `true`: and whose
    /// keep-alive the event is within.
    Spanning(RangeInclusive<i64>, bool),
}

impl Open {
    fn deadline(&self) -> i64 {
        self.alert.last_time.saturating_add(self.keep_alive)
    }

    /// Of it (`Some(None)`) and the alerts waiting behind it (`Some(Some(i))`),
    /// the first whose events' span meets the period `at`.
    fn spanning(&self, at: &RangeInclusive<i64>) -> Option<Option<usize>> {
        let spans = |o: &Open| o.alert.first_time <= *at.end() && *at.start() <= o.alert.last_time;
        if spans(self) {
            return Some(None);
        }
        self.later.iter().position(spans).map(Some)
    }

    /// It (`None`) or the alert waiting behind it at `i`.
    fn at(&self, i: Option<usize>) -> &Open {
        i.map_or(self, |i| &self.later[i])
    }

    /// Its bytes, counted: its slot in its rule's map, its key, its
    /// alert's heap.
    fn weigh(&self) -> usize {
        // Its slot and control byte at the map's highest load (7/8), as
        // the rules' state counts its groups.
        (size_of::<(String, Open)>() + 1) * 8 / 7
            + self.alert.group_key.capacity()
            + self.alert.heap_bytes()
            + self.revise.as_deref().map_or(0, Revise::bytes)
            + self.later.capacity() * size_of::<Open>()
    }

    /// Its bytes and those of the alerts waiting behind it.
    fn total(&self) -> usize {
        self.bytes + self.later.iter().map(|o| o.bytes).sum::<usize>()
    }

    /// Adds `e` (the shared event kept too, for an alert that may be
    /// [`Revise`]d), rewrites the summary with `describe` when `e` changed
    /// the alert, and keeps its bytes; `follow`: the id follows the
    /// window's start (not handed out yet).
    fn take(
        &mut self,
        rule: &str,
        e: &EventRef,
        shared: Option<&Arc<EventRef>>,
        describe: Option<impl FnOnce(&Alert) -> String>,
        follow: bool,
    ) {
        let (before, start) = (self.alert.event_count, self.alert.first_time);
        let mut grew = self.alert.add(e);
        if follow && self.alert.first_time < start {
            self.alert.window_moved(rule, start);
        }
        if let (Some(r), Some(shared)) = (self.revise.as_deref_mut(), shared) {
            let cap = r.events.capacity();
            // Past the most it keeps, it keeps one more (and is then
            // left as it is: see `MAX_REVISE`).
            let mut added = 0;
            if r.events.len() <= MAX_REVISE {
                r.events.push(shared.clone());
                added = shared.bytes();
                r.held += added;
            }
            grew += ((r.events.capacity() - cap) * size_of::<Arc<EventRef>>() + added) as isize;
        }
        if self.alert.event_count != before {
            self.dirty = true;
            if let Some(describe) = describe {
                let summary = self.alert.summary.capacity() as isize;
                self.alert.summary = describe(&self.alert);
                grew += self.alert.summary.capacity() as isize - summary;
            }
        }
        self.bytes = self.bytes.saturating_add_signed(grew);
        debug_assert_eq!(self.bytes, self.weigh(), "a change not counted");
    }
}

impl Book {
    pub fn new(emit: Emit) -> Book {
        Book {
            open: FastMap::default(),
            next_deadline: i64::MAX,
            emit,
            out: Vec::new(),
            bytes: 0,
            max_bytes: usize::MAX,
            closed_early: 0,
        }
    }

    /// The estimate of the open alerts' bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn open_count(&self) -> usize {
        self.open.values().map(FastMap::len).sum()
    }

    /// Adds `e` to the open alert of `(rule, key)` when `e` is within its
    /// keep-alive; false when there is none (or it is too far behind).
    /// A deadline only moves later here, so `next_deadline` stays a bound.
    pub fn extend(&mut self, rule: &'static str, key: &str, e: &EventRef) -> bool {
        self.add(
            rule,
            key,
            e,
            None,
            Target::KeepAlive,
            None::<fn(&Alert) -> String>,
        )
    }

    /// [`Book::extend`] with the shared event, which an alert that may
    /// be revised keeps ([`Revise`]).
    pub fn extend_shared(&mut self, rule: &'static str, key: &str, e: &Arc<EventRef>) -> bool {
        self.add(
            rule,
            key,
            e,
            Some(e),
            Target::KeepAlive,
            None::<fn(&Alert) -> String>,
        )
    }

    /// [`Book::extend`] and [`Book::join`]: the event added to the alert
    /// `target` picks, the summary rewritten when it changed the alert,
    /// the estimate kept and the bound held.
    fn add(
        &mut self,
        rule: &'static str,
        key: &str,
        e: &EventRef,
        shared: Option<&Arc<EventRef>>,
        target: Target,
        describe: Option<impl FnOnce(&Alert) -> String>,
    ) -> bool {
        let Some(head) = self.open.get_mut(rule).and_then(|m| m.get_mut(key)) else {
            return false;
        };
        // The open alert (`None`), or one waiting behind it.
        let at = match target {
            Target::KeepAlive if e.time > head.deadline() => {
                match head.later.iter().position(|o| e.time <= o.deadline()) {
                    Some(i) => Some(i),
                    None => return false,
                }
            }
            Target::KeepAlive => None,
            Target::Spanning(t, within) => match head.spanning(&t) {
                Some(i) if within && e.time > head.at(i).deadline() => return false,
                Some(i) => i,
                None => return false,
            },
        };
        let before = head.total();
        // Not handed out yet: its id may still follow its window's start,
        // so that the same events give the same id in any order.
        let follow = self.emit == Emit::OnClose || at.is_some();
        let open = match at {
            None => &mut *head,
            Some(i) => &mut head.later[i],
        };
        open.take(rule, e, shared, describe, follow);
        later::knit(head);
        self.bytes = (self.bytes + head.total()).saturating_sub(before);
        self.keep_to_bound();
        true
    }

    /// The listed event times of the open (or waiting) alert of
    /// `(rule, key)` whose events span time `at`.
    pub fn times_at(&self, rule: &'static str, key: &str, at: i64) -> Option<Vec<i64>> {
        let head = self.open.get(rule)?.get(key)?;
        let a = std::iter::once(head)
            .chain(&head.later)
            .map(|o| &o.alert)
            .find(|a| a.first_time <= at && at <= a.last_time)?;
        Some(a.times.clone())
    }

    /// A new alert; handed out now in [`Emit::OnFireAndClose`].
    pub fn fire(&mut self, rule: &'static str, alert: Alert, keep_alive: i64) {
        self.fire_with(rule, alert, keep_alive, None)
    }

    /// [`Book::fire`] with a summary that is rewritten as events join.
    pub fn fire_with(
        &mut self,
        rule: &'static str,
        alert: Alert,
        keep_alive: i64,
        refresh: Option<fn(&Alert) -> String>,
    ) {
        self.fire_revisable(rule, alert, keep_alive, refresh, None)
    }

    /// [`Book::fire`] for an alert that waits behind its group's open
    /// alert even with no keep-alive: a sequence's, whose group's earlier
    /// alert may still take a first step that arrives late.
    pub fn fire_in_turn(&mut self, rule: &'static str, alert: Alert, keep_alive: i64) {
        self.open_alert(rule, alert, keep_alive, None, None, true)
    }

    /// [`Book::fire_with`] for an alert whose events may be [`Revise`]d
    /// when it closes.
    pub fn fire_revisable(
        &mut self,
        rule: &'static str,
        alert: Alert,
        keep_alive: i64,
        refresh: Option<fn(&Alert) -> String>,
        revise: Option<Box<Revise>>,
    ) {
        self.open_alert(rule, alert, keep_alive, refresh, revise, keep_alive > 0)
    }

    /// Opens `alert`; `in_turn`: behind its group's open alert when it
    /// starts past that one's keep-alive.
    fn open_alert(
        &mut self,
        rule: &'static str,
        alert: Alert,
        keep_alive: i64,
        refresh: Option<fn(&Alert) -> String>,
        revise: Option<Box<Revise>>,
        in_turn: bool,
    ) {
        let mut open = Open {
            alert,
            keep_alive,
            dirty: true,
            refresh,
            bytes: 0,
            revise,
            later: Vec::new(),
        };
        open.bytes = open.weigh();
        let key = open.alert.group_key.as_str();
        if let Some(head) = self.open.get_mut(rule).and_then(|m| m.get_mut(key)) {
            // Past the open alert's keep-alive while it is open: it waits.
            if in_turn && open.alert.first_time > head.deadline() {
                let before = head.total();
                later::wait(head, open);
                self.bytes = (self.bytes + head.total()).saturating_sub(before);
                self.keep_to_bound();
                return;
            }
        }
        if self.emit == Emit::OnFireAndClose {
            self.out.push(open.alert.clone());
            open.dirty = false;
        }
        self.bytes += open.bytes;
        self.next_deadline = self.next_deadline.min(open.deadline());
        let key = open.alert.group_key.clone();
        if let Some(old) = self.open.entry(rule).or_default().insert(key, open) {
            self.close(old);
        }
        self.keep_to_bound();
    }
}

mod closing;
mod later;
mod revise;
mod span;
use revise::MAX_REVISE;
pub use revise::{Revise, Settle};
pub use span::Replaced;

#[cfg(test)]
mod tests;
