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

use super::{hit_bytes, Book, CountRule, EventRef, Group};

/// When an alert fires (`used`: its events, the group's hits before them
/// still in `g.hits`): keeps the hits just before its window that could
/// still open it earlier (within `reach` of its first event, at most four
/// thresholds). `plain`: a count rule whose window is the events' count
/// alone (a distinct or spread rule keeps none).
pub(super) fn keep_before(
    g: &mut Group,
    used: &[Arc<EventRef>],
    threshold: u32,
    reach: i64,
    plain: bool,
) {
    for h in g.before.drain(..) {
        g.held.sub(hit_bytes(&h));
    }
    let Some(first) = used.iter().map(|e| e.time).min().filter(|_| plain) else {
        return;
    };
    let from = first.saturating_sub(reach);
    let end = g.hits.partition_point(|h| h.event.time < first);
    let start = g.hits[..end].partition_point(|h| h.event.time < from);
    let start = start.max(end.saturating_sub(threshold as usize * 4));
    g.before.extend(g.hits[start..end].iter().cloned());
    for h in &g.before {
        g.held.add(hit_bytes(h));
    }
    g.anchor = first;
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
            widen_into(&mut g, (name, n, window), key, book, used);
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
    g: &mut Group,
    (name, n, window): (&'static str, usize, i64),
    key: &str,
    book: &mut Book,
    used: &mut Vec<Arc<EventRef>>,
) {
    if g.before.is_empty() {
        return;
    }
    let Some(times) = book.times_at(name, key, g.anchor) else {
        // Its alert closed: they can open no window of it.
        for h in g.before.drain(..) {
            g.held.sub(hit_bytes(&h));
        }
        return;
    };
    let start = (0..g.before.len()).find(|&i| {
        let t = g.before[i].event.time;
        let end = t.saturating_add(window);
        let kept = g.before[i..].partition_point(|h| h.event.time <= end);
        let listed = times.partition_point(|x| *x <= end) - times.partition_point(|x| *x < t);
        kept + listed >= n
    });
    let Some(start) = start else {
        return;
    };
    // Those before it stay: a later late event may open the window
    // earlier still.
    for h in g.before.drain(start..) {
        g.held.sub(hit_bytes(&h));
        if book.extend_shared(name, key, &h.event) {
            used.push(h.event);
        }
    }
}
