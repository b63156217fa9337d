//! Bounded per-key state and the book of open alerts.
//!
//! Every rule keeps its state in a [`Keyed`] map: at most `max_keys`
//! groups, each stamped with the last event time that touched it. A full
//! map first forgets groups idle longer than the rule's horizon, then the
//! least recently touched tenth; both count as evictions (metric
//! `siem_bridge_detect_evictions_total`).

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash};

use super::alert::{Alert, EventRef};
use super::hash::{FastMap, FastState, PassThroughState};

/// How much state a rule holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub keys: u64,
    pub evictions: u64,
}

impl std::ops::Add for Size {
    type Output = Size;
    fn add(self, o: Size) -> Size {
        Size {
            keys: self.keys + o.keys,
            evictions: self.evictions + o.evictions,
        }
    }
}

/// A map of group states with a size bound.
#[derive(Debug)]
pub struct Keyed<K, V> {
    map: FastMap<K, (i64, V)>,
    max_keys: usize,
    pub evictions: u64,
}

impl<K: Hash + Eq + Clone, V> Keyed<K, V> {
    pub fn new(max_keys: usize) -> Self {
        Keyed {
            map: FastMap::default(),
            max_keys: max_keys.max(1),
            evictions: 0,
        }
    }

    /// Groups held, and groups evicted so far.
    pub fn size(&self) -> Size {
        Size {
            keys: self.map.len() as u64,
            evictions: self.evictions,
        }
    }

    /// The state of `k`, made by `new` when absent; touched at `time`.
    /// Groups idle since before `horizon` are the first to go when full.
    pub fn entry(&mut self, k: K, time: i64, horizon: i64, new: impl FnOnce() -> V) -> &mut V {
        if self.map.len() >= self.max_keys && !self.map.contains_key(&k) {
            self.make_room(horizon);
        }
        let slot = self.map.entry(k).or_insert_with(|| (time, new()));
        slot.0 = slot.0.max(time);
        &mut slot.1
    }

    /// The state of `k` if it has one, touched at `time`.
    pub fn get_mut<Q>(&mut self, k: &Q, time: i64) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = self.map.get_mut(k)?;
        slot.0 = slot.0.max(time);
        Some(&mut slot.1)
    }

    fn make_room(&mut self, horizon: i64) {
        let before = self.map.len();
        self.map.retain(|_, (t, _)| *t >= horizon);
        if self.map.len() >= self.max_keys {
            let mut times: Vec<i64> = self.map.values().map(|(t, _)| *t).collect();
            let cut = times.len() / 10;
            let (_, nth, _) = times.select_nth_unstable(cut);
            let nth = *nth;
            self.map.retain(|_, (t, _)| *t > nth);
        }
        self.evictions += (before - self.map.len()) as u64;
    }

    /// Every group's state (tests look inside).
    #[cfg(test)]
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.map.values().map(|(_, v)| v)
    }

    /// Drops every group last touched before `horizon` (not an eviction:
    /// its window is over).
    pub fn expire(&mut self, horizon: i64) {
        self.map.retain(|_, (t, _)| *t >= horizon);
    }
}

/// Keeps the latest `max` of a time-sorted `v` once it holds a quarter
/// more (so the move is paid once per `max / 4` pushes); returns how many
/// of the oldest went (evictions).
pub fn trim_oldest<T>(v: &mut Vec<T>, max: usize) -> u64 {
    if v.len() <= max + max / 4 {
        return 0;
    }
    let over = v.len() - max;
    v.drain(..over);
    over as u64
}

/// Recently seen event ids, so a redelivered event (at-least-once
/// upstream, or a replay) is not counted twice. Holds 64-bit keyed hashes
/// of event ids (CloudEvents ids are UUIDs, unique across sources in
/// practice), at most `cap`, oldest forgotten first. The set takes those
/// hashes as they are (they are keyed and mixed already: a second hash on
/// every insert and remove bought nothing).
#[derive(Debug)]
pub struct Seen {
    set: std::collections::HashSet<u64, PassThroughState>,
    hasher: FastState,
    order: VecDeque<u64>,
    cap: usize,
}

impl Seen {
    pub fn new(cap: usize) -> Seen {
        Seen {
            set: std::collections::HashSet::with_capacity_and_hasher(
                cap.min(1 << 16),
                PassThroughState,
            ),
            hasher: FastState::default(),
            order: VecDeque::new(),
            cap,
        }
    }

    /// True the first time `id` is seen.
    pub fn first(&mut self, id: &str) -> bool {
        let h = self.hasher.hash_one(id);
        if !self.set.insert(h) {
            return false;
        }
        self.order.push_back(h);
        if self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

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
}

impl Open {
    fn deadline(&self) -> i64 {
        self.alert.last_time.saturating_add(self.keep_alive)
    }
}

impl Book {
    pub fn new(emit: Emit) -> Book {
        Book {
            open: FastMap::default(),
            next_deadline: i64::MAX,
            emit,
            out: Vec::new(),
        }
    }

    pub fn open_count(&self) -> usize {
        self.open.values().map(FastMap::len).sum()
    }

    /// Adds `e` to the open alert of `(rule, key)` when `e` is within its
    /// keep-alive; false when there is none (or it is too far behind).
    /// A deadline only moves later here, so `next_deadline` stays a bound.
    pub fn extend(&mut self, rule: &'static str, key: &str, e: &EventRef) -> bool {
        let Some(open) = self.open.get_mut(rule).and_then(|m| m.get_mut(key)) else {
            return false;
        };
        if e.time > open.deadline() {
            return false;
        }
        let before = open.alert.event_count;
        open.alert.add(e);
        open.dirty |= open.alert.event_count != before;
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
        let mut dirty = true;
        if self.emit == Emit::OnFireAndClose {
            self.out.push(alert.clone());
            dirty = false;
        }
        let open = Open {
            alert,
            keep_alive,
            dirty,
            refresh,
        };
        self.next_deadline = self.next_deadline.min(open.deadline());
        let key = open.alert.group_key.clone();
        if let Some(old) = self.open.entry(rule).or_default().insert(key, open) {
            self.close(old);
        }
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
        if o.dirty {
            if let Some(refresh) = o.refresh {
                o.alert.summary = refresh(&o.alert);
            }
            o.alert.closed = true;
            self.out.push(o.alert);
        }
    }
}
