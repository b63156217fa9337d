//! A burst's denials, the runs they make, and what its alerts took.

use std::cell::{Cell, OnceCell, RefCell};
use std::mem::size_of;
use std::sync::Arc;

use super::Burst;
use crate::detect::alert::EventRef;
use crate::detect::facts::ResourcePath;
use crate::detect::hash::FastSet;

/// A denial: its event and its resource's path (parsed when first
/// needed).
pub(super) type Denial = (Arc<EventRef>, OnceCell<Option<ResourcePath>>);

/// What a burst's alerts took.
pub(super) struct Alerted {
    /// The latest change put in an alert for this burst (`i64::MIN`:
    /// none): a new alert of the burst lists the denials after it.
    pub(super) listed_until: Cell<i64>,
    /// What `listed_until` was when the burst's latest alert was made: a
    /// change that joins that alert brings the denials after it.
    pub(super) alert_floor: Cell<i64>,
    /// The denials an alert counted (their event ids): an alert lists the
    /// first 100 ids, and past them only this says a denial was counted
    /// already.
    pub(super) counted: RefCell<FastSet<Box<str>>>,
}

impl Alerted {
    pub(super) fn new() -> Alerted {
        Alerted {
            listed_until: Cell::new(i64::MIN),
            alert_floor: Cell::new(i64::MIN),
            counted: RefCell::new(FastSet::default()),
        }
    }

    /// Its box, its set's table and ids.
    pub(super) fn bytes(&self) -> usize {
        let counted = self.counted.borrow();
        size_of::<Alerted>()
            + counted.capacity() * (size_of::<Box<str>>() + 1)
            + counted.iter().map(|id| id.len()).sum::<usize>()
    }
}

impl Burst {
    /// Its heap bytes under `key` (parsed paths not counted: they are
    /// made only when a change meets the burst; the denials' events are
    /// shared, counted by the [`Ledger`]).
    pub(super) fn heap_bytes(&self, key: &str) -> usize {
        key.len()
            + self.denials.capacity() * size_of::<Denial>()
            + self.alerted.get().map_or(0, |a| a.bytes())
    }
}

/// The run of `denials` (sorted by time; a gap longer than `window` ends
/// a run) that time `t` falls in, from its first denial to one window
/// after its last; none when `t` is outside every run.
pub(super) fn segment(denials: &[Denial], t: i64, window: i64) -> Option<std::ops::Range<usize>> {
    let at = denials.partition_point(|(d, ..)| d.time <= t);
    // The latest denial at or before `t`: within a window of it, or not
    // in any run (a later denial of its run would be within a window too).
    let last = at.checked_sub(1)?;
    if t > denials[last].0.time.saturating_add(window) {
        return None;
    }
    let gap = |w: &[Denial]| w[1].0.time - w[0].0.time > window;
    let start = denials[..=last]
        .windows(2)
        .rposition(gap)
        .map_or(0, |i| i + 1);
    let end = denials[last..]
        .windows(2)
        .position(gap)
        .map_or(denials.len(), |i| last + i + 1);
    Some(start..end)
}
