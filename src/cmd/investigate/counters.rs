//! Bounded counting structures: top-K counts, distinct counts and the
//! per-minute timeline. Each holds at most a fixed number of entries,
//! whatever the number of events.

use std::collections::{BTreeMap, HashSet};
use std::hash::BuildHasherDefault;

use crate::detect::alert::{fnv1a, FNV_OFFSET};
use crate::hash::WordHash;

use super::model::Count;

/// A map of the report: [`crate::hash::WordMap`] (unkeyed, so the report
/// walks its maps in the same order every run). Only the maps use it: the
/// keys made with [`fnv1a`] are unchanged.
pub use crate::hash::WordMap as FnvMap;

/// The most frequent values, in at most `cap` entries. While fewer than
/// `cap` distinct values were seen the counts are exact; past that, the
/// least frequent half is forgotten at once and [`TopK::error`] bounds
/// how much any count may be under (lossy counting).
///
/// Keyed by the value's 64-bit FNV-1a hash: a value seen before costs a
/// hash and one lookup, no string comparison and no allocation.
#[derive(Debug, Clone)]
pub struct TopK {
    /// Hash of the value → (the value, its count since it was last added,
    /// the error it may carry: how much it may have been counted before
    /// and forgotten).
    counts: FnvMap<u64, (Box<str>, u64, u64)>,
    cap: usize,
    /// The largest count forgotten so far.
    error: u64,
}

impl TopK {
    pub fn new(cap: usize) -> TopK {
        TopK {
            counts: FnvMap::default(),
            cap: cap.max(2),
            error: 0,
        }
    }

    /// Counts `value` once.
    pub fn add(&mut self, value: &str) {
        self.add_hashed(fnv1a(FNV_OFFSET, value.as_bytes()), value, 1);
    }

    /// Counts `value` `n` times.
    pub fn add_n(&mut self, value: &str, n: u64) {
        self.add_hashed(fnv1a(FNV_OFFSET, value.as_bytes()), value, n);
    }

    /// Counts `value`, whose FNV-1a hash is `hash`, `n` times.
    pub fn add_hashed(&mut self, hash: u64, value: &str, n: u64) {
        if let Some(c) = self.counts.get_mut(&hash) {
            c.1 += n;
            return;
        }
        if self.counts.len() >= self.cap {
            self.shrink();
        }
        self.counts.insert(hash, (value.into(), n, self.error));
    }

    fn shrink(&mut self) {
        let mut all: Vec<u64> = self.counts.values().map(|(_, c, e)| c + e).collect();
        all.sort_unstable();
        let cut = all[all.len() / 2];
        self.error = self.error.max(cut);
        self.counts.retain(|_, (_, c, e)| *c + *e > cut);
    }

    /// The `k` largest counts, largest first (ties by value).
    pub fn top(&self, k: usize) -> Vec<Count> {
        let mut v: Vec<Count> = self
            .counts
            .values()
            .map(|(value, count, _)| Count {
                value: value.to_string(),
                count: *count,
            })
            .collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        v.truncate(k);
        v
    }

    /// How much a count may be under (0: exact).
    pub fn error(&self) -> u64 {
        self.error
    }

    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// Distinct values, counted exactly (by a 64-bit hash) up to `cap`; past
/// it the count stops growing and is marked inexact (a lower bound).
#[derive(Debug, Clone)]
pub struct Distinct {
    seen: HashSet<u64, BuildHasherDefault<WordHash>>,
    cap: usize,
    exact: bool,
}

impl Distinct {
    pub fn new(cap: usize) -> Distinct {
        Distinct {
            seen: HashSet::default(),
            cap,
            exact: true,
        }
    }

    pub fn add(&mut self, value: &str) {
        let h = hash(value);
        if self.seen.len() < self.cap {
            self.seen.insert(h);
        } else if !self.seen.contains(&h) {
            self.exact = false;
        }
    }

    pub fn count(&self) -> u64 {
        self.seen.len() as u64
    }

    pub fn exact(&self) -> bool {
        self.exact
    }
}

fn hash(s: &str) -> u64 {
    super::observed::fnv(s.as_bytes())
}

/// What one bucket of the timeline counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub events: u64,
    pub denied: u64,
    pub granted: u64,
    pub auth_failed: u64,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.events += o.events;
        self.denied += o.denied;
        self.granted += o.granted;
        self.auth_failed += o.auth_failed;
    }
}

/// Events per minute; when the events span more than `max` buckets, the
/// bucket width doubles (and buckets merge) until they fit.
#[derive(Debug, Clone)]
pub struct TimeBuckets {
    /// Bucket start (Unix seconds, a multiple of `width`) → tally.
    buckets: BTreeMap<i64, Tally>,
    width: i64,
    max: usize,
}

impl TimeBuckets {
    pub fn new(max: usize) -> TimeBuckets {
        TimeBuckets {
            buckets: BTreeMap::new(),
            width: 60,
            max: max.max(2),
        }
    }

    /// Adds `t` at `nanos` (Unix nanoseconds).
    pub fn add(&mut self, nanos: i64, t: Tally) {
        let start = self.start_of(nanos);
        *self.buckets.entry(start).or_default() += t;
        while self.span() > self.max {
            self.widen();
        }
    }

    /// The start (Unix seconds) of the bucket holding `nanos`.
    pub fn start_of(&self, nanos: i64) -> i64 {
        nanos.div_euclid(1_000_000_000).div_euclid(self.width) * self.width
    }

    fn span(&self) -> usize {
        match (
            self.buckets.first_key_value(),
            self.buckets.last_key_value(),
        ) {
            (Some((a, _)), Some((b, _))) => ((b - a) / self.width + 1) as usize,
            _ => 0,
        }
    }

    fn widen(&mut self) {
        self.width *= 2;
        let old = std::mem::take(&mut self.buckets);
        for (start, t) in old {
            *self
                .buckets
                .entry(start.div_euclid(self.width) * self.width)
                .or_default() += t;
        }
    }

    pub fn width(&self) -> i64 {
        self.width
    }

    /// Every bucket from the first to the last, empty ones included.
    pub fn all(&self) -> Vec<(i64, Tally)> {
        let (Some((&first, _)), Some((&last, _))) = (
            self.buckets.first_key_value(),
            self.buckets.last_key_value(),
        ) else {
            return Vec::new();
        };
        (0..=(last - first) / self.width)
            .map(|i| {
                let s = first + i * self.width;
                (s, self.buckets.get(&s).copied().unwrap_or_default())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
