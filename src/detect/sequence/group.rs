//! A sequence rule's group: its first steps, and behind one box what few
//! groups have (kept B's, a quiet time, a fired alert).
//!
//! Small, because a storm makes many, each a slot of its rule's table:
//! an alert storm's `denied_then_granted` held ≈ 35,000 groups of 1–3
//! first steps and nothing else, in a table of 65,536 slots counted as
//! allocated (BENCHMARKS.md "Detector", sessions 10 and 11). The group
//! was 80 bytes (a `Vec` of first steps, a `VecDeque` of B's, a time, a
//! box, its tally); it is 24: the first steps as a [`ThinVec`] (one
//! pointer; its length and capacity in its buffer's header), the rest
//! behind one `Option<Box<Rare>>`, made by the group's first B or alert.

use std::collections::VecDeque;
use std::mem::size_of;
use std::sync::Arc;

use thin_vec::ThinVec;

use crate::detect::alert::EventRef;
use crate::detect::kept::Kept;
use crate::detect::weigh::{Tally, Weigh};

mod swap;
use swap::{swaps_bytes, IdSwap};

/// A group's first steps (A's), sorted by time.
pub(super) type Firsts = ThinVec<Arc<EventRef>>;

/// The heap bytes of a group's first steps: none without a buffer (an
/// empty [`ThinVec`] points to a shared static header), else its
/// header (length and capacity, two `usize`) and its capacity's slots.
pub(super) fn firsts_bytes(a: &Firsts) -> usize {
    match a.capacity() {
        0 => 0,
        cap => 2 * size_of::<usize>() + cap * size_of::<Arc<EventRef>>(),
    }
}

/// The state of one group of a sequence rule.
#[derive(Debug, Default)]
pub(super) struct Group {
    pub(super) a: Firsts,
    /// What most groups never have (a storm's denials make groups of
    /// first steps alone): none until the group keeps a B or fires.
    pub(super) rare: Option<Box<Rare>>,
    /// Its heap bytes ([`Group::count`]; the first steps' events are
    /// shared, counted by the [`crate::detect::weigh::Ledger`]), kept up
    /// to date as it changes: weighing it is one read (a granted event
    /// weighs its group twice).
    pub(super) bytes: Tally,
}

// A slot of the rule's table is its key (8), its stamp (16) and this.
const _: () = assert!(size_of::<Group>() <= 24);

/// A group's kept B's, quiet time and fired alert.
#[derive(Debug, Default)]
pub(super) struct Rare {
    /// The last B's, in arrival order, as copies whose buffers are reused
    /// (most B's never complete anything: a granted event of a group with
    /// no denial is kept only for a denial that may still arrive late).
    /// A ring: the oldest copy is taken from the front, refilled and put
    /// at the back (a `Vec` rotated its four copies on every B).
    pub(super) b: VecDeque<Kept>,
    /// No new alert from events at or before this time: the last alert's
    /// keep-alive after its last completing event.
    pub(super) quiet_until: i64,
    /// The last alert's last completing event: a round of first steps
    /// after it and a completing event within the keep-alive joins that
    /// alert.
    pub(super) last: Option<Arc<EventRef>>,
    /// The rounds of the last alert (one, and one more per round joined).
    pub(super) rounds: u32,
    /// The last completing event of the alert before the last, and that
    /// alert's rounds: a first step at or before it belongs to that alert
    /// (it arrived late), not to the last.
    pub(super) prev: Option<(Arc<EventRef>, u32)>,
    /// The last alert's events, while a late first step may still join it.
    pub(super) fired: Option<Box<Fired>>,
    /// The ids handed-out alerts went out with, when they were
    /// re-anchored on an earlier completing event ([`Group::id_time`]),
    /// the latest last (a [`ThinVec`]: one pointer in every group's
    /// `Rare`, where the single box it replaced was one too).
    pub(super) swaps: ThinVec<IdSwap>,
}

impl Rare {
    /// Its heap bytes but for the box itself: the ring's buffer, the kept
    /// copies' text, the fired alert's box.
    fn count(&self) -> usize {
        self.b.capacity() * size_of::<Kept>()
            + self.b.iter().map(Kept::heap_bytes).sum::<usize>()
            + self.fired.as_deref().map_or(0, Fired::bytes)
            + swaps_bytes(&self.swaps)
    }
}

/// The events of a fired alert: its first steps (time order) and the
/// event that completed it.
#[derive(Debug)]
pub(super) struct Fired {
    pub(super) a: Vec<Arc<EventRef>>,
    pub(super) b: Arc<EventRef>,
}

impl Fired {
    /// Its box and its vector's buffer (its events are the ledger's).
    pub(super) fn bytes(&self) -> usize {
        size_of::<Fired>() + self.a.capacity() * size_of::<Arc<EventRef>>()
    }
}

impl Group {
    /// Its heap bytes, counted: the first steps' buffer, and the box of
    /// the rest with what it holds (the events are the ledger's).
    pub(super) fn count(&self) -> usize {
        firsts_bytes(&self.a)
            + self
                .rare
                .as_deref()
                .map_or(0, |r| size_of::<Rare>() + r.count())
    }

    /// No new alert from events at or before this time (none fired yet:
    /// zero, as the field's default was).
    #[inline]
    pub(super) fn quiet_until(&self) -> i64 {
        self.rare.as_deref().map_or(0, |r| r.quiet_until)
    }

    /// The last completing event of the alert before the last (none:
    /// zero).
    pub(super) fn quiet_before(&self) -> i64 {
        self.prev().map_or(0, |(b, _)| b.time)
    }

    /// The last completing event of the alert before the last, and that
    /// alert's rounds.
    pub(super) fn prev(&self) -> Option<(&Arc<EventRef>, u32)> {
        let (b, rounds) = self.rare.as_deref()?.prev.as_ref()?;
        Some((b, *rounds))
    }

    /// The time of the last alert's last completing event and its
    /// rounds (none fired yet: zero).
    #[inline]
    pub(super) fn last_round(&self) -> (i64, u32) {
        self.rare
            .as_deref()
            .and_then(|r| Some((r.last.as_ref()?.time, r.rounds)))
            .unwrap_or((0, 0))
    }

    /// The last alert's last completing event.
    pub(super) fn last(&self) -> Option<&Arc<EventRef>> {
        self.rare.as_deref()?.last.as_ref()
    }

    /// The kept B's (none without the box).
    #[inline]
    pub(super) fn kept(&self) -> impl Iterator<Item = &Kept> {
        self.rare.iter().flat_map(|r| r.b.iter())
    }

    /// The B's kept after `a` (a first step that arrived after them),
    /// earliest first, as the alert would keep them: the one that
    /// completes is the earliest with enough first steps before it, as in
    /// time order (they are kept in arrival order).
    pub(super) fn kept_after(&self, a: &Arc<EventRef>, shared: u8) -> Vec<Arc<EventRef>> {
        let mut kept: Vec<Arc<EventRef>> = self
            .kept()
            .filter(|b| b.time >= a.time)
            .map(|b| Arc::new(b.to_event_with(a, shared)))
            .collect();
        kept.sort_by_key(|b| b.time);
        kept
    }

    /// The B's kept from before the fired alert's B and after `a` (a first
    /// step that arrived late), earliest first, as the alert would keep
    /// them.
    pub(super) fn kept_before_fired(&self, a: &Arc<EventRef>, shared: u8) -> Vec<Arc<EventRef>> {
        let Some(fired) = self.fired().map(|f| f.b.time) else {
            return Vec::new();
        };
        let mut kept: Vec<Arc<EventRef>> = self
            .kept()
            .filter(|b| b.time >= a.time && b.time < fired)
            .map(|b| Arc::new(b.to_event_with(a, shared)))
            .collect();
        kept.sort_by_key(|b| b.time);
        kept
    }

    /// The fired alert, if any.
    pub(super) fn fired(&self) -> Option<&Fired> {
        self.rare.as_deref()?.fired.as_deref()
    }

    /// The box of the rest, made (and counted) if the group has none, and
    /// the group's tally.
    #[inline]
    pub(super) fn rare_mut(&mut self) -> (&mut Rare, &mut Tally) {
        let bytes = &mut self.bytes;
        let rare = self.rare.get_or_insert_with(|| {
            bytes.add(size_of::<Rare>());
            Box::default()
        });
        (rare, bytes)
    }

    /// Inserts a first step in time order.
    #[inline(always)]
    pub(super) fn insert_a(&mut self, e: Arc<EventRef>) {
        let at = self.a.partition_point(|x| x.time <= e.time);
        let before = firsts_bytes(&self.a);
        // Most arrive in order: a push, where `insert` moves (none) anyway.
        if at == self.a.len() {
            self.a.push(e);
        } else {
            self.a.insert(at, e);
        }
        self.bytes.add(firsts_bytes(&self.a) - before);
    }

    /// Keeps the latest `max` first steps once it holds a quarter more
    /// (the move is paid once per `max / 4` steps; the buffer stays);
    /// returns how many of the oldest went.
    #[inline]
    pub(super) fn trim_a(&mut self, max: usize) -> u64 {
        if self.a.len() <= max + max / 4 {
            return 0;
        }
        let over = self.a.len() - max;
        self.a.drain(..over);
        over as u64
    }

    /// Drops its fired alert once the watermark passed its B (no late
    /// first step can join it any more).
    #[inline(always)]
    pub(super) fn close_fired(&mut self, watermark: i64) {
        let Some(r) = self.rare.as_deref_mut() else {
            return;
        };
        if r.fired.as_ref().is_some_and(|x| x.b.time < watermark) {
            let gone = r.fired.take().map_or(0, |x| x.bytes());
            self.bytes.sub(gone);
        }
    }

    /// Forgets the kept B's before `horizon`. Looked over before the
    /// `retain`: a ring's rebuild cost more than the look, and most events
    /// find nothing expired.
    #[inline(always)]
    pub(super) fn expire_b(&mut self, horizon: i64) {
        let Some(r) = self.rare.as_deref_mut() else {
            return;
        };
        if r.b.iter().any(|x| x.time < horizon) {
            let bytes = &mut self.bytes;
            r.b.retain(|x| {
                let keep = x.time >= horizon;
                if !keep {
                    bytes.sub(x.heap_bytes());
                }
                keep
            });
        }
    }

    /// Keeps a copy of the B `f` (the fields in `shared` left out): in a
    /// new copy while it keeps fewer than `keep`, else in its oldest's
    /// buffer.
    #[inline(always)]
    pub(super) fn keep_b(&mut self, f: &crate::detect::facts::Facts<'_>, shared: u8, keep: usize) {
        let (r, bytes) = self.rare_mut();
        if r.b.len() < keep {
            let (k, cap) = (Kept::of(f, shared), r.b.capacity());
            let text = k.heap_bytes();
            r.b.push_back(k);
            bytes.add(text + (r.b.capacity() - cap) * size_of::<Kept>());
        } else if let Some(mut oldest) = r.b.pop_front() {
            let before = oldest.heap_bytes();
            oldest.fill(f, shared);
            // A refill only ever grows the buffer.
            bytes.add(oldest.heap_bytes().saturating_sub(before));
            r.b.push_back(oldest);
        }
    }

    /// Keeps `b`, a completing event handed back (displaced by an earlier
    /// one), for first steps that may still arrive: as [`Group::keep_b`].
    pub(super) fn keep_event(&mut self, b: &EventRef, shared: u8, keep: usize) {
        let (r, bytes) = self.rare_mut();
        if r.b.len() >= keep {
            if let Some(old) = r.b.pop_front() {
                bytes.sub(old.heap_bytes());
            }
        }
        let (k, cap) = (Kept::from_event(b, shared), r.b.capacity());
        bytes.add(k.heap_bytes());
        r.b.push_back(k);
        bytes.add((r.b.capacity() - cap) * size_of::<Kept>());
    }

    /// After an alert completed by `b` with the first steps `a`: quiet
    /// until `quiet_until`, its first steps up to `b` and its kept B's
    /// from `b` on let go, the alert kept for late first steps. `new`:
    /// another alert than the last (not the last re-anchored).
    pub(super) fn fire(
        &mut self,
        quiet_until: i64,
        a: Vec<Arc<EventRef>>,
        b: Arc<EventRef>,
        new: bool,
    ) {
        // First steps after `b` stay: with a completing event within the
        // keep-alive they are the alert's next round; past it, the next
        // alert's first steps.
        self.drop_firsts_before(b.time);
        let fired = Box::new(Fired { a, b });
        let (r, bytes) = self.rare_mut();
        if new {
            r.prev = r.last.take().map(|b| (b, r.rounds));
        }
        r.quiet_until = quiet_until;
        r.last = Some(fired.b.clone());
        r.rounds = 1;
        // The other kept B's stay: a first step that arrives late may
        // still complete one earlier than `b` ([`Group::kept`]), and one
        // after it may complete a later one (they arrived first).
        drop_kept(&mut r.b, bytes, fired.b.id());
        bytes.add(fired.bytes());
        if let Some(old) = r.fired.replace(fired) {
            bytes.sub(old.bytes());
        }
    }

    /// After a round completed by `b` joined the alert: its first steps
    /// let go, quiet until `quiet_until` (or later, as it was), the kept
    /// B's up to `b` let go.
    pub(super) fn next_round(&mut self, b: Arc<EventRef>, quiet_until: i64) {
        let time = b.time;
        self.drop_firsts_before(time);
        let (r, bytes) = self.rare_mut();
        r.quiet_until = r.quiet_until.max(quiet_until);
        r.last = Some(b);
        r.rounds += 1;
        drop_kept(&mut r.b, bytes, r.last.as_ref().map_or("", |b| b.id()));
    }

    /// Lets go of the first steps at or before `time` (the buffer stays).
    fn drop_firsts_before(&mut self, time: i64) {
        let n = self.a.partition_point(|x| x.time <= time);
        if n > 0 {
            self.a.drain(..n);
        }
    }
}

/// Lets go of the kept copy of the completing event `id` (it is in an
/// alert now).
fn drop_kept(kept: &mut VecDeque<Kept>, bytes: &mut Tally, id: &str) {
    kept.retain(|k| {
        let keep = k.id() != Some(id);
        if !keep {
            bytes.sub(k.heap_bytes());
        }
        keep
    });
}

impl Weigh for Group {
    fn heap_bytes(&self) -> usize {
        debug_assert_eq!(self.bytes.get(), self.count(), "a change not counted");
        self.bytes.get()
    }
    fn events(&self) -> usize {
        self.a.len() + self.fired().map_or(0, |x| x.a.len() + 1)
    }
    /// The first steps it holds.
    fn rank(&self) -> u32 {
        u32::try_from(self.a.len()).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::alert::asked;

    #[test]
    fn the_first_steps_weigh_what_their_buffer_asks_for() {
        for cap in [0, 1, 3, 4, 8, 1_250] {
            let (n, bytes, a) = asked(|| Firsts::with_capacity(cap));
            assert_eq!(firsts_bytes(&a), bytes, "capacity {cap}");
            assert_eq!(n, usize::from(cap > 0), "one buffer, or none");
        }
    }
}
