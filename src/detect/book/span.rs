//! Adding to a group's alert picked by the period its events span, not
//! by the keep-alive: late events that belong to an incident (a
//! sequence's first step, a privilege change's denials), a sequence's
//! next round, a re-anchored sequence, a change that stays listed.

use std::ops::RangeInclusive;

use super::{later, Alert, Book, Emit, EventRef, Target};

impl Book {
    /// Adds `e` to the open (or waiting) alert of `(rule, key)` whose
    /// events' span meets the period `at` (the first), whatever `e`'s
    /// time (a late event that belongs to the incident, or a sequence's
    /// next round) or, `within`, only when `e` is within that alert's
    /// keep-alive; rewrites its summary with `describe`. False when no
    /// such alert is open.
    pub fn join(
        &mut self,
        rule: &'static str,
        key: &str,
        (at, within): (RangeInclusive<i64>, bool),
        e: &EventRef,
        describe: impl FnOnce(&Alert) -> String,
    ) -> bool {
        let target = Target::Spanning(at, within);
        self.add(rule, key, e, None, target, Some(describe))
    }

    /// [`Book::join`], the alert's summary left as it is (a rule whose
    /// sentence does not count the events).
    pub fn join_as_is(
        &mut self,
        rule: &'static str,
        key: &str,
        (at, within): (RangeInclusive<i64>, bool),
        e: &EventRef,
    ) -> bool {
        let target = Target::Spanning(at, within);
        self.add(rule, key, e, None, target, None::<fn(&Alert) -> String>)
    }

    /// [`Alert::pin`]s `e`, which it holds, in the open (or waiting)
    /// alert of `(rule, key)` whose events' span meets the period `at`.
    pub fn pin(&mut self, rule: &'static str, key: &str, at: RangeInclusive<i64>, e: &EventRef) {
        let Some(head) = self.open.get_mut(rule).and_then(|m| m.get_mut(key)) else {
            return;
        };
        let Some(i) = head.spanning(&at) else {
            return;
        };
        let before = head.total();
        let open = match i {
            None => &mut *head,
            Some(i) => &mut head.later[i],
        };
        open.alert.pin(e);
        open.bytes = open.weigh();
        self.bytes = (self.bytes + head.total()).saturating_sub(before);
    }

    /// Puts `alert` in the place of the open (or waiting) alert of its
    /// rule and group key whose events span time `at`, which it revises (a
    /// sequence re-anchored on an earlier completing event that arrived
    /// late). Not handed out yet, it takes `alert`'s id; handed out
    /// already, it keeps the id it went out with, so that its next version
    /// updates the same document.
    pub fn replace(&mut self, rule: &'static str, at: i64, mut alert: Alert) -> Replaced {
        let key = alert.group_key.as_str();
        let Some(head) = self.open.get_mut(rule).and_then(|m| m.get_mut(key)) else {
            return Replaced::NotOpen;
        };
        let Some(i) = head.spanning(&(at..=at)) else {
            return Replaced::NotOpen;
        };
        let before = head.total();
        let open = match i {
            None => &mut *head,
            Some(i) => &mut head.later[i],
        };
        let kept = self.emit == Emit::OnFireAndClose && i.is_none();
        if kept {
            alert.id = std::mem::take(&mut open.alert.id);
        }
        open.alert = alert;
        open.dirty = true;
        open.bytes = open.weigh();
        later::knit(head);
        self.bytes = (self.bytes + head.total()).saturating_sub(before);
        self.next_deadline = self.next_deadline.min(head.deadline());
        self.keep_to_bound();
        if kept {
            Replaced::KeptSentId
        } else {
            Replaced::TookNewId
        }
    }
}

/// What [`Book::replace`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Replaced {
    /// No open alert spans that time: nothing replaced.
    NotOpen,
    /// Replaced, with the new alert's id (it was not handed out yet).
    TookNewId,
    /// Replaced, keeping the id the alert was handed out with.
    KeptSentId,
}
