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

use super::rule::Field;
use super::severity::SeverityPolicy;
use crate::event::{Enrichment, Severity};
use crate::hash::WordMap;

/// Values remembered per field; past this (a table on principals or
/// resource names over a huge log) new values are answered without being
/// remembered.
const MAX_VALUES: usize = 4096;

/// One field's answers.
struct FieldMemo {
    /// Value → the rules whose condition on the field holds for it.
    known: WordMap<Box<str>, u64>,
    /// The rules whose condition holds when the event has no such value.
    none: u64,
}

/// [`SeverityPolicy::classify`] with the glob answers remembered. One per
/// thread (it learns as it goes).
pub struct SeverityMemo<'p> {
    policy: &'p SeverityPolicy,
    /// Per field (index `Field as usize`), the rules with globs on it (bit
    /// `i`: rule `i`); `None` when the table has more rules than a `u64`
    /// has bits (then nothing is remembered).
    users: Option<[u64; Field::ALL.len()]>,
    fields: [FieldMemo; Field::ALL.len()],
}

impl<'p> SeverityMemo<'p> {
    pub fn new(policy: &'p SeverityPolicy) -> SeverityMemo<'p> {
        let rules = policy.rules();
        let users = (rules.len() <= 64).then(|| {
            Field::ALL.map(|f| {
                rules
                    .iter()
                    .enumerate()
                    .filter(|(_, (r, _))| !r.globs(f).is_empty())
                    .fold(0, |m, (i, _)| m | 1 << i)
            })
        });
        let fields = Field::ALL.map(|f| FieldMemo {
            known: WordMap::default(),
            none: if users.is_some() {
                mask_of(policy, f, None)
            } else {
                0
            },
        });
        SeverityMemo {
            policy,
            users,
            fields,
        }
    }

    /// The severity [`SeverityPolicy::classify`] gives `e`.
    pub fn classify(&mut self, e: &Enrichment) -> Severity {
        let Some(users) = &self.users else {
            return self.policy.classify(e);
        };
        let rules = self.policy.rules();
        // The rules whose conditions hold so far: first the flags…
        let mut candidates = rules
            .iter()
            .enumerate()
            .filter(|(_, (r, _))| r.matches_flags(e))
            .fold(0u64, |m, (i, _)| m | 1 << i);
        // …then each field some candidate reads, one lookup each…
        for f in Field::ALL {
            if candidates & users[f as usize] != 0 {
                candidates &= field_mask(self.policy, &mut self.fields[f as usize], f, e);
            }
        }
        // …then, in the table's order, the CRN conditions.
        while candidates != 0 {
            let i = candidates.trailing_zeros() as usize;
            let (rule, severity) = &rules[i];
            if rule.matches_crn(e) {
                return *severity;
            }
            candidates &= candidates - 1;
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
