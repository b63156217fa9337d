//! A sequence alert's next rounds: one incident that goes on.
//!
//! After an alert fires, its group is quiet for the keep-alive after the
//! alert's last completing event (B). First steps (A's) after that B are
//! kept; a B within the keep-alive with at least `min_a` of them within
//! the window before it is the same incident again (a principal denied
//! and granted once more, failed logins and a success from the same
//! address again): its A's and B join the alert, whose keep-alive then
//! runs from that B. A B past the keep-alive starts a new alert, with the
//! A's within the window before it (those of the keep-alive included).

use std::sync::Arc;

use super::group::Group;
use super::{complete, FireParts, RuleParts, Step, KEEP_B, MAX_A};
use crate::detect::alert::EventRef;
use crate::detect::book::Book;
use crate::detect::facts::Facts;

/// A step `f` dated after the last alert's last completing event, within
/// its keep-alive. An A is kept (and may complete a B kept before it
/// arrived); a B with enough A's since that event is the alert's next
/// round, else kept for A's that arrive late. True when it completed one.
#[allow(clippy::too_many_arguments)]
pub(super) fn step(
    (rule, fire, shared): (RuleParts<'_>, FireParts, u8),
    dropped: &mut u64,
    g: &mut Group,
    step: Step,
    f: &Facts<'_>,
    key: impl FnOnce() -> String,
    event: impl FnOnce() -> Arc<EventRef>,
    book: &mut Book,
) -> bool {
    let (_, window, _, ledger) = rule;
    match step {
        Step::A => {
            let e = event();
            g.insert_a(e.clone());
            e.count_in(ledger);
            *dropped += g.trim_a(MAX_A);
            let key = key();
            g.kept_after(&e, shared)
                .into_iter()
                .any(|b| settle(rule, fire, g, b, || key.clone(), book))
        }
        Step::B => {
            // Most B's of a quiet group complete nothing (a principal
            // granted again and again after its alert): counted first,
            // the event made only for one that does.
            let last_b = g.last_round().0;
            let from = f.time.saturating_sub(window).max(last_b.saturating_add(1));
            let n =
                g.a.iter()
                    .filter(|x| x.time >= from && x.time <= f.time)
                    .count();
            if n < fire.1 as usize {
                g.keep_b(f, shared, KEEP_B);
                return false;
            }
            settle(rule, fire, g, event(), key, book)
        }
    }
}

/// Settles `b`, a completing event after the last alert's last B: the
/// alert's next round when it is within the keep-alive, else a new alert
/// when it has enough first steps. True when either happened.
pub(super) fn settle(
    rule: RuleParts<'_>,
    fire: FireParts,
    g: &mut Group,
    b: Arc<EventRef>,
    key: impl FnOnce() -> String,
    book: &mut Book,
) -> bool {
    if b.time > g.quiet_until() {
        return complete(rule, fire, g, vec![b], key, book);
    }
    let (name, window, describe, ledger) = rule;
    let (_, min_a, keep_alive) = fire;
    let (last_b, rounds) = g.last_round();
    let from = b.time.saturating_sub(window).max(last_b.saturating_add(1));
    let a: Vec<Arc<EventRef>> =
        g.a.iter()
            .filter(|x| x.time >= from && x.time <= b.time)
            .cloned()
            .collect();
    if a.len() < min_a as usize {
        return false;
    }
    let key = key();
    let rounds = rounds + 1;
    if !book.join(name, &key, (last_b..=last_b, false), &b, |alert| {
        describe(alert, rounds, &b)
    }) {
        // The alert was closed early (the book's bound): the round is an
        // alert of its own.
        return complete(rule, fire, g, vec![b], || key, book);
    }
    for x in &a {
        book.join(name, &key, (last_b..=last_b, false), x, |alert| {
            describe(alert, rounds, &b)
        });
    }
    b.count_in(ledger);
    g.next_round(b.clone(), b.time.saturating_add(keep_alive));
    true
}

/// A first step that arrived late, dated between the last alert's
/// rounds (after its first completing event, before its last): it joins
/// the alert when it is within the window before the last round's B.
pub(super) fn join_between(
    (name, window, describe, _): RuleParts<'_>,
    g: &Group,
    e: &Arc<EventRef>,
    key: &str,
    book: &mut Book,
) {
    let (Some(last), (_, rounds)) = (g.last(), g.last_round()) else {
        return;
    };
    let first_b = g.fired().map_or(g.quiet_before(), |f| f.b.time);
    if rounds < 2 || e.time <= first_b || e.time < last.time.saturating_sub(window) {
        return;
    }
    book.join(name, key, (last.time..=last.time, false), e, |alert| {
        describe(alert, rounds, last)
    });
}

#[cfg(test)]
mod tests;
