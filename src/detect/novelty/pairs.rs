//! The earliest waiting event of each (group, value) pair
//! ([`Pairs`]): a later event of a pair that already waits does not wait
//! too.
//!
//! Every event of a group not seen before waits for the watermark (all
//! of a stream's first seconds, and a new principal's): mostly the same
//! principal from the same network, again and again. Once the earliest
//! of them is decided the value is known, so the later ones could only
//! refresh the time it was last seen — which a known value does at
//! arrival anyway ([`NoveltyRule::offer`](super::NoveltyRule::offer)).
//! So a later event of a waiting pair is noted as a time, not copied and
//! queued: its pair's latest time is applied when the earliest is
//! decided. One that is earlier than the pair's waiting event waits as
//! before (it may be the first).

use std::mem::size_of;

use crate::detect::hash::FastMap;

/// A pair's earliest waiting event and the latest time seen since.
#[derive(Debug)]
struct Pending {
    group: u64,
    value: Box<str>,
    /// The waiting event's (time, arrival).
    at: (i64, u64),
    latest: i64,
}

/// The waiting pairs, by a hash of (group hash, value).
#[derive(Debug, Default)]
pub(super) struct Pairs {
    map: FastMap<u64, Pending>,
}

/// One pair's bytes: its table slot (counted two thirds full) and its
/// value.
fn bytes(p: &Pending) -> usize {
    size_of::<(u64, Pending)>() * 3 / 2 + p.value.len()
}

impl Pairs {
    /// True when the pair (`group`, `value`), hashed `pair`, has a
    /// waiting event at or before `t` and no more than `ttl` before it:
    /// its latest time is raised to `t` and this event need not wait. (A
    /// known value is refreshed so only while it is still remembered at
    /// `t`: an event more than `ttl` after the pair's first waits, and may
    /// find the value forgotten.)
    pub(super) fn merge(
        &mut self,
        pair: u64,
        (group, value): (u64, &str),
        t: i64,
        ttl: i64,
    ) -> bool {
        match self.map.get_mut(&pair) {
            Some(p)
                if p.group == group
                    && &*p.value == value
                    && p.at.0 <= t
                    && t.saturating_sub(p.at.0) <= ttl =>
            {
                p.latest = p.latest.max(t);
                true
            }
            _ => false,
        }
    }

    /// Notes the event waiting at `at` as its pair's earliest (unless
    /// another pair holds the slot); the bytes added.
    pub(super) fn note(&mut self, pair: u64, group: u64, value: &str, at: (i64, u64)) -> usize {
        match self.map.get_mut(&pair) {
            None => {
                let p = Pending {
                    group,
                    value: value.into(),
                    at,
                    latest: at.0,
                };
                let added = bytes(&p);
                self.map.insert(pair, p);
                added
            }
            // An earlier event of the pair: it is the earliest now (the
            // one it displaces still waits, and is decided as any other).
            Some(p) if p.group == group && &*p.value == value => {
                p.at = at;
                0
            }
            Some(_) => 0,
        }
    }

    /// The event at `at`, of the pair hashed `pair`, is being decided:
    /// the latest time of its pair when it was the pair's noted one, and
    /// the bytes freed.
    pub(super) fn take(&mut self, pair: u64, at: (i64, u64)) -> Option<(i64, usize)> {
        match self.map.get(&pair) {
            Some(p) if p.at == at => {
                let p = self.map.remove(&pair).expect("present");
                Some((p.latest, bytes(&p)))
            }
            _ => None,
        }
    }

    /// Pairs noted.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }
}
