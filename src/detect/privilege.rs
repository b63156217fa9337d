//! `privilege_change_during_denials`: a granted privilege change (role
//! binding, ACL, `AlterAccess`) whose target — literal, prefix
//! (`topic=sensitive-pii*`) or an enclosing scope — covers a resource of
//! an active denial burst. "Active": the change falls between the burst's
//! first denial and one burst window after its last.
//!
//! Either may arrive first: changes are kept for a window and bursts as
//! long as `denial_burst` keeps them open, and each new change or burst
//! event is checked against the other side.

use std::cell::OnceCell;
use std::collections::{HashSet, VecDeque};
use std::mem::size_of;
use std::sync::Arc;

use super::alert::{span_words, Alert, EventRef};
use super::book::Book;
use super::facts::ResourcePath;
use super::hash::FastMap;
use super::state::Size;
use super::weigh::{dropper, entry_bytes, less, oldest_worth, Ledger, Shed};
use crate::event::Severity;

pub const NAME: &str = "privilege_change_during_denials";
/// Most privilege changes remembered at once.
const MAX_CHANGES: usize = 1024;
/// Most denials remembered per burst.
const MAX_DENIALS: usize = 200;
/// Most bursts remembered at once.
const MAX_BURSTS: usize = 10_000;

struct Change {
    event: Arc<EventRef>,
    targets: Vec<ResourcePath>,
}

#[derive(Default)]
struct Burst {
    first: i64,
    last: i64,
    /// The latest change put in an alert for this burst (`i64::MIN`:
    /// none): a new alert of the burst lists the denials after it.
    /// What its alerts took, made when a change first meets the burst
    /// (most bursts meet none: one pointer each).
    alerted: OnceCell<Box<Alerted>>,
    /// Order of creation: ties (bursts of one instant) are met and shed in
    /// it, not in the map's (seeded at random) order, so a run's alerts
    /// do not change from one run to the next.
    serial: u64,
    /// Each denial with its resource's path, parsed the first time a
    /// change is checked against it (most bursts meet no change).
    denials: Vec<Denial>,
}

/// A change's heap bytes: its targets' paths (its event is shared,
/// counted by the [`Ledger`]).
fn change_bytes(c: &Change) -> usize {
    let paths = c.targets.iter().map(|t| {
        size_of::<ResourcePath>()
            + t.parts.capacity() * size_of::<(String, String)>()
            + t.parts
                .iter()
                .map(|(k, v)| k.capacity() + v.capacity())
                .sum::<usize>()
    });
    paths.sum::<usize>()
}

/// The rule's state.
pub struct PrivilegeRule {
    pub severity: Severity,
    /// The burst window: how long after its last denial a burst is active.
    pub window: i64,
    changes: VecDeque<Change>,
    bursts: FastMap<String, Burst>,
    /// Changes alerted, by change id and burst key: the time the denials
    /// their alert took are after (exclusive).
    fired: FastMap<(Box<str>, String), i64>,
    /// Heap bytes of the changes, bursts and fired pairs.
    held: usize,
    /// Bursts shed over the byte bound.
    evictions: u64,
    /// Bursts made so far ([`Burst::serial`]).
    serial: u64,
    /// Counts the kept events (the detector's, shared by its rules).
    pub ledger: Ledger,
}

impl PrivilegeRule {
    pub fn new(severity: Severity, window: i64) -> PrivilegeRule {
        PrivilegeRule {
            severity,
            window,
            changes: VecDeque::new(),
            bursts: FastMap::default(),
            fired: FastMap::default(),
            held: 0,
            evictions: 0,
            serial: 0,
            ledger: Ledger::default(),
        }
    }

    /// Changes and bursts held (both are capped, neither is evicted).
    pub fn size(&self) -> Size {
        Size {
            keys: (self.changes.len() + self.bursts.len()) as u64,
            evictions: self.evictions,
        }
    }

    /// A granted privilege change.
    pub fn on_change(&mut self, event: Arc<EventRef>, targets: Vec<ResourcePath>, book: &mut Book) {
        if targets.is_empty() {
            return;
        }
        event.count_in(&self.ledger);
        let change = Change { event, targets };
        self.held += change_bytes(&change);
        self.changes.push_back(change);
        if self.changes.len() > MAX_CHANGES {
            if let Some(old) = self.changes.pop_front() {
                less(&mut self.held, change_bytes(&old));
            }
        }
        let c = self.changes.len() - 1;
        let mut keys: Vec<(u64, String)> = self
            .bursts
            .iter()
            .map(|(k, b)| (b.serial, k.clone()))
            .collect();
        keys.sort_unstable();
        for (_, k) in keys {
            self.evaluate(c, &k, book);
        }
    }

    /// Denials that belong to the burst `key` (they fired it or joined it).
    pub fn on_burst(&mut self, key: &str, denials: &[Arc<EventRef>], book: &mut Book) {
        if !self.bursts.contains_key(key) && self.bursts.len() >= MAX_BURSTS {
            return;
        }
        let (held, serial) = (&mut self.held, &mut self.serial);
        let b = self.bursts.entry(key.to_owned()).or_insert_with(|| {
            *held += key.len();
            *serial += 1;
            Burst {
                first: i64::MAX,
                last: i64::MIN,
                serial: *serial,
                ..Burst::default()
            }
        });
        less(held, b.heap_bytes(""));
        // Kept in time order, whatever the order of arrival: a gap longer
        // than the window splits them into bursts one after the other
        // ([`segment`]), and a denial that arrives late may still bridge
        // a gap. Full, the oldest go first.
        for d in denials {
            b.first = b.first.min(d.time);
            b.last = b.last.max(d.time);
            if b.denials.len() >= MAX_DENIALS {
                if b.denials[0].0.time > d.time {
                    continue;
                }
                b.denials.remove(0);
            }
            d.count_in(&self.ledger);
            let at = b.denials.partition_point(|(x, ..)| x.time <= d.time);
            b.denials.insert(at, (d.clone(), OnceCell::new()));
        }
        *held += b.heap_bytes("");
        for c in 0..self.changes.len() {
            self.evaluate(c, key, book);
        }
    }

    /// Checks change `c` against the burst: the run of the burst's denials
    /// (gaps within the window) that the change falls in, from its first
    /// denial to one window after its last. The run's denials up to the
    /// change (the burst as it was when the change came) on resources the
    /// change covers, and the change, make the alert: one per burst, which
    /// a further change within its keep-alive joins; a change past it
    /// makes the burst's next alert, with the denials after the last
    /// change alerted. A change alerted already takes its late denials
    /// (the alert lists each event once).
    fn evaluate(&mut self, c: usize, burst_key: &str, book: &mut Book) {
        let (Some(change), Some(burst)) = (self.changes.get(c), self.bursts.get(burst_key)) else {
            return;
        };
        let t = change.event.time;
        let Some(run) = segment(&burst.denials, t, self.window) else {
            return;
        };
        let run = &burst.denials[run];
        let before = &run[..run.partition_point(|(d, ..)| d.time <= t)];
        let covered: Vec<&Arc<EventRef>> = before
            .iter()
            .filter(|(e, p)| {
                p.get_or_init(|| e.resource().and_then(ResourcePath::parse_crn))
                    .as_ref()
                    .is_some_and(|p| change.targets.iter().any(|t| t.covers(p)))
            })
            .map(|(e, _)| e)
            .collect();
        if covered.is_empty() {
            return;
        }
        let held_before = burst.alerted.get().map_or(0, |a| a.bytes());
        let alerted = burst.alerted.get_or_init(|| Box::new(Alerted::new()));
        let (listed_until, alert_floor) = (alerted.listed_until.get(), alerted.alert_floor.get());
        let counted = |d: &Arc<EventRef>| alerted.counted.borrow().contains(d.id());
        let count = |d: &Arc<EventRef>| alerted.counted.borrow_mut().insert(d.id().into());
        let fired_key = (Box::<str>::from(change.event.id()), burst_key.to_owned());
        let (since, at) = (run[0].0.time, t..=t);
        // The burst's alert: open, its events within the run, the change
        // within its keep-alive (changes may arrive in any order).
        let span = since..=run[run.len() - 1].0.time.max(t);
        let floor = if let Some(&floor) = self.fired.get(&fired_key) {
            floor
        } else if book.join_as_is(NAME, burst_key, (span, true), &change.event) {
            alert_floor
        } else {
            // The burst's next alert: the denials after its last change
            // alerted (at least the last before this change).
            let fresh = covered.partition_point(|d| d.time <= listed_until);
            let listed = &covered[fresh.min(covered.len() - 1)..];
            listed.iter().for_each(|d| {
                count(d);
            });
            let mut refs: Vec<&EventRef> = listed.iter().map(|e| &***e).collect();
            refs.push(&change.event);
            let mut alert = Alert::new(NAME, self.severity, burst_key.to_owned(), &refs);
            alert.summary = format!(
                "{} changed privileges on {} while {} was being denied there (burst since {} before the change).",
                change.event.principal().unwrap_or("An unknown principal"),
                change.targets[0].display(),
                burst_key.split_once('=').map(|(_, p)| p).unwrap_or(burst_key),
                span_words(t - since),
            );
            // The change is the alert's point; the principal shown is who made it.
            alert.principal = change.event.principal().map(str::to_owned);
            alert.pin(&change.event);
            book.fire(NAME, alert, self.window);
            alerted.alert_floor.set(listed_until);
            listed_until
        };
        // The denials no alert of the burst counted yet.
        for d in covered.iter().filter(|d| d.time > floor && !counted(d)) {
            if book.join_as_is(NAME, burst_key, (at.clone(), false), d) {
                count(d);
            }
        }
        // Each change stays listed however many denials it came after.
        book.pin(NAME, burst_key, at, &change.event);
        alerted.listed_until.set(listed_until.max(t));
        self.held = (self.held + alerted.bytes()).saturating_sub(held_before);
        let bytes = fired_key.0.len() + fired_key.1.capacity();
        if self.fired.insert(fired_key, floor).is_none() {
            self.held += bytes;
        }
    }

    /// Forgets changes and bursts older than a window before `watermark`.
    pub fn expire(&mut self, watermark: i64) {
        let horizon = watermark.saturating_sub(self.window.saturating_mul(2));
        let held = &mut self.held;
        self.changes.retain(|c| {
            let keep = c.event.time >= horizon;
            if !keep {
                less(held, change_bytes(c));
            }
            keep
        });
        let window = self.window;
        self.bursts.retain(|k, b| {
            let keep = b.last >= horizon;
            if !keep {
                less(held, b.heap_bytes(k));
            } else {
                // Its runs of denials that ended before the horizon.
                let ended = b
                    .denials
                    .windows(2)
                    .rposition(|w| w[1].0.time - w[0].0.time > window && w[0].0.time < horizon);
                if let Some(i) = ended {
                    less(held, b.heap_bytes(""));
                    b.denials.drain(..=i);
                    b.first = b.denials[0].0.time;
                    *held += b.heap_bytes("");
                }
            }
            keep
        });
        if self.fired.len() > MAX_CHANGES * 4 {
            let live: HashSet<&str> = self.changes.iter().map(|c| c.event.id()).collect();
            self.fired.retain(|(id, k), _| {
                let keep = live.contains(&**id);
                if !keep {
                    less(held, id.len() + k.capacity());
                }
                keep
            });
        }
    }
}

impl Shed for PrivilegeRule {
    fn size(&self) -> Size {
        PrivilegeRule::size(self)
    }
    fn bytes(&self) -> usize {
        self.changes.capacity() * size_of::<Change>()
            + self.bursts.len() * entry_bytes::<(String, Burst)>()
            + self.fired.len() * entry_bytes::<((Box<str>, String), i64)>()
            + self.held
    }
    fn ledger(&mut self) -> Option<&mut Ledger> {
        Some(&mut self.ledger)
    }
    fn events(&self) -> usize {
        self.changes.len() + self.bursts.values().map(|b| b.denials.len()).sum::<usize>()
    }

    /// The bursts whose last denial is oldest, the first made first among
    /// those of one instant (changes and fired pairs are few: at most
    /// 1,024 changes).
    fn shed(&mut self, bytes: usize, per_event: usize, _: &mut Book) -> u64 {
        let bursts: Vec<((i64, u64), usize)> = self
            .bursts
            .iter()
            .map(|(k, b)| {
                let events = b.denials.len() * per_event;
                (
                    (b.last, b.serial),
                    entry_bytes::<(String, Burst)>() + b.heap_bytes(k) + events,
                )
            })
            .collect();
        let Some(cut) = oldest_worth(bursts, bytes) else {
            return 0;
        };
        let mut go = dropper(cut);
        let held = &mut self.held;
        let before = self.bursts.len();
        self.bursts.retain(|k, b| {
            let go = go((b.last, b.serial));
            if go {
                less(held, b.heap_bytes(k));
            }
            !go
        });
        let gone = (before - self.bursts.len()) as u64;
        self.evictions += gone;
        gone
    }
}

mod burst;
use burst::{segment, Alerted, Denial};

#[cfg(test)]
mod tests;
