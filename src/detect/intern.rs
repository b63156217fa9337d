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
use std::collections::HashSet;
use std::sync::Arc;

use super::alert::arc_str_bytes;
use super::hash::FastState;
use super::ledger::Ledger;
use super::weigh::table_bytes;

/// One `Arc<str>` per distinct text, shared by the copies that hold it.
/// Used through `&self` (the detector's event facts borrow it while the
/// rules change): interior mutability, one thread.
#[derive(Debug)]
pub struct Interner {
    set: RefCell<HashSet<Arc<str>, FastState>>,
    /// The largest capacity the set had since it was last made: hashbrown
    /// reports less once removals left marks in it, not fewer slots.
    full: Cell<usize>,
    /// What it has put in the ledger and not taken off yet.
    counted: Cell<usize>,
    ledger: Ledger,
}

/// The bytes of one text as held: the `Arc`'s block (two counts and the
/// text).
fn text_bytes(s: &str) -> usize {
    arc_str_bytes(s)
}

impl Interner {
    /// An empty interner that counts its bytes in `ledger`.
    pub fn new(ledger: Ledger) -> Interner {
        Interner {
            set: RefCell::new(HashSet::with_hasher(FastState::default())),
            full: Cell::new(0),
            counted: Cell::new(0),
            ledger,
        }
    }

    /// The shared copy of `s`, made on its first use.
    pub fn get(&self, s: &str) -> Arc<str> {
        let mut set = self.set.borrow_mut();
        if let Some(a) = set.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        set.insert(a.clone());
        let mut add = text_bytes(s);
        let cap = set.capacity();
        if cap > self.full.get() {
            add += table_bytes::<Arc<str>>(cap)
                .saturating_sub(table_bytes::<Arc<str>>(self.full.get()));
            self.full.set(cap);
        }
        self.ledger.add(add);
        self.counted.set(self.counted.get() + add);
        a
    }

    /// Lets go of the texts no copy holds any more, and remakes the set
    /// smaller when three quarters of it are empty.
    pub fn purge(&self) {
        let mut set = self.set.borrow_mut();
        let mut freed = 0;
        set.retain(|a| {
            let keep = Arc::strong_count(a) > 1;
            if !keep {
                freed += text_bytes(a);
            }
            keep
        });
        let full = self.full.get();
        if set.is_empty() || set.len() < full / 4 {
            let smaller = if set.is_empty() {
                HashSet::with_hasher(*set.hasher())
            } else {
                let mut s = HashSet::with_capacity_and_hasher(set.len() * 2, *set.hasher());
                s.extend(set.drain());
                s
            };
            *set = smaller;
            let cap = set.capacity();
            freed += table_bytes::<Arc<str>>(full).saturating_sub(table_bytes::<Arc<str>>(cap));
            self.full.set(cap);
        }
        self.ledger.sub(freed);
        self.counted.set(self.counted.get() - freed);
    }

    /// Distinct texts held.
    pub fn len(&self) -> usize {
        self.set.borrow().len()
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
