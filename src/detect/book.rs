//! The book of open alerts: an alert stays open while its incident goes
//! on (events of its group join it within its keep-alive) and is handed
//! out when it fires and when it closes ([`Emit`]).

use super::alert::{Alert, EventRef};
use super::hash::FastMap;

/// When alerts are handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    /// When they fire (within a second of the event that completes them),
    /// and again when they close if events joined them meanwhile. `run`.
    OnFireAndClose,
    /// Once, complete, when they close or the input ends. `detect`.
    OnClose,
}

#[derive(Debug)]
struct Open {
    alert: Alert,
    keep_alive: i64,
    /// Changed since last handed out.
    dirty: bool,
    /// Rewrites the summary when events joined (counts change).
    refresh: Option<fn(&Alert) -> String>,
}

/// Open alerts by rule and group key.
#[derive(Debug)]
pub struct Book {
    /// Rule name → group key → alert (two levels, so a lookup by `&str`
    /// allocates nothing).
    open: FastMap<&'static str, FastMap<String, Open>>,
    /// No open alert's keep-alive ends before this time: a watermark at or
    /// below it closes nothing, and [`Book::close_before`] returns at once.
    next_deadline: i64,
    emit: Emit,
    pub out: Vec<Alert>,
}

impl Open {
    fn deadline(&self) -> i64 {
        self.alert.last_time.saturating_add(self.keep_alive)
    }
}

impl Book {
    pub fn new(emit: Emit) -> Book {
        Book {
            open: FastMap::default(),
            next_deadline: i64::MAX,
            emit,
            out: Vec::new(),
        }
    }

    pub fn open_count(&self) -> usize {
        self.open.values().map(FastMap::len).sum()
    }

    /// Adds `e` to the open alert of `(rule, key)` when `e` is within its
    /// keep-alive; false when there is none (or it is too far behind).
    /// A deadline only moves later here, so `next_deadline` stays a bound.
    pub fn extend(&mut self, rule: &'static str, key: &str, e: &EventRef) -> bool {
        let Some(open) = self.open.get_mut(rule).and_then(|m| m.get_mut(key)) else {
            return false;
        };
        if e.time > open.deadline() {
            return false;
        }
        let before = open.alert.event_count;
        open.alert.add(e);
        open.dirty |= open.alert.event_count != before;
        true
    }

    /// Adds `e` to the open alert of `(rule, key)` whatever its time (a
    /// late event that belongs to the incident) and rewrites its summary
    /// with `describe`; false when that alert is not open.
    pub fn join(
        &mut self,
        rule: &'static str,
        key: &str,
        e: &EventRef,
        describe: impl FnOnce(&Alert) -> String,
    ) -> bool {
        let Some(open) = self.open.get_mut(rule).and_then(|m| m.get_mut(key)) else {
            return false;
        };
        let before = open.alert.event_count;
        open.alert.add(e);
        if open.alert.event_count != before {
            open.alert.summary = describe(&open.alert);
            open.dirty = true;
        }
        true
    }

    /// A new alert; handed out now in [`Emit::OnFireAndClose`].
    pub fn fire(&mut self, rule: &'static str, alert: Alert, keep_alive: i64) {
        self.fire_with(rule, alert, keep_alive, None)
    }

    /// [`Book::fire`] with a summary that is rewritten as events join.
    pub fn fire_with(
        &mut self,
        rule: &'static str,
        alert: Alert,
        keep_alive: i64,
        refresh: Option<fn(&Alert) -> String>,
    ) {
        let mut dirty = true;
        if self.emit == Emit::OnFireAndClose {
            self.out.push(alert.clone());
            dirty = false;
        }
        let open = Open {
            alert,
            keep_alive,
            dirty,
            refresh,
        };
        self.next_deadline = self.next_deadline.min(open.deadline());
        let key = open.alert.group_key.clone();
        if let Some(old) = self.open.entry(rule).or_default().insert(key, open) {
            self.close(old);
        }
    }

    /// Closes alerts whose keep-alive ended before `watermark`.
    pub fn close_before(&mut self, watermark: i64) {
        if watermark <= self.next_deadline {
            return;
        }
        let mut closing = Vec::new();
        let mut next = i64::MAX;
        for alerts in self.open.values_mut() {
            let due: Vec<String> = alerts
                .iter()
                .filter(|(_, o)| o.deadline() < watermark)
                .map(|(k, _)| k.clone())
                .collect();
            closing.extend(due.iter().filter_map(|k| alerts.remove(k)));
            next = alerts.values().map(Open::deadline).fold(next, i64::min);
        }
        self.next_deadline = next;
        self.close_in_order(closing);
    }

    /// Closes every open alert (end of input, shutdown).
    pub fn close_all(&mut self) {
        let all = self
            .open
            .drain()
            .flat_map(|(_, m)| m.into_values())
            .collect();
        self.next_deadline = i64::MAX;
        self.close_in_order(all);
    }

    /// Closes `alerts` in a stable order (the maps' is random), so the
    /// same input prints the same output.
    fn close_in_order(&mut self, mut alerts: Vec<Open>) {
        alerts.sort_by(|a, b| {
            (a.alert.first_time, &a.alert.id).cmp(&(b.alert.first_time, &b.alert.id))
        });
        for o in alerts {
            self.close(o);
        }
    }

    fn close(&mut self, mut o: Open) {
        if o.dirty {
            if let Some(refresh) = o.refresh {
                o.alert.summary = refresh(&o.alert);
            }
            o.alert.closed = true;
            self.out.push(o.alert);
        }
    }
}
