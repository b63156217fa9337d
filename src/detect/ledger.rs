//! The ledger of the event copies the rules keep: each copy (an
//! `Arc<EventRef>` that several rules may share) counted once, when a
//! rule first keeps it, and taken off when its last holder drops it
//! ([`super::weigh`] has the rest of the state's estimate).

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};

/// The bytes of the event copies the rules keep, each counted once
/// however many rules hold it. Clones share the tally (every rule of a
/// detector holds one).
#[derive(Debug, Clone, Default)]
pub struct Ledger(Arc<AtomicUsize>);

impl Ledger {
    /// Counts the `bytes` of the copy that holds `c` here unless a ledger
    /// counts it already; they come off when the copy is dropped
    /// ([`EventRef`](super::alert::EventRef)'s `Drop`, which
    /// [`EventRef::count_in`](super::alert::EventRef::count_in) pairs
    /// with this).
    pub fn count(&self, c: &Counted, bytes: impl FnOnce() -> usize) {
        c.0.get_or_init(|| {
            self.0.fetch_add(bytes(), Relaxed);
            self.0.clone()
        });
    }

    /// Counts `bytes` held for the copies other than in one of them
    /// (the [`Interner`](super::intern::Interner)'s shared text).
    pub fn add(&self, bytes: usize) {
        self.0.fetch_add(bytes, Relaxed);
    }

    /// Takes off what [`Ledger::add`] counted.
    pub fn sub(&self, bytes: usize) {
        self.0.fetch_sub(bytes, Relaxed);
    }

    /// The bytes of the copies kept and not yet dropped.
    pub fn bytes(&self) -> usize {
        self.0.load(Relaxed)
    }
}

/// In an [`EventRef`](super::alert::EventRef): the tally of the [`Ledger`] that counts it, set by
/// the first rule that keeps it. A clone of the event is a new copy,
/// counted on its own; it compares equal whatever the tally.
#[derive(Default)]
pub struct Counted(OnceLock<Arc<AtomicUsize>>);

impl Counted {
    pub fn tally(&self) -> Option<&AtomicUsize> {
        self.0.get().map(|t| &**t)
    }
}

impl Clone for Counted {
    fn clone(&self) -> Counted {
        Counted::default()
    }
}

impl PartialEq for Counted {
    fn eq(&self, _: &Counted) -> bool {
        true
    }
}

impl Eq for Counted {}

impl fmt::Debug for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "counted"
        } else {
            "not counted"
        })
    }
}
