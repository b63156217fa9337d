//! [`super::SeverityPolicy::classify`]'s fast path: the table's flag
//! conditions as bit masks made once per table ([`Plan`]), and the glob
//! answers for recent values remembered per thread.
//!
//! The table runs for every event, and most of its cost was globs on the
//! method name tried rule after rule (BENCHMARKS.md, "Core", session 8).
//! Here a rule is a bit: the rules whose flag conditions hold come from one
//! table lookup, then each field that a remaining rule reads narrows them
//! with the set of rules whose condition on that field holds, remembered
//! per value; the first rule left (and whose CRN conditions hold) wins, as
//! in the table. The memory is per thread (a `Processor` is shared, and
//! `detect` and `investigate` enrich with it too) and fixed:
//! per field, 64 slots of values up to 64 bytes, one slot per value picked
//! from its length and three of its bytes. A value that does not fit, or
//! that finds its slot taken by another, is answered from the globs (and
//! takes the slot), so the work per event stays bounded whatever values
//! an event stream holds.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use super::rule::{Field, Rule};
use crate::event::{Enrichment, Severity, Verdict};

const SLOTS: usize = 64;
const MAX_LEN: usize = 64;
const VERDICTS: [Verdict; 5] = [
    Verdict::Allowed,
    Verdict::Denied,
    Verdict::Success,
    Verdict::Failure,
    Verdict::Unknown,
];

/// A table's rules as bit masks (bit `i`: rule `i`). Tables of more than
/// 64 rules have none and are tried rule by rule.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// Tells one table's remembered answers from another's on a thread.
    id: u64,
    /// Index [`flag_index`]: the rules whose failed-auth, request-failed
    /// and verdict conditions hold.
    flags: [u64; 20],
    /// Rules with severity bounds (filter rules only; asked directly).
    bounded: u64,
    /// The rules with globs on any field.
    reads: u64,
    /// The fields some rule has globs on, with those rules, in
    /// [`Field::ALL`]'s order: the only fields [`Plan::narrow`] asks.
    read: Vec<(Field, u64)>,
    /// Rules with `crn.KEY` conditions.
    crn: u64,
}

fn flag_index(failed_auth: bool, request_failed: bool, verdict: Verdict) -> usize {
    let v = match verdict {
        Verdict::Allowed => 0,
        Verdict::Denied => 1,
        Verdict::Success => 2,
        Verdict::Failure => 3,
        Verdict::Unknown => 4,
    };
    (usize::from(failed_auth) * 2 + usize::from(request_failed)) * 5 + v
}

fn mask(rules: &[(Rule, Severity)], holds: impl Fn(&Rule) -> bool) -> u64 {
    rules
        .iter()
        .enumerate()
        .filter(|(_, (r, _))| holds(r))
        .fold(0, |m, (i, _)| m | 1 << i)
}

impl Plan {
    pub(super) fn new(rules: &[(Rule, Severity)]) -> Option<Plan> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        if rules.len() > 64 {
            return None;
        }
        let mut flags = [0; 20];
        for fa in [false, true] {
            for rf in [false, true] {
                for v in VERDICTS {
                    flags[flag_index(fa, rf, v)] = mask(rules, |r| r.flags_hold(fa, rf, v));
                }
            }
        }
        let users = Field::ALL.map(|f| mask(rules, |r| !r.globs(f).is_empty()));
        Some(Plan {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            flags,
            bounded: mask(rules, Rule::bounds_severity),
            reads: users.iter().fold(0, |m, u| m | u),
            read: Field::ALL
                .into_iter()
                .map(|f| (f, users[f as usize]))
                .filter(|&(_, u)| u != 0)
                .collect(),
            crn: mask(rules, |r| !r.crn_holds_always()),
        })
    }

    /// The severity of the first rule of `rules` (this plan's table)
    /// that `e` matches.
    pub(super) fn classify(&self, rules: &[(Rule, Severity)], e: &Enrichment) -> Severity {
        let mut candidates = self.flags[flag_index(e.failed_auth, e.request_failed, e.verdict)];
        let mut bounded = candidates & self.bounded;
        while bounded != 0 {
            let i = bounded.trailing_zeros() as usize;
            if !rules[i].0.matches_flags(e) {
                candidates &= !(1 << i);
            }
            bounded &= bounded - 1;
        }
        if candidates & self.reads != 0 {
            candidates = MEMORY.with(|m| match m.try_borrow_mut() {
                Ok(mut m) => {
                    let m = m.get_or_insert_with(Memory::new);
                    if m.id != self.id {
                        m.forget(self.id);
                    }
                    self.narrow(rules, candidates, e, Some(m))
                }
                // Only if classifying re-entered itself on this thread.
                Err(_) => self.narrow(rules, candidates, e, None),
            });
        }
        while candidates != 0 {
            let i = candidates.trailing_zeros() as usize;
            let (rule, severity) = &rules[i];
            if self.crn & 1 << i == 0 || rule.matches_crn(e) {
                return *severity;
            }
            candidates &= candidates - 1;
        }
        Severity::Info
    }

    /// `candidates` less the rules whose condition on some field fails.
    fn narrow(
        &self,
        rules: &[(Rule, Severity)],
        mut candidates: u64,
        e: &Enrichment,
        mut memory: Option<&mut Memory>,
    ) -> u64 {
        for &(f, users) in &self.read {
            if candidates & users == 0 {
                continue;
            }
            let mut one = |v: Option<&str>| match v {
                None => !users,
                Some(v) => match memory.as_deref_mut() {
                    Some(m) => m.recall(f, v, || holding(rules, f, v)),
                    None => holding(rules, f, v),
                },
            };
            let [a, b] = f.values(e);
            let m = one(a);
            candidates &= if f == Field::ResourceName {
                m | one(b)
            } else {
                m
            };
            if candidates == 0 {
                break;
            }
        }
        candidates
    }
}

/// The rules whose condition on `f` holds for the value `v`.
fn holding(rules: &[(Rule, Severity)], f: Field, v: &str) -> u64 {
    mask(rules, |r| r.field_holds(f, Some(v)))
}

thread_local! {
    static MEMORY: RefCell<Option<Box<Memory>>> = const { RefCell::new(None) };
}

/// One value's answer.
#[derive(Clone, Copy)]
struct Slot {
    /// The value's length; `u8::MAX` when the slot is free.
    len: u8,
    bytes: [u8; MAX_LEN],
    rules: u64,
}

const FREE: Slot = Slot {
    len: u8::MAX,
    bytes: [0; MAX_LEN],
    rules: 0,
};

/// A thread's remembered answers, for the table `id` (about 40 KB).
struct Memory {
    id: u64,
    fields: [[Slot; SLOTS]; Field::ALL.len()],
}

impl Memory {
    fn new() -> Box<Memory> {
        Box::new(Memory {
            id: 0,
            fields: [[FREE; SLOTS]; Field::ALL.len()],
        })
    }

    fn forget(&mut self, id: u64) {
        self.id = id;
        for field in &mut self.fields {
            for slot in field.iter_mut() {
                slot.len = u8::MAX;
            }
        }
    }

    /// `v`'s answer on `f`: remembered, or `answer()` (then remembered
    /// when it fits).
    #[inline]
    fn recall(&mut self, f: Field, v: &str, answer: impl FnOnce() -> u64) -> u64 {
        let b = v.as_bytes();
        if b.len() > MAX_LEN {
            return answer();
        }
        let slot = &mut self.fields[f as usize][slot_of(b)];
        if usize::from(slot.len) == b.len() && &slot.bytes[..b.len()] == b {
            return slot.rules;
        }
        let rules = answer();
        slot.len = b.len() as u8;
        slot.bytes[..b.len()].copy_from_slice(b);
        slot.rules = rules;
        rules
    }
}

/// The slot for a value of at most [`MAX_LEN`] bytes: from its length and
/// its first, middle and last bytes (method names of one service share a
/// prefix; resource names a prefix or a suffix).
fn slot_of(b: &[u8]) -> usize {
    let n = b.len();
    let Some(&last) = b.last() else {
        return 0;
    };
    let h = (n as u32) ^ u32::from(b[0]) << 8 ^ u32::from(b[n / 2]) << 16 ^ u32::from(last) << 24;
    (h.wrapping_mul(0x9e37_79b9) >> 26) as usize
}
