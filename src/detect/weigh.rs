//! What the rules' state weighs: an estimate in bytes, for `[detect]
//! max_state_bytes`. Each rule keeps it as running counters, updated as
//! groups are made, changed and dropped (never a walk over its groups), and
//! the detector's upkeep sums them and, over the bound, has each rule shed
//! its least recently touched groups (`Detector::keep_to_budget`).
//!
//! The estimate counts what the state owns: a hash table's slot per group
//! (with its control byte, over the table's 7/8 load), the heap text of
//! keys and kept values, each group vector's *capacity* times its element
//! size, and every kept event copy in full. A rule's table is counted as
//! allocated, every slot whether it holds a group or not
//! ([`table_bytes`]; [`super::state`] keeps it free of tombstones and
//! shrinks it when seven eighths are empty); a group's own slot
//! ([`entry_bytes`], at the table's highest load) only shares out what
//! the rules shed ([`Shed::held`]). It does not count the allocator's
//! rounding.
//!
//! An event copy that several rules keep (a failed login is kept by both
//! `auth_bruteforce` counts and `failed_logins_then_success`; a denial on
//! a sensitive resource by `denial_burst`, `denied_then_granted` and
//! `new_source_ip`'s queue) is one `Arc<EventRef>`, counted once: in the
//! detector's [`Ledger`] when a rule first keeps it, and off it when its
//! last holder drops it. The rules count only their pointers to it.

use std::mem::size_of;

use super::alert::EventRef;
use super::book::Book;
pub use super::ledger::Ledger;

/// Bytes a value owns on the heap beyond its own size (which its container
/// counts). Cheap: lengths and capacities, or a counter kept up to date.
/// Shared event copies are not in it (the [`Ledger`] counts them).
pub trait Weigh {
    fn heap_bytes(&self) -> usize;
    /// How many shared event copies it points to (a length, not a walk),
    /// for the budget's choice: each answers for the ledger's bytes per
    /// pointer held (a group that shares an event with another rule frees
    /// only its part of it when it goes).
    fn events(&self) -> usize {
        0
    }
    /// How far it is on its way to an alert, for the budget's choice:
    /// under the byte bound, lower ranks are shed first (then the least
    /// recently touched).
    fn rank(&self) -> u32 {
        0
    }
}

impl Weigh for String {
    fn heap_bytes(&self) -> usize {
        self.capacity()
    }
}

impl Weigh for u64 {
    fn heap_bytes(&self) -> usize {
        0
    }
}

/// A hash table's cost per entry of type `T`: its slot and control byte,
/// at the table's highest load (7/8).
pub const fn entry_bytes<T>() -> usize {
    (size_of::<T>() + 1) * 8 / 7
}

/// A hash table's bytes for entries of type `T`, as allocated, given its
/// capacity (without tombstones): every slot and its control byte,
/// whether it holds a group or not, and the control bytes' trailing
/// group. A table has a power of two of slots, 7/8 of them usable (all
/// but one below eight).
pub const fn table_bytes<T>(capacity: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let slots = if capacity < 7 {
        capacity + 1
    } else {
        capacity / 7 * 8
    };
    slots * (size_of::<T>() + 1) + 16
}

/// An event copy behind an `Arc`: the block (two counts and the
/// [`EventRef`]) and its text ([`EventRef::bytes`]).
pub fn event_bytes(e: &EventRef) -> usize {
    e.bytes()
}

/// `*x -= by`, never below zero (a counter that drifted must not wrap
/// round and make the state look full forever).
pub fn less(x: &mut usize, by: usize) {
    debug_assert!(*x >= by, "byte counter below zero: {x} - {by}");
    *x = x.saturating_sub(by);
}

/// A group's running count of bytes, in 32 bits (a group holds at most a
/// few thousand events; the field fits where its struct had padding).
/// Saturates at both ends.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally(u32);

impl Tally {
    pub fn of(bytes: usize) -> Tally {
        Tally(u32::try_from(bytes).unwrap_or(u32::MAX))
    }
    pub fn add(&mut self, bytes: usize) {
        self.0 = self.0.saturating_add(Tally::of(bytes).0);
    }
    pub fn sub(&mut self, bytes: usize) {
        let by = Tally::of(bytes).0;
        debug_assert!(self.0 >= by, "byte tally below zero: {} - {by}", self.0);
        self.0 = self.0.saturating_sub(by);
    }
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// How much state a rule holds in groups (its bytes: [`Shed::bytes`]).
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

/// A rule's state as the upkeep and the byte budget see it.
pub trait Shed {
    /// Groups held and evicted so far.
    fn size(&self) -> Size;
    /// The estimate of the bytes it holds, but for the shared event
    /// copies (the [`Ledger`] counts those).
    fn bytes(&self) -> usize;
    /// [`Shed::bytes`] but for its table's empty slots: what its groups
    /// hold. The budget shares out what to shed by it (a table's slack
    /// would otherwise make its rule lose the most groups).
    fn held(&self) -> usize {
        self.bytes()
    }
    /// How many shared event copies it points to ([`Weigh::events`]).
    /// A walk over its groups.
    fn events(&self) -> usize {
        0
    }
    /// Before anything is shed: decides now what waits for the
    /// watermark, for up to `bytes` (alerts go to `book`); nothing it
    /// would report is lost.
    fn trim(&mut self, _bytes: usize, _book: &mut Book) {}
    /// The ledger that counts the events it keeps, to share with the
    /// detector's other rules (none: it keeps no event).
    fn ledger(&mut self) -> Option<&mut Ledger> {
        None
    }
    /// Drops least recently touched state worth at least `bytes` (or all
    /// of it), each event pointer weighing `per_event`; returns how many
    /// groups went (evictions). Alerts that this decides go to `book`.
    fn shed(&mut self, bytes: usize, per_event: usize, book: &mut Book) -> u64;
}

/// Which of `items` — (order, bytes) — to drop so that at least `bytes`
/// go, lowest order first (the last touch, or a rank and then the last
/// touch): every item below the returned order, and the returned number
/// of those at it (ties go in whatever order the caller meets them).
/// `None`: nothing to drop.
pub fn oldest_worth<K: Ord + Copy>(mut items: Vec<(K, usize)>, bytes: usize) -> Option<(K, usize)> {
    if bytes == 0 {
        return None;
    }
    items.sort_unstable_by_key(|i| i.0);
    let (mut freed, mut count) = (0usize, 0usize);
    for i in &items {
        if freed >= bytes {
            break;
        }
        freed += i.1;
        count += 1;
    }
    let last = items.get(count.checked_sub(1)?)?.0;
    Some((last, count - items.partition_point(|i| i.0 < last)))
}

/// The picker for [`oldest_worth`]'s answer: true for each item to drop,
/// given its order.
pub fn dropper<K: Ord + Copy>((last, mut at_last): (K, usize)) -> impl FnMut(K) -> bool {
    move |t| {
        t < last
            || (t == last && at_last > 0 && {
                at_last -= 1;
                true
            })
    }
}

/// [`Shed`] for a rule whose groups are a `Keyed` map in
/// its field `groups` and whose kept events are counted in its `ledger`:
/// every question is the map's, its size the rule's own `size`.
macro_rules! shed_by_groups {
    ($rule:ty) => {
        impl $crate::detect::weigh::Shed for $rule {
            fn size(&self) -> $crate::detect::weigh::Size {
                <$rule>::size(self)
            }
            fn bytes(&self) -> usize {
                self.groups.bytes()
            }
            fn held(&self) -> usize {
                self.groups.held()
            }
            fn events(&self) -> usize {
                self.groups.events()
            }
            fn ledger(&mut self) -> Option<&mut $crate::detect::weigh::Ledger> {
                Some(&mut self.ledger)
            }
            fn shed(
                &mut self,
                bytes: usize,
                per_event: usize,
                _: &mut $crate::detect::book::Book,
            ) -> u64 {
                self.groups.shed(bytes, per_event)
            }
        }
    };
}
pub(super) use shed_by_groups;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ev(id: &str) -> EventRef {
        EventRef::sample(id, 1, Some("User:alice"), Some("192.0.2.1"))
    }

    #[test]
    fn a_shared_event_is_counted_once_until_its_last_holder_drops_it() {
        let ledger = Ledger::default();
        let other = ledger.clone();
        let e = Arc::new(ev("e1"));
        let bytes = event_bytes(&e);
        let (a, b) = (e.clone(), e.clone());
        drop(e);
        a.count_in(&ledger);
        b.count_in(&other);
        b.count_in(&ledger);
        assert_eq!(ledger.bytes(), bytes, "three keeps, one copy");
        // A clone of the event itself is another copy, counted on its own.
        let copy = Arc::new((*a).clone());
        copy.count_in(&ledger);
        assert_eq!(ledger.bytes(), 2 * bytes);
        drop(copy);
        drop(a);
        assert_eq!(ledger.bytes(), bytes, "one holder left");
        drop(b);
        assert_eq!(ledger.bytes(), 0);
    }
}
