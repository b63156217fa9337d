//! `auth_bruteforce` by identifier (`spread`): only the failures of the
//! addresses that do not reach the threshold alone count, and an open
//! alert is settled when it closes ([`settle_spread`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::super::addr::Addr;
use super::super::alert::EventRef;
use super::Hit;

/// The source addresses with `n` hits within one window of each other
/// (compared as addresses: one written two ways is one).
pub(super) fn alone_addresses(hits: &[Hit], n: usize, window: i64) -> HashSet<Addr<'_>> {
    alone_in(hits.iter().map(|h| &*h.event), n, window)
}

/// The source addresses of `events` (in time order) with `n` of them
/// within one window of each other.
fn alone_in<'e>(
    events: impl Iterator<Item = &'e EventRef>,
    n: usize,
    window: i64,
) -> HashSet<Addr<'e>> {
    let mut times: HashMap<Addr<'e>, Vec<i64>> = HashMap::new();
    for e in events {
        if let Some(ip) = e.source_ip() {
            times.entry(Addr::of(ip)).or_default().push(e.time);
        }
    }
    times
        .into_iter()
        .filter(|(_, t)| reaches(t, n, window))
        .map(|(ip, _)| ip)
        .collect()
}

/// `n` of the sorted `times` within one window of each other.
fn reaches(times: &[i64], n: usize, window: i64) -> bool {
    times
        .windows(n.max(1))
        .any(|w| w[w.len() - 1] - w[0] <= window)
}

/// A `spread` alert's events ([`Settle`]): those of the addresses that do
/// not reach the threshold alone among them, if `n` of those are still
/// within one window; `None` when they are not (no longer an incident).
pub fn settle_spread(
    events: &[Arc<EventRef>],
    n: usize,
    window: i64,
) -> Option<Vec<Arc<EventRef>>> {
    let mut sorted: Vec<&Arc<EventRef>> = events.iter().collect();
    sorted.sort_by_key(|e| e.time);
    let alone = alone_in(sorted.iter().map(|e| &***e), n, window);
    let kept: Vec<Arc<EventRef>> = sorted
        .into_iter()
        .filter(|e| !is_alone(&alone, e))
        .cloned()
        .collect();
    let times: Vec<i64> = kept.iter().map(|e| e.time).collect();
    reaches(&times, n, window).then_some(kept)
}

/// `e` comes from one of the `alone` addresses.
pub(super) fn is_alone(alone: &HashSet<Addr<'_>>, e: &EventRef) -> bool {
    !alone.is_empty()
        && e.source_ip()
            .is_some_and(|ip| alone.contains(&Addr::of(ip)))
}
