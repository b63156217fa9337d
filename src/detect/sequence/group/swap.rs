//! The ids of a group's alerts after a re-anchor in `run` ([`IdSwap`]).

use std::mem::size_of;

use thin_vec::ThinVec;

use super::Group;

/// In `run`, an alert handed out and then re-anchored on an earlier
/// completing event keeps the id it went out with, made from `sent` (the
/// time of the B that fired it): the alert that B may later make of its
/// own (it was displaced) takes the id the re-anchored alert would have
/// had, made from `anchor`, so that two incidents never share one SIEM
/// document, and the two ids are the two a replay in time order gives.
#[derive(Debug)]
pub(in crate::detect::sequence) struct IdSwap {
    sent: i64,
    anchor: i64,
}

/// Re-anchors a group remembers, the latest ones: past them a collision
/// of ids is possible again (each needs a completing event that arrived
/// after a later one of the same group had fired: rare).
const MAX_SWAPS: usize = 8;

/// The heap bytes of a group's swaps: a [`ThinVec`] keeps its length and
/// capacity (two `usize`s) with its elements.
pub(in crate::detect::sequence) fn swaps_bytes(s: &ThinVec<IdSwap>) -> usize {
    match s.capacity() {
        0 => 0,
        c => 2 * size_of::<usize>() + c * size_of::<IdSwap>(),
    }
}

impl Group {
    /// Its last alert, handed out with the id of the B at `displaced`,
    /// is re-anchored on the earlier B at `anchor` and keeps that id (an
    /// alert re-anchored again keeps the id it first went out with).
    /// Earlier swaps stay: the alert a displaced B makes may come later,
    /// after another alert of the group was re-anchored.
    pub(in crate::detect::sequence) fn swap_ids(&mut self, displaced: i64, anchor: i64) {
        let (r, bytes) = self.rare_mut();
        if let Some(s) = r.swaps.iter_mut().find(|s| s.anchor == displaced) {
            s.anchor = anchor;
            return;
        }
        if r.swaps.len() == MAX_SWAPS {
            r.swaps.remove(0);
        }
        let before = swaps_bytes(&r.swaps);
        r.swaps.push(IdSwap {
            sent: displaced,
            anchor,
        });
        bytes.add(swaps_bytes(&r.swaps) - before);
    }

    /// The time a new alert completed by the B at `b` takes its id from:
    /// `b`, unless a re-anchored alert holds that id ([`IdSwap`]).
    pub(in crate::detect::sequence) fn id_time(&self, b: i64) -> i64 {
        let swaps = self.rare.as_deref().map_or(&[][..], |r| &r.swaps[..]);
        match swaps.iter().rfind(|s| s.sent == b) {
            Some(s) => s.anchor,
            None => b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_re_anchor_does_not_forget_an_earlier_one() {
        let mut g = Group::default();
        // An alert sent with the B at 16, re-anchored on the B at 10.
        g.swap_ids(16, 10);
        // Later, another alert sent with the B at 1016, re-anchored on
        // the B at 1010.
        g.swap_ids(1016, 1010);
        // The B at 16 may still make an alert of its own: it takes the
        // id the first re-anchored alert would have had, not the one
        // that alert still holds.
        assert_eq!(g.id_time(16), 10);
        assert_eq!(g.id_time(1016), 1010);
        assert_eq!(g.id_time(500), 500);
        // Re-anchored again (on the B at 5): the id it first went out
        // with is kept, and the B at 16's own alert takes the B at 5's.
        g.swap_ids(10, 5);
        assert_eq!(g.id_time(16), 5);
    }

    #[test]
    fn only_the_latest_re_anchors_are_kept() {
        let mut g = Group::default();
        for i in 0..(MAX_SWAPS as i64 + 2) {
            g.swap_ids(100 * i + 50, 100 * i);
        }
        assert_eq!(g.id_time(50), 50, "the oldest is forgotten");
        let last = MAX_SWAPS as i64 + 1;
        assert_eq!(g.id_time(100 * last + 50), 100 * last);
    }
}
