//! An open alert whose events may still leave it when it closes
//! ([`Revise`]).

use std::mem::size_of;
use std::sync::Arc;

use super::super::alert::EventRef;

/// Most events a [`Revise`] keeps; an alert that grows past it is left
/// as it is when it closes (its list would be partial).
pub(super) const MAX_REVISE: usize = 1_000;

/// Which of an alert's events still make it, when it closes: `None` when
/// they no longer make an incident (given the rule's threshold and window).
pub type Settle = fn(&[Arc<EventRef>], usize, i64) -> Option<Vec<Arc<EventRef>>>;

/// An alert whose events may still leave it. `auth_bruteforce` by
/// identifier counts the failures of the addresses that do not reach the
/// threshold alone, and an address can reach it after the alert fired (its
/// failures are then its own alert's). The events are kept while the alert
/// is open, and [`Settle`]d when it closes: an alert left with too few
/// is not handed out (in [`Emit::OnFireAndClose`], its first version was).
#[derive(Debug)]
pub struct Revise {
    pub(super) events: Vec<Arc<EventRef>>,
    /// The events' bytes ([`EventRef::bytes`]).
    pub(super) held: usize,
    pub(super) threshold: usize,
    pub(super) window: i64,
    pub(super) settle: Settle,
}

impl Revise {
    pub fn new(
        events: Vec<Arc<EventRef>>,
        threshold: usize,
        window: i64,
        settle: Settle,
    ) -> Revise {
        let held = events.iter().map(|e| e.bytes()).sum();
        Revise {
            events,
            held,
            threshold,
            window,
            settle,
        }
    }

    /// Takes in the events of `more`, an alert of the same incident. Past
    /// the most it keeps, it keeps one more, as [`super::Book::extend`]
    /// does, and is then left as it is.
    pub(super) fn absorb(&mut self, more: Revise) {
        let room = (MAX_REVISE + 1).saturating_sub(self.events.len());
        for e in more.events.into_iter().take(room) {
            self.held += e.bytes();
            self.events.push(e);
        }
    }

    /// Its box, its vector's buffer and its events: they are the ledger's
    /// while rules hold them too, and counted here as well, so that the
    /// book's bound holds what only open alerts keep.
    pub(super) fn bytes(&self) -> usize {
        size_of::<Revise>() + self.events.capacity() * size_of::<Arc<EventRef>>() + self.held
    }
}
