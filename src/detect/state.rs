//! Bounded per-key state, and the ids of recent events.
//!
//! Every rule keeps its state in a [`Keyed`] map: at most `max_keys`
//! groups, each stamped with the last event time that touched it. A full
//! map first forgets groups idle longer than the rule's horizon, then the
//! least recently touched tenth; both count as evictions (metric
//! `siem_bridge_detect_evictions_total`), as do the groups shed when the
//! rules' state is over `max_state_bytes` ([`Keyed::shed`]).

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash};

use super::hash::{FastMap, FastState, PassThroughState};
pub use super::weigh::Size;
use super::weigh::{dropper, entry_bytes, less, oldest_worth, Weigh};

/// A map of group states with a size bound, in keys and (through the
/// detector's budget) in bytes.
#[derive(Debug)]
pub struct Keyed<K, V> {
    map: FastMap<K, (i64, V)>,
    max_keys: usize,
    /// Heap bytes of the keys and the groups ([`Weigh`]), kept up to date
    /// as groups are made, changed ([`Held`]) and dropped.
    heap: usize,
    pub evictions: u64,
}

/// A group's state, borrowed from its [`Keyed`] map: when it is let go,
/// the map's byte count takes the change in its weight.
pub struct Held<'a, V: Weigh> {
    value: &'a mut V,
    before: usize,
    heap: &'a mut usize,
}

impl<V: Weigh> std::ops::Deref for Held<'_, V> {
    type Target = V;
    fn deref(&self) -> &V {
        self.value
    }
}

impl<V: Weigh> std::ops::DerefMut for Held<'_, V> {
    fn deref_mut(&mut self) -> &mut V {
        self.value
    }
}

impl<V: Weigh> Drop for Held<'_, V> {
    fn drop(&mut self) {
        *self.heap += self.value.heap_bytes();
        less(self.heap, self.before);
    }
}

impl<K: Hash + Eq + Clone + Weigh, V: Weigh> Keyed<K, V> {
    pub fn new(max_keys: usize) -> Self {
        Keyed {
            map: FastMap::default(),
            max_keys: max_keys.max(1),
            heap: 0,
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

    /// The estimate of the bytes held ([`super::weigh`]).
    pub fn bytes(&self) -> usize {
        self.map.len() * entry_bytes::<(K, (i64, V))>() + self.heap
    }

    /// The state of `k`, made by `new` when absent; touched at `time`.
    /// Groups idle since before `horizon` are the first to go when full.
    pub fn entry(&mut self, k: K, time: i64, horizon: i64, new: impl FnOnce() -> V) -> Held<'_, V> {
        if self.map.len() >= self.max_keys && !self.map.contains_key(&k) {
            self.make_room(horizon);
        }
        let heap = &mut self.heap;
        let slot = self.map.entry(k).or_insert_with_key(|k| {
            let v = new();
            *heap += k.heap_bytes() + v.heap_bytes();
            (time, v)
        });
        slot.0 = slot.0.max(time);
        let before = slot.1.heap_bytes();
        Held {
            value: &mut slot.1,
            before,
            heap,
        }
    }

    /// The state of `k` if it has one, touched at `time`, for a caller
    /// that changes nothing its weight counts (a time in it, say): no
    /// weighing before and after, as [`Keyed::entry`] does.
    pub fn touch<Q>(&mut self, k: &Q, time: i64) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = self.map.get_mut(k)?;
        slot.0 = slot.0.max(time);
        Some(&mut slot.1)
    }

    /// Drops the groups `gone` picks by their last touch; returns how many.
    fn drop_where(&mut self, mut gone: impl FnMut(i64) -> bool) -> usize {
        let before = self.map.len();
        let heap = &mut self.heap;
        self.map.retain(|k, (t, v)| {
            let go = gone(*t);
            if go {
                less(heap, k.heap_bytes() + v.heap_bytes());
            }
            !go
        });
        before - self.map.len()
    }

    fn make_room(&mut self, horizon: i64) {
        let mut gone = self.drop_where(|t| t < horizon);
        if self.map.len() >= self.max_keys {
            // The least recently touched tenth (and one), counted exactly:
            // groups touched at the same time (a flood of one second) go
            // only as many as needed, not all together.
            let mut times: Vec<i64> = self.map.values().map(|(t, _)| *t).collect();
            let cut = times.len() / 10;
            let (below, nth, _) = times.select_nth_unstable(cut);
            let nth = *nth;
            let older = below.iter().filter(|&&t| t < nth).count();
            gone += self.drop_where(dropper((nth, cut + 1 - older)));
        }
        self.evictions += gone as u64;
    }

    /// Drops groups until at least `bytes` of their weight went: the
    /// lowest [`Weigh::rank`] first (least on their way to an alert),
    /// then the least recently touched (groups alike go in the map's
    /// order). A group weighs its slot, its heap bytes and its part of the
    /// shared events it holds (`per_event` each). Returns how many groups went, counted as
    /// evictions.
    pub fn shed(&mut self, bytes: usize, per_event: usize) -> u64 {
        if bytes == 0 {
            return 0;
        }
        let slot = entry_bytes::<(K, (i64, V))>();
        let groups: Vec<((u32, i64), usize)> = self
            .map
            .iter()
            .map(|(k, (t, v))| {
                let events = v.events() * per_event;
                let weight = slot + k.heap_bytes() + v.heap_bytes() + events;
                ((v.rank(), *t), weight)
            })
            .collect();
        let Some(cut) = oldest_worth(groups, bytes) else {
            return 0;
        };
        let mut go = dropper(cut);
        let before = self.map.len();
        let heap = &mut self.heap;
        self.map.retain(|k, (t, v)| {
            let gone = go((v.rank(), *t));
            if gone {
                less(heap, k.heap_bytes() + v.heap_bytes());
            }
            !gone
        });
        let gone = (before - self.map.len()) as u64;
        self.evictions += gone;
        gone
    }

    /// The shared event copies its groups point to ([`Weigh::events`]).
    pub fn events(&self) -> usize {
        self.map.values().map(|(_, v)| v.events()).sum()
    }

    /// Every group's state (tests look inside).
    #[cfg(test)]
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.map.values().map(|(_, v)| v)
    }

    /// Drops every group last touched before `horizon` (not an eviction:
    /// its window is over).
    pub fn expire(&mut self, horizon: i64) {
        self.drop_where(|t| t < horizon);
    }
}

/// Keeps the latest `max` of a time-sorted `v` once it holds a quarter
/// more (so the move is paid once per `max / 4` pushes); returns how many
/// of the oldest went (evictions), each shown to `gone` first.
pub fn trim_oldest<T>(v: &mut Vec<T>, max: usize, gone: impl FnMut(&T)) -> u64 {
    if v.len() <= max + max / 4 {
        return 0;
    }
    let over = v.len() - max;
    v.drain(..over).as_slice().iter().for_each(gone);
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

#[cfg(test)]
mod tests {
    use super::Keyed;

    #[test]
    fn a_full_map_of_one_time_loses_a_tenth_not_everything() {
        let mut k: Keyed<u64, u64> = Keyed::new(100);
        for i in 0..100 {
            *k.entry(i, 7, 0, || i) += 0;
        }
        // Full, every group touched at the same time, none past the horizon.
        *k.entry(1_000, 7, 0, || 0) += 0;
        assert_eq!(k.size().keys, 90, "11 went, the new one came");
        assert_eq!(k.evictions, 11);
        // Older groups still go first.
        let mut k: Keyed<u64, u64> = Keyed::new(20);
        for i in 0..20 {
            *k.entry(i, if i < 5 { 1 } else { 9 }, 0, || i) += 0;
        }
        *k.entry(99, 9, 0, || 0) += 0;
        assert_eq!(k.evictions, 3);
        let old_left = (0..5).filter(|i| k.touch(i, 9).is_some()).count();
        let new_left = (5..20).filter(|i| k.touch(i, 9).is_some()).count();
        assert_eq!((old_left, new_left), (2, 15), "three of the oldest went");
    }
}
