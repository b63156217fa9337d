//! The severity table ([`SeverityPolicy`]) answered once per distinct
//! value: for a reader that classifies many events on one thread
//! (`investigate`, BENCHMARKS.md "investigate").
//!
//! Most of the table's cost is its globs on the method name, tried rule
//! after rule for every event (`*Create*`, `*Delete*`, …), while an audit
//! log holds a few dozen distinct method names. Here each [`Field`] keeps,
//! per value seen, the set of rules whose condition on it holds (a bit per
//! rule); an event then costs one lookup per field the table reads instead
//! of every glob. The answer is [`SeverityPolicy::classify`]'s: the same
//! rules in the same order, only the glob answers are remembered.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::rule::Field;
use super::severity::SeverityPolicy;
use crate::event::{Enrichment, Severity};

/// Values remembered per field; past this (a table on principals or
/// resource names over a huge log) new values are answered without being
/// remembered.
const MAX_VALUES: usize = 4096;

/// The maps' hasher: the values are short names, mixed a word (8 bytes)
/// at a time.
#[derive(Default)]
struct WordHash(u64);

impl Hasher for WordHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mix = |h: u64, w: u64| {
            let h = (h ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            h ^ (h >> 29)
        };
        let mut h = self.0;
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            h = mix(h, u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            h = mix(h, u64::from_le_bytes(last) ^ ((rest.len() as u64) << 56));
        }
        self.0 = h;
    }
}

/// One field's answers.
struct FieldMemo {
    /// Value → the rules whose condition on the field holds for it.
    known: HashMap<Box<str>, u64, BuildHasherDefault<WordHash>>,
    /// The rules whose condition holds when the event has no such value.
    none: u64,
}

/// [`SeverityPolicy::classify`] with the glob answers remembered. One per
/// thread (it learns as it goes).
pub struct SeverityMemo<'p> {
    policy: &'p SeverityPolicy,
    /// Per rule, the fields it has globs on (bit `Field as usize`);
    /// `None` when the table has more rules than a `u64` has bits (then
    /// nothing is remembered).
    uses: Option<Vec<u8>>,
    fields: [FieldMemo; Field::ALL.len()],
}

impl<'p> SeverityMemo<'p> {
    pub fn new(policy: &'p SeverityPolicy) -> SeverityMemo<'p> {
        let rules = policy.rules();
        let uses = (rules.len() <= 64).then(|| {
            rules
                .iter()
                .map(|(r, _)| {
                    Field::ALL
                        .iter()
                        .filter(|&&f| !r.globs(f).is_empty())
                        .fold(0u8, |m, &f| m | 1 << f as u8)
                })
                .collect()
        });
        let fields = Field::ALL.map(|f| FieldMemo {
            known: HashMap::default(),
            none: mask_of(policy, f, None),
        });
        SeverityMemo {
            policy,
            uses,
            fields,
        }
    }

    /// The severity [`SeverityPolicy::classify`] gives `e`.
    pub fn classify(&mut self, e: &Enrichment) -> Severity {
        let Some(uses) = &self.uses else {
            return self.policy.classify(e);
        };
        // Each field's answer, read at most once per event, when a rule
        // that passed its other conditions needs it.
        let mut masks = [None::<u64>; Field::ALL.len()];
        for (i, ((rule, severity), &used)) in self.policy.rules().iter().zip(uses).enumerate() {
            if !rule.matches_flags(e) {
                continue;
            }
            let holds = Field::ALL.iter().all(|&f| {
                used & (1 << f as u8) == 0 || {
                    let m = masks[f as usize].get_or_insert_with(|| {
                        field_mask(self.policy, &mut self.fields[f as usize], f, e)
                    });
                    *m & (1 << i) != 0
                }
            });
            if holds && rule.matches_crn(e) {
                return *severity;
            }
        }
        Severity::Info
    }
}

/// The rules whose condition on `f` holds for `e` (for the resource name:
/// for either of its two values).
fn field_mask(policy: &SeverityPolicy, memo: &mut FieldMemo, f: Field, e: &Enrichment) -> u64 {
    let [a, b] = f.values(e);
    let mut one = |v: Option<&str>| match v {
        None => memo.none,
        Some(v) => match memo.known.get(v) {
            Some(&m) => m,
            None => {
                let m = mask_of(policy, f, Some(v));
                if memo.known.len() < MAX_VALUES {
                    memo.known.insert(v.into(), m);
                }
                m
            }
        },
    };
    let m = one(a);
    if f == Field::ResourceName {
        m | one(b)
    } else {
        m
    }
}

fn mask_of(policy: &SeverityPolicy, f: Field, v: Option<&str>) -> u64 {
    policy
        .rules()
        .iter()
        .enumerate()
        .filter(|(_, (r, _))| r.field_holds(f, v))
        .fold(0, |m, (i, _)| m | 1 << i)
}

#[cfg(test)]
mod tests;
