//! Alerts that wait behind their group's open alert.
//!
//! Events are judged as they arrive. Read in arrival order (`run`, whose
//! partitions interleave), an event of a group dated past its open
//! alert's keep-alive may come before an earlier event that bridges the
//! gap: in time order, the two are one incident. So while a group's alert
//! is open (the watermark has not passed its keep-alive, and a bridging
//! event may still come), a new alert of that group does not replace it:
//! it *waits* behind it, not handed out, taking the events within its own
//! keep-alive. When the open alert's keep-alive reaches a waiting alert,
//! that one joins it ([`knit`]); when the open alert closes, the first
//! waiting alert is handed out in its place ([`succeed`]). The wait lasts
//! at most the allowed lateness past the open alert's keep-alive (in
//! `run`, until the partition furthest behind reaches it).

use super::Open;

/// Puts `o`, a new alert of `head`'s group, behind it, in time order, and
/// joins what now touches.
pub(super) fn wait(head: &mut Open, o: Open) {
    let at = head
        .later
        .partition_point(|w| w.alert.first_time <= o.alert.first_time);
    head.later.insert(at, o);
    head.bytes = head.weigh();
    knit(head);
}

/// Joins each waiting alert that the keep-alive of the one before it
/// reaches (its first event within it) to that one.
pub(super) fn knit(head: &mut Open) {
    if head.later.is_empty() {
        return;
    }
    while head
        .later
        .first()
        .is_some_and(|w| w.alert.first_time <= head.deadline())
    {
        let w = head.later.remove(0);
        head.absorb(w);
    }
    let mut i = 0;
    while i + 1 < head.later.len() {
        if head.later[i + 1].alert.first_time <= head.later[i].deadline() {
            let w = head.later.remove(i + 1);
            head.later[i].absorb(w);
        } else {
            i += 1;
        }
    }
}

/// `head`'s keep-alive ended before `watermark`: it closes, and so do the
/// alerts behind it whose keep-alive ended too; the first that is still
/// open comes next (with the rest behind it).
pub(super) fn succeed(mut head: Open, watermark: i64) -> (Vec<Open>, Option<Open>) {
    let mut rest = std::mem::take(&mut head.later).into_iter();
    head.bytes = head.weigh();
    let mut gone = vec![head];
    while let Some(mut w) = rest.next() {
        if w.deadline() < watermark {
            gone.push(w);
            continue;
        }
        w.later = rest.collect();
        w.bytes = w.weigh();
        return (gone, Some(w));
    }
    (gone, None)
}

impl Open {
    /// Takes in `w`, the alert that waited behind it: one incident.
    fn absorb(&mut self, w: Open) {
        self.alert.absorb(w.alert);
        if let (Some(r), Some(more)) = (self.revise.as_deref_mut(), w.revise) {
            r.absorb(*more);
        }
        self.dirty = true;
        self.bytes = self.weigh();
    }
}
