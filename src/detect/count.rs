//! Threshold rules: at least N matching events (or N distinct values of a
//! field) per group within an event-time window. `auth_bruteforce`,
//! `denial_burst` and the user-defined `count` and `distinct` rules.
//!
//! Each group keeps its matching events sorted by event time, so an event
//! that arrives late (another partition was behind) still lands in its
//! window. Once a window holds the threshold the alert fires, its events
//! are *consumed* (they never start a second alert), and later events of
//! the group join the open alert while they come within its keep-alive.

use std::sync::Arc;

use super::alert::{span_words, Alert, EventRef};
use super::state::{Book, Keyed, Size};
use crate::event::Severity;

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
    /// Fire only when the events come from more than one source address
    /// (or from none): `auth_bruteforce` by identifier leaves a single
    /// address to the by-address count, which already reports it.
    pub spread: bool,
    pub describe: Describe,
    groups: Keyed<String, Group>,
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
        }
    }

    pub fn size(&self) -> Size {
        self.groups.size()
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
        if book.extend(self.name, &key, &hit.event) {
            used.push(hit.event);
            return;
        }
        let horizon = watermark.saturating_sub(self.window);
        let g = self
            .groups
            .entry(key.clone(), hit.event.time, horizon, Group::default);
        // Too old: its group's events at that time are already consumed.
        if hit.event.time <= g.consumed_until {
            return;
        }
        let at = g.hits.partition_point(|h| h.event.time <= hit.event.time);
        g.hits.insert(at, hit);
        // Events too old to share a window with anything still to come.
        let keep_from = g.hits.partition_point(|h| h.event.time < horizon);
        if keep_from > 0 && keep_from < g.hits.len() {
            g.hits.drain(..keep_from);
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
        used.extend(g.hits.drain(from..to).map(|h| h.event));
        g.consumed_until = used.iter().map(|e| e.time).max().unwrap_or(0);
        // Anything before the window is older than what just fired.
        g.hits.retain(|h| h.event.time > g.consumed_until);
        let refs: Vec<&EventRef> = used.iter().map(|e| &**e).collect();
        let mut alert = Alert::new(self.name, self.severity, key, &refs);
        alert.summary = (self.describe)(&alert);
        book.fire_with(self.name, alert, self.keep_alive, Some(self.describe));
    }

    /// Forgets groups whose events are all older than a window.
    pub fn expire(&mut self, watermark: i64) {
        self.groups
            .expire(watermark.saturating_sub(self.window.saturating_add(self.keep_alive)));
    }
}

/// The first window `[from, to)` of sorted hits that reaches the
/// threshold; it runs from its first hit to the last one within the
/// window length.
fn qualifying(
    hits: &[Hit],
    threshold: u32,
    window: i64,
    distinct: bool,
    spread: bool,
) -> Option<(usize, usize)> {
    let n = threshold as usize;
    for from in 0..hits.len() {
        let end_time = hits[from].event.time.saturating_add(window);
        let to = from + hits[from..].partition_point(|h| h.event.time <= end_time);
        let reached = if distinct {
            let mut values: Vec<&str> = hits[from..to]
                .iter()
                .filter_map(|h| h.value.as_deref())
                .collect();
            values.sort_unstable();
            values.dedup();
            values.len() >= n
        } else {
            to - from >= n
        };
        let one_address = || {
            let first = hits[from].event.source_ip.as_deref();
            first.is_some()
                && hits[from..to]
                    .iter()
                    .all(|h| h.event.source_ip.as_deref() == first)
        };
        if reached && !(spread && one_address()) {
            return Some((from, to));
        }
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

/// `head` + up to three items + `tail`, or nothing.
pub fn list(head: &str, items: &[String], tail: &str) -> String {
    if items.is_empty() {
        return String::new();
    }
    let shown: Vec<&str> = items.iter().take(3).map(String::as_str).collect();
    let more = if items.len() > 3 {
        format!(" and {} more", items.len() - 3)
    } else {
        String::new()
    };
    format!("{head}{}{more}{tail}", shown.join(", "))
}
