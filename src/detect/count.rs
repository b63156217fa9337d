//! Threshold rules: at least N matching events (or N distinct values of a
//! field) per group within an event-time window. `auth_bruteforce`,
//! `denial_burst` and the user-defined `count` and `distinct` rules.
//!
//! Each group keeps its matching events sorted by event time, so an event
//! that arrives late (another partition was behind) still lands in its
//! window. Once a window holds the threshold the alert fires, its events
//! are *consumed* (they never start a second alert), and later events of
//! the group join the open alert while they come within its keep-alive.

use std::collections::{HashMap, HashSet};
use std::mem::size_of;
use std::sync::Arc;

use super::alert::{span_words, Alert, EventRef};
use super::book::{Book, Revise};
use super::state::{trim_oldest, Keyed, Size};
use super::weigh::{Ledger, Tally, Weigh};
use crate::event::Severity;

/// Hits one group keeps at most: four thresholds, and never fewer than
/// 1,000. Only a group that cannot fire grows this far; forgetting its
/// oldest hits (counted as evictions) can only delay an alert whose
/// window would have started with them.
pub fn max_hits(threshold: u32) -> usize {
    (threshold as usize).saturating_mul(4).max(1_000)
}

/// One matching event kept for its group.
#[derive(Debug, Clone)]
pub struct Hit {
    pub event: Arc<EventRef>,
    /// The value counted by a distinct rule.
    pub value: Option<String>,
}

#[derive(Debug, Default)]
struct Group {
    /// Sorted by time.
    hits: Vec<Hit>,
    /// Events at or before this time belong to an earlier alert.
    consumed_until: i64,
    /// The hits may come from more than one source address (or from
    /// none). While false, every hit shares one address, and a `spread`
    /// rule needs no search: no window can qualify.
    mixed: bool,
    /// Heap bytes of the hits' values ([`hit_bytes`]).
    held: Tally,
}

impl Weigh for Group {
    fn heap_bytes(&self) -> usize {
        debug_assert_eq!(
            self.held.get(),
            self.hits.iter().map(hit_bytes).sum::<usize>(),
            "a change not counted"
        );
        self.hits.capacity() * size_of::<Hit>() + self.held.get()
    }
    fn events(&self) -> usize {
        self.hits.len()
    }
    /// The hits it holds: a group closer to its threshold is kept longer.
    fn rank(&self) -> u32 {
        u32::try_from(self.hits.len()).unwrap_or(u32::MAX)
    }
}

/// What one hit holds beyond its place in the group's vector: its value
/// (its event is shared, counted once by the [`Ledger`]).
fn hit_bytes(h: &Hit) -> usize {
    h.value.as_ref().map_or(0, String::capacity)
}

/// How a rule's alert is described.
pub type Describe = fn(&Alert) -> String;

/// A threshold rule.
pub struct CountRule {
    pub name: &'static str,
    pub severity: Severity,
    pub threshold: u32,
    pub window: i64,
    pub keep_alive: i64,
    /// Count distinct `Hit::value`s instead of events.
    pub distinct: bool,
    /// Count only the hits from source addresses (or from none) that do
    /// not reach the threshold alone in the window: `auth_bruteforce` by
    /// identifier leaves those to the by-address count, which already
    /// reports them, and reports what is spread over addresses.
    pub spread: bool,
    pub describe: Describe,
    groups: Keyed<String, Group>,
    /// The hits kept before fired alerts' windows, by group key (few
    /// groups fire: kept aside, not in every group's slot).
    before: late::Befores,
    /// Hits forgotten by groups over [`max_hits`] (evictions).
    dropped_hits: u64,
    /// Counts the kept events (the detector's, shared by its rules).
    pub ledger: Ledger,
}

impl CountRule {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &'static str,
        severity: Severity,
        threshold: u32,
        window: i64,
        keep_alive: i64,
        distinct: bool,
        max_keys: usize,
        describe: Describe,
    ) -> CountRule {
        CountRule {
            name,
            severity,
            threshold: threshold.max(1),
            window,
            keep_alive,
            distinct,
            spread: false,
            describe,
            groups: Keyed::new(max_keys),
            before: late::Befores::default(),
            dropped_hits: 0,
            ledger: Ledger::default(),
        }
    }

    pub fn size(&self) -> Size {
        let mut size = self.groups.size();
        size.evictions += self.dropped_hits;
        size
    }

    /// Offers one matching event of group `key`. The events that became
    /// part of an alert (all of a new one's, or the one that joined) are
    /// left in `used`.
    pub fn offer(
        &mut self,
        key: String,
        hit: Hit,
        watermark: i64,
        book: &mut Book,
        used: &mut Vec<Arc<EventRef>>,
    ) {
        used.clear();
        if book.extend_shared(self.name, &key, &hit.event) {
            used.push(hit.event);
            self.after_join(&key, book, used);
            return;
        }
        let horizon = watermark.saturating_sub(self.window);
        let mut held = self
            .groups
            .entry(key.clone(), hit.event.time, horizon, Group::default);
        let g = &mut *held;
        // Too old: its group's events at that time are already consumed.
        if hit.event.time <= g.consumed_until {
            return;
        }
        let ip = hit.event.source_ip();
        g.mixed = if g.hits.is_empty() {
            ip.is_none()
        } else {
            g.mixed || ip.is_none() || g.hits[0].event.source_ip() != ip
        };
        g.held.add(hit_bytes(&hit));
        hit.event.count_in(&self.ledger);
        let at = g.hits.partition_point(|h| h.event.time <= hit.event.time);
        g.hits.insert(at, hit);
        // Events too old to share a window with anything still to come.
        let keep_from = g.hits.partition_point(|h| h.event.time < horizon);
        if keep_from > 0 && keep_from < g.hits.len() {
            for h in g.hits.drain(..keep_from) {
                g.held.sub(hit_bytes(&h));
            }
        }
        // A group that does not fire (one address only, or repeated values
        // of a distinct rule) keeps at most `max_hits` (up to a quarter
        // more between trims, so the move is paid once per quarter): the
        // oldest go.
        self.dropped_hits += trim_oldest(&mut g.hits, max_hits(self.threshold), |h| {
            g.held.sub(hit_bytes(h))
        });
        if self.spread && !g.mixed {
            return;
        }
        let Some((from, to)) = qualifying(
            &g.hits,
            self.threshold,
            self.window,
            self.distinct,
            self.spread,
        ) else {
            return;
        };
        used.extend(g.hits.drain(from..to).map(|h| {
            g.held.sub(hit_bytes(&h));
            h.event
        }));
        g.consumed_until = used.iter().map(|e| e.time).max().unwrap_or(0);
        let reach = self
            .window
            .saturating_add(self.keep_alive)
            .saturating_mul(2);
        let plain = !self.distinct && !self.spread;
        let at = (self.threshold, reach, plain);
        self.before.keep(&key, &g.hits, used, at);
        // Anything before the window is older than what just fired.
        let (until, held_bytes) = (g.consumed_until, &mut g.held);
        g.hits.retain(|h| {
            let keep = h.event.time > until;
            if !keep {
                held_bytes.sub(hit_bytes(h));
            }
            keep
        });
        drop(held);
        // `spread`: the alert lists the failures it counts (an address
        // that reaches the threshold alone has its own alert), and may
        // lose an address's when it closes, if that address reaches the
        // threshold later ([`Revise`]).
        let (n, window) = (self.threshold as usize, self.window);
        let counted = self.spread.then(|| settle_spread(used, n, window));
        let listed = counted.as_ref().and_then(Option::as_deref).unwrap_or(used);
        let refs: Vec<&EventRef> = listed.iter().map(|e| &**e).collect();
        let mut alert = Alert::new(self.name, self.severity, key, &refs);
        alert.summary = (self.describe)(&alert);
        let revise = self
            .spread
            .then(|| Box::new(Revise::new(listed.to_vec(), n, window, settle_spread)));
        let key = alert.group_key.clone();
        book.fire_revisable(
            self.name,
            alert,
            self.keep_alive,
            Some(self.describe),
            revise,
        );
        self.pull(&key, book, used);
    }

    /// True while group `key` has state (tests look inside).
    #[cfg(test)]
    pub fn holds(&mut self, key: &str) -> bool {
        self.groups.touch(key, i64::MIN).is_some()
    }

    /// Forgets groups whose events are all older than a window.
    pub fn expire(&mut self, watermark: i64) {
        let span = self.window.saturating_add(self.keep_alive);
        self.groups.expire(watermark.saturating_sub(span));
        self.before
            .expire(watermark.saturating_sub(span.saturating_mul(2)));
    }
}

/// The first window `[from, to)` of sorted hits that reaches the
/// threshold; it runs from its first hit to the last one within the
/// window length. One pass with two cursors (the window's end only moves
/// forward): a group that never fires — `auth_bruteforce` by identifier
/// from a single address — costs its length per event, not its square.
fn qualifying(
    hits: &[Hit],
    threshold: u32,
    window: i64,
    distinct: bool,
    spread: bool,
) -> Option<(usize, usize)> {
    let n = threshold as usize;
    if hits.len() < n {
        return None;
    }
    let mut values: HashMap<&str, u32> = HashMap::new();
    // `spread`: hits from an address that reaches the threshold alone
    // (its own alert) are not counted.
    let alone = if spread {
        alone_addresses(hits, n, window)
    } else {
        HashSet::new()
    };
    let counts = |h: &Hit| !is_alone(&alone, &h.event);
    let mut counted = 0;
    let mut to = 0;
    for from in 0..hits.len() {
        let end_time = hits[from].event.time.saturating_add(window);
        while to < hits.len() && hits[to].event.time <= end_time {
            if let (true, Some(v)) = (distinct, hits[to].value.as_deref()) {
                *values.entry(v).or_insert(0) += 1;
            }
            counted += usize::from(counts(&hits[to]));
            to += 1;
        }
        let reached = if distinct {
            values.len() >= n
        } else {
            counted >= n
        };
        if reached {
            return Some((from, to));
        }
        if let (true, Some(v)) = (distinct, hits[from].value.as_deref()) {
            if let Some(c) = values.get_mut(v) {
                *c -= 1;
                if *c == 0 {
                    values.remove(v);
                }
            }
        }
        counted -= usize::from(counts(&hits[from]));
    }
    None
}

/// `auth_bruteforce`'s sentence.
pub fn describe_bruteforce(a: &Alert) -> String {
    let who = match a.group_key.split_once('=') {
        Some(("source_ip", ip)) => format!("from {ip}"),
        Some((_, id)) => format!("for identifier {id}"),
        None => String::new(),
    };
    format!(
        "{} failed authentications {who} within {}{}.",
        a.event_count,
        span_words(a.last_time - a.first_time),
        list(" (credentials tried: ", &a.correlation.identifiers, ")")
    )
}

/// `denial_burst`'s sentence.
pub fn describe_burst(a: &Alert) -> String {
    format!(
        "{} denied {} operations on sensitive resources within {}{}.",
        a.event_count,
        a.principal.as_deref().unwrap_or("(unknown principal)"),
        span_words(a.last_time - a.first_time),
        list(": ", &a.resources, "")
    )
}

/// A user-defined count or distinct rule's sentence.
pub fn describe_custom(a: &Alert) -> String {
    format!(
        "Rule {}: {} matching events for {} within {}.",
        a.rule,
        a.event_count,
        a.group_key,
        span_words(a.last_time - a.first_time)
    )
}

/// `head` + up to three items + `tail`, or nothing. A list at its cap
/// ([`MAX_LIST`](super::alert::MAX_LIST)) may have left values out: its
/// count is a lower bound.
pub fn list(head: &str, items: &[String], tail: &str) -> String {
    if items.is_empty() {
        return String::new();
    }
    let shown: Vec<&str> = items.iter().take(3).map(String::as_str).collect();
    let more = match items.len() {
        n if n >= super::alert::MAX_LIST => format!(" and at least {} more", n - 3),
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    format!("{head}{}{more}{tail}", shown.join(", "))
}

mod late;
mod spread;
pub use spread::settle_spread;
use spread::{alone_addresses, is_alone};

#[cfg(test)]
mod tests;
