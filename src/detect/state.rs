//! Bounded per-key state, and the ids of recent events.
//!
//! Every rule keeps its state in a [`Keyed`] map: at most `max_keys`
//! groups, each stamped with the last event time that touched it. A full
//! map first forgets groups idle longer than the rule's horizon, then the
//! least recently touched tenth; both count as evictions (metric
//! `siem_bridge_detect_evictions_total`), as do the groups shed when the
//! rules' state is over `max_state_bytes` ([`Keyed::shed`]).
//!
//! The map's hash table is counted as allocated: all its slots, not its
//! groups' alone. Removals leave tombstones that the table, once full of
//! them, cleared by doubling its size while it held more than half its
//! capacity (so a table churned by a flood's evictions ended at four times
//! the slots its groups need, none of them counted: BENCHMARKS.md, session
//! 7). Here a table full of tombstones is rebuilt at its size instead, and
//! one left seven eighths empty by removals is shrunk (a shed
//! counts the slots that frees).
//!
//! Groups alike (the same rank and last touch) go in the order they were
//! made (a serial number per group), not in the map's order, which
//! depends on the process's random hash keys: the same input sheds the
//! same groups.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash};

use super::hash::{FastState, PassThroughState};
pub use super::weigh::Size;
use super::weigh::{less, table_bytes, Weigh};

/// A group's last touch (event time) and serial number (the order the
/// groups were made in).
#[derive(Debug, Clone, Copy)]
struct Stamp {
    time: i64,
    serial: u64,
}

/// A map of group states with a size bound, in keys and (through the
/// detector's budget) in bytes. `S` hashes its keys: [`FastState`], or
/// for keys that already are keyed hashes ([`ByHash`]) none at all.
#[derive(Debug)]
pub struct Keyed<K, V, S = FastState> {
    map: HashMap<K, (Stamp, V), S>,
    max_keys: usize,
    /// The table's capacity as allocated (without tombstones): what
    /// `capacity` says right after the table was made, grown or rebuilt
    /// (removals lower what it says, not the slots).
    full: usize,
    /// The next group's serial number.
    serial: u64,
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

/// Groups keyed by a [`FastState`] hash of their key (a rule's
/// `hash`): the table takes the key as its own hash
/// ([`PassThroughState`]), where a [`FastState`] map hashed it a second
/// time on every lookup (two per granted event, BENCHMARKS.md "Detector",
/// session 9).
pub type ByHash<V> = Keyed<u64, V, PassThroughState>;

impl<K: Hash + Eq + Clone + Weigh, V: Weigh, S: BuildHasher + Default + Clone> Keyed<K, V, S> {
    pub fn new(max_keys: usize) -> Self {
        Keyed {
            map: HashMap::default(),
            max_keys: max_keys.max(1),
            full: 0,
            serial: 0,
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
        self.table_bytes() + self.heap
    }

    /// Its groups' bytes: a slot each (at the table's highest load) and
    /// their heap bytes ([`super::weigh::Shed::held`]).
    pub fn held(&self) -> usize {
        self.map.len() * super::weigh::entry_bytes::<(K, (Stamp, V))>() + self.heap
    }

    /// The bytes of its hash table as allocated ([`table_bytes`]): every
    /// slot, whether it holds a group or not.
    pub fn table_bytes(&self) -> usize {
        table_bytes::<(K, (Stamp, V))>(self.full)
    }

    /// Its table's bytes once `len` groups are left ([`Keyed::refit`]).
    fn table_after(&self, len: usize) -> usize {
        if len == 0 {
            0
        } else if len < self.full / 8 {
            table_bytes::<(K, (Stamp, V))>(capacity_for(len * 2))
        } else {
            self.table_bytes()
        }
    }

    /// Before an insert into a table with no room left (tombstones
    /// included): rebuilt at its size when removals, not groups, took the
    /// room and it holds more than half its capacity (the table would
    /// double); otherwise the table's own growth (in place under half).
    #[cold]
    fn make_slot(&mut self) {
        let len = self.map.len();
        if len >= self.full / 2 && len < self.full - self.full / 4 {
            self.rebuild(self.full);
        } else {
            self.map.reserve(1);
            self.full = self.map.capacity();
        }
    }

    /// The table made anew for `capacity` groups (no tombstones).
    fn rebuild(&mut self, capacity: usize) {
        let old = std::mem::take(&mut self.map);
        let mut map = HashMap::with_capacity_and_hasher(capacity, old.hasher().clone());
        map.extend(old);
        self.map = map;
        self.full = self.map.capacity();
    }

    /// After removals: a table left seven eighths empty is shrunk to
    /// twice its groups (and an empty one let go).
    fn refit(&mut self) {
        let len = self.map.len();
        if len < self.full / 8 || len == 0 {
            if len == 0 {
                self.map = HashMap::with_hasher(self.map.hasher().clone());
                self.full = 0;
            } else {
                self.rebuild(len * 2);
            }
        }
    }

    /// The state of `k`, made by `new` when absent; touched at `time`.
    /// Groups idle since before `horizon` are the first to go when full.
    pub fn entry(&mut self, k: K, time: i64, horizon: i64, new: impl FnOnce() -> V) -> Held<'_, V> {
        if self.map.len() >= self.max_keys && !self.map.contains_key(&k) {
            self.make_room(horizon);
        }
        // No room left (`capacity` counts the room tombstones did not take).
        if self.map.len() >= self.map.capacity() {
            self.make_slot();
        }
        let (heap, serial) = (&mut self.heap, &mut self.serial);
        let slot = self.map.entry(k).or_insert_with_key(|k| {
            let v = new();
            *heap += k.heap_bytes() + v.heap_bytes();
            *serial += 1;
            let serial = *serial;
            (Stamp { time, serial }, v)
        });
        slot.0.time = slot.0.time.max(time);
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
        slot.0.time = slot.0.time.max(time);
        Some(&mut slot.1)
    }

    /// The state of `k` if it has one, weighed as [`Keyed::entry`]'s is,
    /// and not touched (the caller only takes from it).
    pub fn get_held<Q>(&mut self, k: &Q) -> Option<Held<'_, V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = self.map.get_mut(k)?;
        let before = slot.1.heap_bytes();
        Some(Held {
            value: &mut slot.1,
            before,
            heap: &mut self.heap,
        })
    }

    /// Drops the groups `gone` picks by their rank, last touch and serial
    /// number; returns how many.
    fn drop_where(&mut self, mut gone: impl FnMut((u32, i64, u64)) -> bool) -> usize {
        let before = self.map.len();
        let heap = &mut self.heap;
        self.map.retain(|k, (t, v)| {
            let go = gone((v.rank(), t.time, t.serial));
            if go {
                less(heap, k.heap_bytes() + v.heap_bytes());
            }
            !go
        });
        let gone = before - self.map.len();
        if gone > 0 {
            self.refit();
        }
        gone
    }

    fn make_room(&mut self, horizon: i64) {
        let mut gone = self.drop_where(|(_, t, _)| t < horizon);
        if self.map.len() >= self.max_keys {
            // The least recently touched tenth (and one), counted exactly:
            // groups touched at the same time (a flood of one second) go
            // in the order they were made, only as many as needed.
            let mut times: Vec<(i64, u64)> =
                self.map.values().map(|(t, _)| (t.time, t.serial)).collect();
            let cut = times.len() / 10;
            let (_, nth, _) = times.select_nth_unstable(cut);
            let nth = *nth;
            gone += self.drop_where(|(_, t, s)| (t, s) <= nth);
        }
        self.evictions += gone as u64;
    }

    /// Drops groups until at least `bytes` went: the lowest
    /// [`Weigh::rank`] first (least on their way to an alert), then the
    /// least recently touched, then the first made. A group frees its
    /// heap bytes and its part of the shared events it holds (`per_event`
    /// each); its slot only when the table is made smaller
    /// ([`Keyed::refit`]), which is counted too. Returns how many groups
    /// went, counted as evictions.
    pub fn shed(&mut self, bytes: usize, per_event: usize) -> u64 {
        if bytes == 0 {
            return 0;
        }
        let mut groups: Vec<((u32, i64, u64), usize)> = self
            .map
            .iter()
            .map(|(k, (t, v))| {
                let events = v.events() * per_event;
                let weight = k.heap_bytes() + v.heap_bytes() + events;
                ((v.rank(), t.time, t.serial), weight)
            })
            .collect();
        groups.sort_unstable_by_key(|g| g.0);
        // The fewest groups whose bytes, and the slots a smaller table
        // would free, make `bytes` (a slot goes only with its table).
        let (len, table) = (groups.len(), self.table_bytes());
        let (mut freed, mut n) = (0usize, 0usize);
        while n < len && freed + (table - self.table_after(len - n)) < bytes {
            freed += groups[n].1;
            n += 1;
        }
        let Some(&(last, _)) = n.checked_sub(1).and_then(|i| groups.get(i)) else {
            return 0;
        };
        let gone = self.drop_where(|order| order <= last) as u64;
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
        self.drop_where(|(_, t, _)| t < horizon);
    }
}

/// The capacity of a table made for `capacity` groups (hashbrown's: a
/// power of two of slots, 7/8 of them usable, all but one below eight).
fn capacity_for(capacity: usize) -> usize {
    let slots = if capacity < 4 {
        4
    } else if capacity < 8 {
        8
    } else {
        (capacity * 8 / 7).next_power_of_two()
    };
    if slots <= 8 {
        slots - 1
    } else {
        slots / 8 * 7
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
    /// Made at its full size: grown from a quarter of it, the set was
    /// rehashed twice (≈ 170,000 hashes moved) and the queue copied on
    /// its way to `cap`, ≈ 33 instructions per event over the first
    /// 200,000 (BENCHMARKS.md "Detector", session 9). The table it would
    /// have grown to is the same size; the queue holds `cap + 1` at most
    /// (one is pushed before the oldest goes).
    pub fn new(cap: usize) -> Seen {
        Seen {
            set: std::collections::HashSet::with_capacity_and_hasher(cap, PassThroughState),
            hasher: FastState::default(),
            order: VecDeque::with_capacity(cap.saturating_add(1)),
            cap,
        }
    }

    /// True the first time `id` is seen.
    pub fn first(&mut self, id: &str) -> bool {
        let h = self.hasher.hash_str(id);
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
mod tests;
