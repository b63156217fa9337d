//! Bounded per-key state and the book of open alerts.
//!
//! Every rule keeps its state in a [`Keyed`] map: at most `max_keys`
//! groups, each stamped with the last event time that touched it. A full
//! map first forgets groups idle longer than the rule's horizon, then the
//! least recently touched tenth; both count as evictions (metric
//! `siem_bridge_detect_evictions_total`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;

use super::alert::{Alert, EventRef};

/// A map of group states with a size bound.
#[derive(Debug)]
pub struct Keyed<K, V> {
    map: HashMap<K, (i64, V)>,
    max_keys: usize,
    pub evictions: u64,
}

impl<K: Hash + Eq + Clone, V> Keyed<K, V> {
    pub fn new(max_keys: usize) -> Self {
        Keyed {
            map: HashMap::new(),
            max_keys: max_keys.max(1),
            evictions: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.map.get_mut(k).map(|(_, v)| v)
    }

    /// The state of `k`, made by `new` when absent; touched at `time`.
    /// Groups idle since before `horizon` are the first to go when full.
    pub fn entry(&mut self, k: K, time: i64, horizon: i64, new: impl FnOnce() -> V) -> &mut V {
        if !self.map.contains_key(&k) && self.map.len() >= self.max_keys {
            self.make_room(horizon);
        }
        let slot = self.map.entry(k).or_insert_with(|| (time, new()));
        slot.0 = slot.0.max(time);
        &mut slot.1
    }

    pub fn remove(&mut self, k: &K) {
        self.map.remove(k);
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

    /// Drops every group last touched before `horizon` (not an eviction:
    /// its window is over).
    pub fn expire(&mut self, horizon: i64) {
        self.map.retain(|_, (t, _)| *t >= horizon);
    }
}

/// Recently seen event ids, so a redelivered event (at-least-once
/// upstream, or a replay) is not counted twice. Holds 64-bit hashes of
/// `(source, id)`, at most `cap`, oldest forgotten first.
#[derive(Debug)]
pub struct Seen {
    set: HashSet<u64>,
    order: VecDeque<u64>,
    cap: usize,
}

impl Seen {
    pub fn new(cap: usize) -> Seen {
        Seen {
            set: HashSet::with_capacity(cap.min(1 << 16)),
            order: VecDeque::new(),
            cap,
        }
    }

    /// True the first time `id` is seen.
    pub fn first(&mut self, id: &str) -> bool {
        let h = fnv(id.as_bytes());
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

fn fnv(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &x in b {
        h = (h ^ x as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
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
    open: HashMap<(&'static str, String), Open>,
    emit: Emit,
    pub out: Vec<Alert>,
    pub fired: u64,
}

impl Book {
    pub fn new(emit: Emit) -> Book {
        Book {
            open: HashMap::new(),
            emit,
            out: Vec::new(),
            fired: 0,
        }
    }

    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// Adds `e` to the open alert of `(rule, key)` when `e` is within its
    /// keep-alive; false when there is none (or it is too far behind).
    pub fn extend(&mut self, rule: &'static str, key: &str, e: &EventRef) -> bool {
        let Some(open) = self.open.get_mut(&(rule, key.to_owned())) else {
            return false;
        };
        if e.time > open.alert.last_time.saturating_add(open.keep_alive) {
            return false;
        }
        let before = open.alert.event_count;
        open.alert.add(e);
        open.dirty |= open.alert.event_count != before;
        true
    }

    /// Whether `(rule, key)` has an open alert.
    pub fn is_open(&self, rule: &'static str, key: &str) -> bool {
        self.open.contains_key(&(rule, key.to_owned()))
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
        self.fired += 1;
        let mut dirty = true;
        if self.emit == Emit::OnFireAndClose {
            self.out.push(alert.clone());
            dirty = false;
        }
        let key = (rule, alert.group_key.clone());
        if let Some(old) = self.open.insert(
            key,
            Open {
                alert,
                keep_alive,
                dirty,
                refresh,
            },
        ) {
            self.close(old);
        }
    }

    /// Closes alerts whose keep-alive ended before `watermark`.
    pub fn close_before(&mut self, watermark: i64) {
        let done: Vec<_> = self
            .open
            .iter()
            .filter(|(_, o)| o.alert.last_time.saturating_add(o.keep_alive) < watermark)
            .map(|(k, _)| k.clone())
            .collect();
        let mut closing: Vec<Open> = done.iter().filter_map(|k| self.open.remove(k)).collect();
        // A stable order (the map's is random): the same input prints the
        // same output.
        closing.sort_by(|a, b| {
            (a.alert.first_time, &a.alert.id).cmp(&(b.alert.first_time, &b.alert.id))
        });
        for o in closing {
            self.close(o);
        }
    }

    /// Closes every open alert (end of input, shutdown).
    pub fn close_all(&mut self) {
        let mut all: Vec<Open> = self.open.drain().map(|(_, o)| o).collect();
        all.sort_by(|a, b| {
            (a.alert.first_time, &a.alert.id).cmp(&(b.alert.first_time, &b.alert.id))
        });
        for o in all {
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
