//! The ids of a group's alerts after a re-anchor in `run` ([`IdSwap`]).

use std::mem::size_of;

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

impl Group {
    /// Its last alert, handed out with the id of the B at `displaced`,
    /// is re-anchored on the earlier B at `anchor` and keeps that id (an
    /// alert re-anchored again keeps the id it first went out with).
    pub(in crate::detect::sequence) fn swap_ids(&mut self, displaced: i64, anchor: i64) {
        let (r, bytes) = self.rare_mut();
        match r.swap.as_deref_mut() {
            Some(s) if s.anchor == displaced => s.anchor = anchor,
            _ => {
                if r.swap.is_none() {
                    bytes.add(size_of::<IdSwap>());
                }
                r.swap = Some(Box::new(IdSwap {
                    sent: displaced,
                    anchor,
                }));
            }
        }
    }

    /// The time a new alert completed by the B at `b` takes its id from:
    /// `b`, unless a re-anchored alert holds that id ([`IdSwap`]).
    pub(in crate::detect::sequence) fn id_time(&self, b: i64) -> i64 {
        match self.rare.as_deref().and_then(|r| r.swap.as_deref()) {
            Some(s) if s.sent == b => s.anchor,
            _ => b,
        }
    }
}
