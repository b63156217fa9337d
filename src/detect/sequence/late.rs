//! Steps that arrive after the alert they belong to fired (another
//! partition was behind): a first step joins it, an earlier completing
//! event re-anchors it.

use std::mem::size_of;
use std::sync::Arc;

use super::group::Group;
use super::{firsts_before, sequence_alert, FireParts, RuleParts};
use crate::detect::alert::EventRef;
use crate::detect::book::{Book, Replaced};

/// What a late completing event did to the group's fired alert: `None`
/// when nothing (not earlier, too few first steps, or the alert closed);
/// else it completes the alert instead, and the B it displaced (with the
/// group's key) comes after it: a next round, or an alert of its own.
pub(super) type Displaced = Option<(Arc<EventRef>, String)>;

/// A first step at or before the last alert's completing event (it
/// arrived late): it joins that alert when it belongs before its B,
/// within the window, and the alert is still open. One at or before the
/// previous alert's completing event joins that alert instead, if open
/// (in time order it was one of its first steps), never the last one.
pub(super) fn join_late(
    (name, window, describe, ledger): RuleParts<'_>,
    g: &mut Group,
    time: i64,
    key: impl FnOnce() -> String,
    event: impl FnOnce() -> Arc<EventRef>,
    book: &mut Book,
) {
    let (quiet_before, (_, rounds)) = (g.quiet_before(), g.last_round());
    if time <= quiet_before {
        // The alert before the last one's: it joins that alert if open.
        if let Some((b, rounds)) = g.prev().filter(|(b, _)| time >= b.time - window) {
            let e = event();
            book.join(name, &key(), (b.time..=b.time, false), &e, |alert| {
                describe(alert, rounds, b)
            });
        }
        return;
    }
    let Some(fired) = g.rare.as_deref_mut().and_then(|r| r.fired.as_deref_mut()) else {
        return;
    };
    let b = &fired.b;
    if time > b.time || time < b.time.saturating_sub(window) {
        return;
    }
    let e = event();
    if fired.a.iter().any(|x| x.id() == e.id()) {
        return;
    }
    let at = fired.a.partition_point(|x| x.time <= e.time);
    let cap = fired.a.capacity();
    fired.a.insert(at, e.clone());
    let grown = (fired.a.capacity() - cap) * size_of::<Arc<EventRef>>();
    g.bytes.add(grown);
    e.count_in(ledger);
    book.join(name, &key(), (b.time..=b.time, false), &e, |alert| {
        describe(alert, rounds, b)
    });
}

/// A completing event (B) at or before the group's quiet time that
/// belongs before the fired alert's B (it arrived late: another partition
/// was behind) completes the sequence earlier when the alert's first
/// steps before it are enough: the alert is re-anchored on it, as if the
/// events had arrived in time order (its id from this B's time, its first
/// steps those before it; the ones between the two B's go back to the
/// group), while the alert is open. The B it displaced is handed back: it
/// may be the alert's next round, or complete a sequence of its own.
pub(super) fn complete_earlier(
    (name, window, describe, ledger): RuleParts<'_>,
    (severity, min_a, keep_alive): FireParts,
    g: &mut Group,
    time: i64,
    key: impl FnOnce() -> String,
    event: impl FnOnce() -> Arc<EventRef>,
    book: &mut Book,
) -> Displaced {
    let fired = g.fired()?;
    // Not once the alert has had more rounds: they ran from its B.
    if time >= fired.b.time || g.last_round().1 > 1 {
        return None;
    }
    let a = firsts_before(fired.a.iter(), time, window);
    if a.len() < min_a as usize {
        return None;
    }
    let b = event();
    let later: Vec<Arc<EventRef>> = fired.a.iter().filter(|x| x.time > time).cloned().collect();
    let old_b = fired.b.clone();
    let key = key();
    let alert = sequence_alert((name, severity, describe), key.clone(), &a, (&b, b.time));
    match book.replace(name, old_b.time, alert) {
        Replaced::NotOpen => return None,
        Replaced::TookNewId => {}
        Replaced::KeptSentId => g.swap_ids(old_b.time, b.time),
    }
    b.count_in(ledger);
    for x in later {
        g.insert_a(x);
    }
    g.fire(b.time.saturating_add(keep_alive), a, b, false);
    Some((old_b, key))
}
