//! Text that many kept event copies have alike, held once: the principal
//! and the resource of an [`EventRef`](super::alert::EventRef).
//!
//! Under an alert storm the copies the rules keep are most of the
//! detector's state (`[detect] max_state_bytes`), and most of a denial's
//! text is its principal (`User:CN=…,OU=…`) and its resource's CRN: a
//! principal's denials on a few resources repeat both in every copy. The
//! [`Interner`] gives each distinct text one `Arc<str>` that the copies
//! share: a copy's text goes from ≈ 220 to ≈ 80 bytes (BENCHMARKS.md
//! "Detector", session 11).
//!
//! Its bytes are counted in the detector's [`Ledger`], with the copies
//! they belong to: each text once (the `Arc`'s block), and the set's
//! table as allocated. A text no copy holds any more is let go at the
//! next sweep ([`Interner::purge`], every 4,096 events and when the state
//! is shed), so the set holds at most the texts of the copies kept and of
//! the events since the last sweep.

use std::cell::{Cell, RefCell};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;

use super::alert::arc_str_bytes;
use super::hash::{FastState, PassThroughState};
use super::ledger::Ledger;
use super::weigh::table_bytes;

/// One `Arc<str>` per distinct text, shared by the copies that hold it.
/// Used through `&self` (the detector's event facts borrow it while the
/// rules change): interior mutability, one thread.
///
/// Looked up by a keyed hash of the text ([`FastState::hash_str`]) and
/// the text compared: a `HashSet<Arc<str>>` hashed the text through
/// `Hash` (a terminator more) and cost ≈ 180 instructions a lookup
/// (BENCHMARKS.md "Detector", session 11).
#[derive(Debug)]
pub struct Interner {
    map: RefCell<HashMap<u64, Arc<str>, PassThroughState>>,
    hasher: FastState,
    /// Texts whose hash another text already has (64 keyed bits: in
    /// practice never), each its own, let go as the others are.
    others: RefCell<Vec<Arc<str>>>,
    /// The largest capacity the map had since it was last made: hashbrown
    /// reports less once removals left marks in it, not fewer slots.
    full: Cell<usize>,
    /// What it has put in the ledger and not taken off yet.
    counted: Cell<usize>,
    ledger: Ledger,
    /// The last text asked for in each place ([`Interner::get_in`]): a
    /// burst's denials name one principal and one resource, and comparing
    /// costs less than hashing a 100-byte CRN.
    recent: RefCell<[Option<Arc<str>>; 2]>,
}

/// A slot of the map.
type Slot = (u64, Arc<str>);

impl Interner {
    /// An empty interner that counts its bytes in `ledger`.
    pub fn new(ledger: Ledger) -> Interner {
        Interner {
            map: RefCell::new(HashMap::with_hasher(PassThroughState)),
            hasher: FastState::default(),
            others: RefCell::new(Vec::new()),
            full: Cell::new(0),
            counted: Cell::new(0),
            ledger,
            recent: RefCell::new([None, None]),
        }
    }

    /// [`Interner::get`] for the text of place `place` (0 or 1: the
    /// principal, the resource), the last one asked for there first.
    pub fn get_in(&self, place: usize, s: &str) -> Arc<str> {
        let mut recent = self.recent.borrow_mut();
        if let Some(r) = recent[place].as_ref().filter(|r| ***r == *s) {
            return r.clone();
        }
        let a = self.get(s);
        recent[place] = Some(a.clone());
        a
    }

    /// The shared copy of `s`, made on its first use.
    pub fn get(&self, s: &str) -> Arc<str> {
        let h = self.hasher.hash_str(s);
        let mut map = self.map.borrow_mut();
        let mut add = 0;
        let a = match map.entry(h) {
            Entry::Occupied(o) if **o.get() == *s => return o.get().clone(),
            Entry::Occupied(_) => {
                let a: Arc<str> = Arc::from(s);
                self.others.borrow_mut().push(a.clone());
                a
            }
            Entry::Vacant(v) => {
                let a: Arc<str> = Arc::from(s);
                v.insert(a.clone());
                let (cap, full) = (map.capacity(), self.full.get());
                if cap > full {
                    add += table_bytes::<Slot>(cap).saturating_sub(table_bytes::<Slot>(full));
                    self.full.set(cap);
                }
                a
            }
        };
        add += arc_str_bytes(s);
        self.ledger.add(add);
        self.counted.set(self.counted.get() + add);
        a
    }

    /// Lets go of the texts no copy holds any more, and remakes the map
    /// smaller when three quarters of it are empty.
    pub fn purge(&self) {
        *self.recent.borrow_mut() = [None, None];
        let mut map = self.map.borrow_mut();
        let mut freed = 0;
        let mut unheld = |a: &Arc<str>| {
            let keep = Arc::strong_count(a) > 1;
            if !keep {
                freed += arc_str_bytes(a);
            }
            keep
        };
        map.retain(|_, a| unheld(a));
        self.others.borrow_mut().retain(|a| unheld(a));
        let full = self.full.get();
        if map.is_empty() || map.len() < full / 4 {
            let smaller = if map.is_empty() {
                HashMap::with_hasher(PassThroughState)
            } else {
                let mut m = HashMap::with_capacity_and_hasher(map.len() * 2, PassThroughState);
                m.extend(map.drain());
                m
            };
            *map = smaller;
            let cap = map.capacity();
            freed += table_bytes::<Slot>(full).saturating_sub(table_bytes::<Slot>(cap));
            self.full.set(cap);
        }
        self.ledger.sub(freed);
        self.counted.set(self.counted.get() - freed);
    }

    /// Distinct texts held.
    pub fn len(&self) -> usize {
        self.map.borrow().len() + self.others.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its bytes, as counted in the ledger.
    pub fn bytes(&self) -> usize {
        self.counted.get()
    }
}

impl Drop for Interner {
    fn drop(&mut self) {
        self.ledger.sub(self.counted.get());
    }
}

#[cfg(test)]
mod tests;
