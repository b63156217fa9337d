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

impl Open {
    fn deadline(&self) -> i64 {
        self.alert.last_time.saturating_add(self.keep_alive)
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
        self.add(rule, key, e, None, true, None::<fn(&Alert) -> String>)
    }

    /// [`Book::extend`] with the shared event, which an alert that may
    /// be revised keeps ([`Revise`]).
    pub fn extend_shared(&mut self, rule: &'static str, key: &str, e: &Arc<EventRef>) -> bool {
        self.add(rule, key, e, Some(e), true, None::<fn(&Alert) -> String>)
    }

    /// Adds `e` to the open alert of `(rule, key)` whatever its time (a
    /// late event that belongs to the incident) and rewrites its summary
    /// with `describe`; false when that alert is not open.
    pub fn join(
        &mut self,
        rule: &'static str,
        key: &str,
        e: &EventRef,
        describe: impl FnOnce(&Alert) -> String,
    ) -> bool {
        self.add(rule, key, e, None, false, Some(describe))
    }

    /// [`Book::extend`] (`in_keep_alive`) and [`Book::join`]: the event
    /// added, the summary rewritten when it changed the alert, the
    /// estimate kept and the bound held.
    fn add(
        &mut self,
        rule: &'static str,
        key: &str,
        e: &EventRef,
        shared: Option<&Arc<EventRef>>,
        in_keep_alive: bool,
        describe: Option<impl FnOnce(&Alert) -> String>,
    ) -> bool {
        let Some(open) = self.open.get_mut(rule).and_then(|m| m.get_mut(key)) else {
            return false;
        };
        if in_keep_alive && e.time > open.deadline() {
            return false;
        }
        let (before, start) = (open.alert.event_count, open.alert.first_time);
        let mut grew = open.alert.add(e);
        // Not handed out yet: its id may still follow its window's start,
        // so that the same events give the same id in any order.
        if self.emit == Emit::OnClose && open.alert.first_time < start {
            open.alert.window_moved(rule, start);
        }
        if let (Some(r), Some(shared)) = (open.revise.as_deref_mut(), shared) {
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
        if open.alert.event_count != before {
            open.dirty = true;
            if let Some(describe) = describe {
                let summary = open.alert.summary.capacity() as isize;
                open.alert.summary = describe(&open.alert);
                grew += open.alert.summary.capacity() as isize - summary;
            }
        }
        open.bytes = open.bytes.saturating_add_signed(grew);
        debug_assert_eq!(open.bytes, open.weigh(), "a change not counted");
        self.bytes = self.bytes.saturating_add_signed(grew);
        self.keep_to_bound();
        true
    }

    /// Puts `alert` in the place of the open alert of its rule and group
    /// key, which it revises (a sequence re-anchored on an earlier
    /// completing event that arrived late); false when none is open. Not
    /// handed out yet ([`Emit::OnClose`]), it takes `alert`'s id; handed
    /// out already, it keeps the id it went out with, so that its next
    /// version updates the same document.
    pub fn replace(&mut self, rule: &'static str, mut alert: Alert) -> bool {
        let key = alert.group_key.as_str();
        let Some(open) = self.open.get_mut(rule).and_then(|m| m.get_mut(key)) else {
            return false;
        };
        if self.emit == Emit::OnFireAndClose {
            alert.id = std::mem::take(&mut open.alert.id);
        }
        open.alert = alert;
        open.dirty = true;
        let before = open.bytes;
        open.bytes = open.weigh();
        self.bytes = (self.bytes + open.bytes).saturating_sub(before);
        self.next_deadline = self.next_deadline.min(open.deadline());
        self.keep_to_bound();
        true
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
        let mut dirty = true;
        if self.emit == Emit::OnFireAndClose {
            self.out.push(alert.clone());
            dirty = false;
        }
        let mut open = Open {
            alert,
            keep_alive,
            dirty,
            refresh,
            bytes: 0,
            revise,
        };
        open.bytes = open.weigh();
        self.bytes += open.bytes;
        self.next_deadline = self.next_deadline.min(open.deadline());
        let key = open.alert.group_key.clone();
        if let Some(old) = self.open.entry(rule).or_default().insert(key, open) {
            self.close(old);
        }
        self.keep_to_bound();
    }

    /// Over `max_bytes`: closes the alerts least recently joined (by
    /// their last event, then their first, then their id: the same input
    /// closes the same alerts) down to nine tenths of it.
    fn keep_to_bound(&mut self) {
        if self.bytes <= self.max_bytes {
            return;
        }
        let target = self.max_bytes - self.max_bytes / 10;
        let mut all: Vec<(i64, i64, &str, &'static str, &str, usize)> = self
            .open
            .iter()
            .flat_map(|(rule, m)| {
                m.iter().map(|(k, o)| {
                    let a = &o.alert;
                    (a.last_time, a.first_time, &*a.id, *rule, &**k, o.bytes)
                })
            })
            .collect();
        // The first of that order whose bytes reach the excess: chosen by
        // a partial selection of twice the estimated number (the average
        // alert's bytes), sorted, rather than sorting every open alert
        // each time (a thousand open alerts at the bound made that ≈ 600
        // instructions per denial on `sensitive-*`; BENCHMARKS.md
        // "Detector", session 13); doubled while short.
        let excess = self.bytes - target;
        let avg = (self.bytes / all.len().max(1)).max(1);
        let mut k = (excess / avg + 1).saturating_mul(2).min(all.len());
        loop {
            if k < all.len() {
                all.select_nth_unstable(k);
            }
            all[..k].sort_unstable();
            let head: usize = all[..k].iter().map(|x| x.5).sum();
            if head >= excess || k == all.len() {
                break;
            }
            k = k.saturating_mul(2).min(all.len());
        }
        all.truncate(k);
        let mut left = self.bytes;
        let mut going: Vec<(&'static str, String)> = Vec::new();
        for (_, _, _, rule, key, bytes) in all {
            if left <= target {
                break;
            }
            left -= bytes;
            going.push((rule, key.to_owned()));
        }
        let closing: Vec<Open> = going
            .iter()
            .filter_map(|(rule, key)| self.open.get_mut(rule)?.remove(key))
            .collect();
        self.closed_early += closing.len() as u64;
        self.close_in_order(closing);
    }

    /// Closes alerts whose keep-alive ended before `watermark`.
    pub fn close_before(&mut self, watermark: i64) {
        if watermark <= self.next_deadline {
            return;
        }
        let mut closing = Vec::new();
        let mut next = i64::MAX;
        for alerts in self.open.values_mut() {
            let due: Vec<String> = alerts
                .iter()
                .filter(|(_, o)| o.deadline() < watermark)
                .map(|(k, _)| k.clone())
                .collect();
            closing.extend(due.iter().filter_map(|k| alerts.remove(k)));
            next = alerts.values().map(Open::deadline).fold(next, i64::min);
        }
        self.next_deadline = next;
        self.close_in_order(closing);
    }

    /// Closes every open alert (end of input, shutdown).
    pub fn close_all(&mut self) {
        let all = self
            .open
            .drain()
            .flat_map(|(_, m)| m.into_values())
            .collect();
        self.next_deadline = i64::MAX;
        self.close_in_order(all);
    }

    /// Closes `alerts` in a stable order (the maps' is random), so the
    /// same input prints the same output.
    fn close_in_order(&mut self, mut alerts: Vec<Open>) {
        alerts.sort_by(|a, b| {
            (a.alert.first_time, &a.alert.id).cmp(&(b.alert.first_time, &b.alert.id))
        });
        for o in alerts {
            self.close(o);
        }
    }

    fn close(&mut self, mut o: Open) {
        debug_assert!(self.bytes >= o.bytes, "book bytes below zero");
        self.bytes = self.bytes.saturating_sub(o.bytes);
        if let Some(r) = o.revise.take().filter(|r| r.events.len() <= MAX_REVISE) {
            let Some(kept) = (r.settle)(&r.events, r.threshold, r.window) else {
                return;
            };
            if kept.len() != r.events.len() {
                let refs: Vec<&EventRef> = kept.iter().map(|e| &**e).collect();
                let key = std::mem::take(&mut o.alert.group_key);
                let mut a = Alert::new(&o.alert.rule, o.alert.severity, key, &refs);
                a.id = std::mem::take(&mut o.alert.id);
                // Not handed out yet: an id made from the window start
                // follows the start of the events it keeps.
                if self.emit == Emit::OnClose {
                    a.window_moved(&o.alert.rule, o.alert.first_time);
                }
                o.alert = a;
                o.dirty = true;
            }
        }
        if o.dirty {
            if let Some(refresh) = o.refresh {
                o.alert.summary = refresh(&o.alert);
            }
            o.alert.closed = true;
            self.out.push(o.alert);
        }
    }
}

mod revise;
use revise::MAX_REVISE;
pub use revise::{Revise, Settle};

#[cfg(test)]
mod tests;
