//! New-value rules: a group (a principal) shows a value it has not shown
//! before — `new_source_ip` (the value is the address's /24 or /64
//! network) and user-defined `new_value` rules.
//!
//! A group seen for the first time learns its value silently: novelty
//! needs history. Values are forgotten `ttl` after they were last seen
//! (event time), and each group keeps at most [`MAX_VALUES`] of them.
//!
//! "First" is decided in event time, not arrival order: an event whose
//! value the group does not know yet waits until the watermark passes it
//! ([`NoveltyRule::advance`]), and waiting events are decided oldest
//! first. Otherwise an attacker's event read from one partition before
//! the principal's usual traffic from another would be learnt as history
//! and the usual network reported as new. A known value is refreshed at
//! once (order does not matter there), so only new values wait: the
//! alert comes the allowed lateness after its event.

use std::collections::{BTreeMap, VecDeque};
use std::mem::size_of;
use std::net::IpAddr;
use std::sync::Arc;

use super::alert::{Alert, EventRef};
use super::book::Book;
use super::hash::FastMap;
use super::state::{Keyed, Size};
use super::weigh::{less, Ledger, Tally, Weigh};
use crate::event::Severity;

/// Most values remembered per group; the least recently seen go first.
pub const MAX_VALUES: usize = 64;

/// A new-value rule.
pub struct NoveltyRule {
    pub name: &'static str,
    pub severity: Severity,
    pub ttl: i64,
    pub describe: fn(&Alert, &str, usize) -> String,
    /// Put before a group's key in the alert's group key (`principal=`
    /// for `new_source_ip`, whose groups are keyed by the bare principal).
    pub prefix: &'static str,
    groups: Keyed<String, Known>,
    /// Events with a value new to their group, by (time, arrival).
    waiting: Queue,
    /// The estimate of `waiting`'s bytes ([`waiting_bytes`]).
    waiting_held: usize,
    arrivals: u64,
    /// Counts the kept events (the detector's, shared by its rules).
    pub ledger: Ledger,
}

/// An event waiting for the watermark: its group's key, its value, the
/// event, and its bytes ([`waiting_bytes`], kept so that taking it out
/// costs no second count).
type Waiting = (String, String, Arc<EventRef>, usize);

/// Events waiting for the watermark, by (time, arrival). Most come in
/// time order (a stream is mostly in order, and every event of a group not
/// seen before waits: all of a stream's first seconds): those go to the
/// back of a queue, the others to an ordered map, and the next is the
/// smaller of the two fronts. A `BTreeMap` alone cost an insert and a
/// removal per waiting event (BENCHMARKS.md, "Detector").
#[derive(Default)]
struct Queue {
    /// In (time, arrival) order: each pushed at or after the time of the
    /// one before it (arrivals only grow).
    in_order: VecDeque<((i64, u64), Waiting)>,
    out_of_order: BTreeMap<(i64, u64), Waiting>,
}

impl Queue {
    fn insert(&mut self, at: (i64, u64), w: Waiting) {
        if self.in_order.back().is_none_or(|(last, _)| *last <= at) {
            self.in_order.push_back((at, w));
        } else {
            self.out_of_order.insert(at, w);
        }
    }

    /// The (time, arrival) of the next to decide.
    fn first(&self) -> Option<(i64, u64)> {
        let a = self.in_order.front().map(|(at, _)| *at);
        let b = self.out_of_order.first_key_value().map(|(at, _)| *at);
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn pop_first(&mut self) -> Option<Waiting> {
        let front = self.in_order.front().map(|(at, _)| *at);
        match (front, self.out_of_order.first_key_value()) {
            (Some(a), Some((b, _))) if *b < a => self.out_of_order.pop_first().map(|(_, w)| w),
            (Some(_), _) => self.in_order.pop_front().map(|(_, w)| w),
            (None, _) => self.out_of_order.pop_first().map(|(_, w)| w),
        }
    }

    fn len(&self) -> usize {
        self.in_order.len() + self.out_of_order.len()
    }
}

/// A group's values, with the time each was last seen.
#[derive(Debug, Default)]
struct Known {
    values: Vec<(String, i64)>,
    /// Heap bytes of the values' text.
    text: Tally,
}

impl Weigh for Known {
    fn heap_bytes(&self) -> usize {
        debug_assert_eq!(
            self.text.get(),
            self.values.iter().map(|(v, _)| v.capacity()).sum::<usize>(),
            "a change not counted"
        );
        self.values.capacity() * size_of::<(String, i64)>() + self.text.get()
    }
}

/// One waiting event's bytes: its entry in the queue or the B-tree (both
/// counted two thirds full), its key and value (its event is shared,
/// counted by the [`Ledger`]).
fn waiting_bytes(w: &Waiting) -> usize {
    size_of::<((i64, u64), Waiting)>() * 3 / 2 + w.0.capacity() + w.1.capacity()
}

/// Most events waiting for the watermark; beyond it the oldest are
/// decided at once.
const MAX_WAITING: usize = 100_000;

impl NoveltyRule {
    pub fn new(
        name: &'static str,
        severity: Severity,
        ttl: i64,
        max_keys: usize,
        describe: fn(&Alert, &str, usize) -> String,
    ) -> NoveltyRule {
        NoveltyRule {
            name,
            severity,
            ttl,
            describe,
            prefix: "",
            groups: Keyed::new(max_keys),
            waiting: Queue::default(),
            waiting_held: 0,
            arrivals: 0,
            ledger: Ledger::default(),
        }
    }

    pub fn size(&self) -> Size {
        self.groups.size()
    }

    /// Offers `value` for `key`: a known value is refreshed now; a new
    /// one waits for the watermark (decided at once when already behind
    /// it).
    /// `event` (at `t`) is made only when the value is new.
    pub fn offer(
        &mut self,
        key: &str,
        value: &str,
        t: i64,
        event: impl FnOnce() -> Arc<EventRef>,
        watermark: i64,
        book: &mut Book,
    ) {
        // Only a value's time changes here (`touch`: no weighing).
        if let Some(known) = self.groups.touch(key, t) {
            if let Some(slot) = known.values.iter_mut().find(|(v, _)| v == value) {
                slot.1 = slot.1.max(t);
                return;
            }
        }
        let e = event();
        if t <= watermark {
            self.decide(key, value, &e, book);
            return;
        }
        self.arrivals += 1;
        e.count_in(&self.ledger);
        let mut w = (key.to_owned(), value.to_owned(), e, 0);
        w.3 = waiting_bytes(&w);
        self.waiting_held += w.3;
        self.waiting.insert((t, self.arrivals), w);
        if self.waiting.len() > MAX_WAITING {
            self.decide_oldest(book);
        }
    }

    /// Decides the oldest waiting event now; false when none waits.
    fn decide_oldest(&mut self, book: &mut Book) -> bool {
        let Some(w) = self.waiting.pop_first() else {
            return false;
        };
        less(&mut self.waiting_held, w.3);
        self.decide(&w.0, &w.1, &w.2, book);
        true
    }

    /// Decides, oldest first, the waiting events at or before `watermark`.
    pub fn advance(&mut self, watermark: i64, book: &mut Book) {
        while self.waiting.first().is_some_and(|(t, _)| t <= watermark) {
            self.decide_oldest(book);
        }
    }

    /// Events waiting for the watermark.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// `value` for `key` in event-time order; true when it was new to a
    /// group with history (and an alert fired).
    fn decide(&mut self, key: &str, value: &str, e: &EventRef, book: &mut Book) -> bool {
        let t = e.time;
        let horizon = t.saturating_sub(self.ttl);
        let mut held = self
            .groups
            .entry(key.to_owned(), t, horizon, Known::default);
        let Known { values, text } = &mut *held;
        values.retain(|(v, seen)| {
            let keep = *seen >= horizon;
            if !keep {
                text.sub(v.capacity());
            }
            keep
        });
        if let Some(slot) = values.iter_mut().find(|(v, _)| v == value) {
            slot.1 = slot.1.max(t);
            return false;
        }
        let had = values.len();
        if values.len() >= MAX_VALUES {
            if let Some(oldest) = (0..values.len()).min_by_key(|&i| values[i].1) {
                let (v, _) = values.swap_remove(oldest);
                text.sub(v.capacity());
            }
        }
        let v = value.to_owned();
        text.add(v.capacity());
        values.push((v, t));
        drop(held);
        if had == 0 {
            return false;
        }
        let group_key = format!("{}{key},value={value}", self.prefix);
        let mut alert = Alert::new(self.name, self.severity, group_key, &[e]);
        alert.summary = (self.describe)(&alert, value, had);
        alert.closed = true;
        book.fire(self.name, alert, 0);
        true
    }
}

/// Addresses → their networks, remembered (most events come from
/// addresses seen before: no parse, no string made for them, one lookup).
#[derive(Debug)]
pub struct Networks {
    pub v4_bits: u8,
    pub v6_bits: u8,
    /// Address → its place in `nets`, `None` for what is not an address.
    known: FastMap<Box<str>, Option<u32>>,
    nets: Vec<Box<str>>,
}

/// Most addresses [`Networks`] remembers; then it starts over.
const KNOWN_ADDRESSES: usize = 8192;

impl Networks {
    pub fn new(v4_bits: u8, v6_bits: u8) -> Networks {
        Networks {
            v4_bits,
            v6_bits,
            known: FastMap::default(),
            nets: Vec::new(),
        }
    }

    /// The network of `ip` (see [`network`]).
    pub fn of(&mut self, ip: &str) -> Option<&str> {
        let at = match self.known.get(ip) {
            Some(&at) => at,
            None => {
                if self.known.len() >= KNOWN_ADDRESSES {
                    self.known.clear();
                    self.nets.clear();
                }
                let at = network(ip, self.v4_bits, self.v6_bits).map(|n| {
                    self.nets.push(n.into());
                    (self.nets.len() - 1) as u32
                });
                self.known.insert(ip.into(), at);
                at
            }
        };
        at.map(|i| &*self.nets[i as usize])
    }
}

/// `addr` with every bit after the first `bits` cleared (`bits` capped
/// at the address's length).
fn masked(addr: IpAddr, bits: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = bits.min(32);
            let mask = u32::MAX.checked_shl(32 - bits as u32).unwrap_or(0);
            IpAddr::V4((u32::from(a) & mask).into())
        }
        IpAddr::V6(a) => {
            let bits = bits.min(128);
            let mask = u128::MAX.checked_shl(128 - bits as u32).unwrap_or(0);
            IpAddr::V6((u128::from(a) & mask).into())
        }
    }
}

/// The network of `ip` at the given prefix lengths, as `a.b.c.0/24`.
pub fn network(ip: &str, v4_bits: u8, v6_bits: u8) -> Option<String> {
    let addr: IpAddr = ip.trim().parse().ok()?;
    let bits = if addr.is_ipv4() {
        v4_bits.min(32)
    } else {
        v6_bits.min(128)
    };
    Some(format!("{}/{bits}", masked(addr, bits)))
}

/// A network written `10.0.0.0/8`, `2001:db8::/32` or as one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, bits) = match s.split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(Cidr { addr, bits })
    }

    pub fn contains(&self, ip: &str) -> bool {
        let Ok(ip) = ip.trim().parse::<IpAddr>() else {
            return false;
        };
        ip.is_ipv4() == self.addr.is_ipv4() && masked(ip, self.bits) == masked(self.addr, self.bits)
    }
}

/// `new_source_ip`'s sentence.
pub fn describe_new_ip(a: &Alert, network: &str, known: usize) -> String {
    format!(
        "{} acted from {} in {network}, a network it has not used before ({known} known).",
        a.principal.as_deref().unwrap_or("(unknown principal)"),
        a.source_ips
            .first()
            .map(String::as_str)
            .unwrap_or("an address"),
    )
}

/// A user-defined new-value rule's sentence.
pub fn describe_custom(a: &Alert, value: &str, known: usize) -> String {
    format!(
        "Rule {}: new value {value} for {} ({known} known before).",
        a.rule,
        a.group_key
            .rsplit_once(",value=")
            .map(|(k, _)| k)
            .unwrap_or(&a.group_key)
    )
}

mod shed;
#[cfg(test)]
mod tests;
