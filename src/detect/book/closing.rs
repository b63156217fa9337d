//! How open alerts close: when the watermark passes their keep-alive,
//! early when the book is over its bound, all at the end; and how a
//! closing alert is handed out.

use super::{later, Alert, Book, Emit, EventRef, Open, MAX_REVISE};

impl Book {
    /// Over `max_bytes`: closes the alerts least recently joined (by
    /// their last event, then their first, then their id: the same input
    /// closes the same alerts) down to nine tenths of it.
    pub(super) fn keep_to_bound(&mut self) {
        if self.bytes <= self.max_bytes {
            return;
        }
        let target = self.max_bytes - self.max_bytes / 10;
        let mut all: Vec<(i64, i64, &str, &'static str, &str, usize)> = self
            .open
            .iter()
            .flat_map(|(rule, m)| {
                m.iter().map(|(k, o)| {
                    let a = &o.alert;
                    (a.last_time, a.first_time, &*a.id, *rule, &**k, o.total())
                })
            })
            .collect();
        // The first of that order whose bytes reach the excess: chosen by
        // a partial selection of twice the estimated number (the average
        // alert's bytes), sorted, rather than sorting every open alert
        // each time (a thousand open alerts at the bound made that ≈ 600
        // instructions per denial on `sensitive-*`; BENCHMARKS.md
        // "Detector", session 13); doubled while short.
        let excess = self.bytes - target;
        let avg = (self.bytes / all.len().max(1)).max(1);
        let mut k = (excess / avg + 1).saturating_mul(2).min(all.len());
        loop {
            if k < all.len() {
                all.select_nth_unstable(k);
            }
            all[..k].sort_unstable();
            let head: usize = all[..k].iter().map(|x| x.5).sum();
            if head >= excess || k == all.len() {
                break;
            }
            k = k.saturating_mul(2).min(all.len());
        }
        all.truncate(k);
        let mut left = self.bytes;
        let mut going: Vec<(&'static str, String)> = Vec::new();
        for (_, _, _, rule, key, bytes) in all {
            if left <= target {
                break;
            }
            left -= bytes;
            going.push((rule, key.to_owned()));
        }
        let closing: Vec<Open> = going
            .iter()
            .filter_map(|(rule, key)| self.open.get_mut(rule)?.remove(key))
            .collect();
        self.closed_early += closing.len() as u64;
        self.close_in_order(closing);
    }

    /// Closes alerts whose keep-alive ended before `watermark`; the first
    /// alert waiting behind one that closes takes its place ([`later`]).
    pub fn close_before(&mut self, watermark: i64) {
        if watermark <= self.next_deadline {
            return;
        }
        let mut closing = Vec::new();
        let mut next = i64::MAX;
        let mut up = Vec::new();
        for (rule, alerts) in self.open.iter_mut() {
            let due: Vec<String> = alerts
                .iter()
                .filter(|(_, o)| o.deadline() < watermark)
                .map(|(k, _)| k.clone())
                .collect();
            for head in due.iter().filter_map(|k| alerts.remove(k)) {
                let before = head.total();
                let (gone, next_up) = later::succeed(head, watermark);
                let after: usize = gone.iter().chain(&next_up).map(Open::total).sum();
                self.bytes = (self.bytes + after).saturating_sub(before);
                closing.extend(gone);
                up.extend(next_up.map(|o| (*rule, o)));
            }
            next = alerts.values().map(Open::deadline).fold(next, i64::min);
        }
        self.next_deadline = next;
        self.close_in_order(closing);
        // Handed out now, as when they fire: in a stable order.
        up.sort_by(|(_, a), (_, b)| stable_order(a, b));
        for (rule, mut o) in up {
            self.next_deadline = self.next_deadline.min(o.deadline());
            if self.emit == Emit::OnFireAndClose {
                self.out.push(o.alert.clone());
                o.dirty = false;
            }
            let key = o.alert.group_key.clone();
            self.open.entry(rule).or_default().insert(key, o);
        }
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
        alerts.sort_by(stable_order);
        for o in alerts {
            self.close(o);
        }
    }

    /// Hands out `o` (when it changed since it last was), and then the
    /// alerts waiting behind it.
    pub(super) fn close(&mut self, mut o: Open) {
        debug_assert!(self.bytes >= o.bytes, "book bytes below zero");
        self.bytes = self.bytes.saturating_sub(o.bytes);
        let waiting = std::mem::take(&mut o.later);
        if let Some(r) = o.revise.take().filter(|r| r.events.len() <= MAX_REVISE) {
            let Some(kept) = (r.settle)(&r.events, r.threshold, r.window) else {
                waiting.into_iter().for_each(|w| self.close(w));
                return;
            };
            if kept.len() != r.events.len() {
                let refs: Vec<&EventRef> = kept.iter().map(|e| &**e).collect();
                let key = std::mem::take(&mut o.alert.group_key);
                let mut a = Alert::new(&o.alert.rule, o.alert.severity, key, &refs);
                a.id = std::mem::take(&mut o.alert.id);
                // Not handed out yet: an id made from the window start
                // follows the start of the events it keeps.
                if self.emit == Emit::OnClose {
                    a.window_moved(&o.alert.rule, o.alert.first_time);
                }
                o.alert = a;
                o.dirty = true;
            }
        }
        if o.dirty {
            if let Some(refresh) = o.refresh {
                o.alert.summary = refresh(&o.alert);
            }
            o.alert.closed = true;
            self.out.push(o.alert);
        }
        for w in waiting {
            self.close(w);
        }
    }
}

/// The order alerts are handed out in when several go at once: by first
/// event, then id (the maps' order is random; the same input prints the
/// same output).
fn stable_order(a: &Open, b: &Open) -> std::cmp::Ordering {
    (a.alert.first_time, &a.alert.id).cmp(&(b.alert.first_time, &b.alert.id))
}
