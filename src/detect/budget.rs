//! The rules' state held to `[detect] max_state_bytes`. Each rule keeps
//! an estimate of its bytes ([`super::weigh`]), and the event copies
//! they keep are counted once, in the detector's ledger; every sweep
//! (each 4,096 events) the detector sums them and, when the sum is over
//! the bound:
//!
//! 1. has `new_source_ip` decide now the oldest events that wait for the
//!    watermark, for up to all the bytes over nine tenths of the bound
//!    (as a shed did before, for its share): nothing is lost but the
//!    order of an older event of the same group still to come;
//! 2. if still over, has each rule shed groups, in proportion to its
//!    weight (its bytes and its part of the events it shares), down to
//!    nine tenths of the bound (so that a flood does not shed at every
//!    sweep). A pointer to a shared event weighs the ledger's bytes per
//!    pointer held. Within a rule, the groups least on their way to an alert go
//!    first (a count group with fewer hits, a sequence group with fewer
//!    first steps), and among those the least recently touched.
//!
//! Shed groups count as evictions; a warning says so at most once a
//! minute. Between two sweeps the state can grow past the bound by what
//! 4,096 events add.

use std::time::{Duration, Instant};

use super::build::{Custom, Rules};
use super::weigh::{Ledger, Shed};
use super::Detector;

/// At most one warning about shedding this often.
const WARN_EVERY: Duration = Duration::from_secs(60);
/// Passes over the rules per sweep at most (one nearly always does: a
/// rule sheds at least its share, unless it has nothing left to shed).
const PASSES: usize = 4;

/// Shedding not yet reported in a warning.
#[derive(Debug, Default)]
pub(super) struct ShedLog {
    warned: Option<Instant>,
    groups: u64,
    sheds: u64,
}

impl Rules {
    /// Every rule's state that has a weight.
    fn weighed(&mut self) -> Vec<&mut dyn Shed> {
        let mut v: Vec<&mut dyn Shed> = Vec::new();
        for c in [
            &mut self.bruteforce_ip,
            &mut self.bruteforce_id,
            &mut self.burst,
        ]
        .into_iter()
        .flatten()
        {
            v.push(c);
        }
        for s in [&mut self.logins, &mut self.denied_granted]
            .into_iter()
            .flatten()
        {
            v.push(s);
        }
        if let Some((n, _)) = &mut self.new_ip {
            v.push(n);
        }
        if let Some(p) = &mut self.privilege {
            v.push(p);
        }
        for c in &mut self.custom {
            v.push(match c {
                Custom::Count(r, _) => r,
                Custom::Sequence(r, _) => r,
                Custom::New(r, _) => r,
            });
        }
        v
    }

    /// The same rules as [`Rules::weighed`], shared.
    pub(super) fn each(&self) -> Vec<&dyn Shed> {
        let mut v: Vec<&dyn Shed> = Vec::new();
        for c in [&self.bruteforce_ip, &self.bruteforce_id, &self.burst]
            .into_iter()
            .flatten()
        {
            v.push(c);
        }
        for s in [&self.logins, &self.denied_granted].into_iter().flatten() {
            v.push(s);
        }
        if let Some((n, _)) = &self.new_ip {
            v.push(n);
        }
        if let Some(p) = &self.privilege {
            v.push(p);
        }
        for c in &self.custom {
            v.push(match c {
                Custom::Count(r, _) => r,
                Custom::Sequence(r, _) => r,
                Custom::New(r, _) => r,
            });
        }
        v
    }

    /// The estimate of the rules' state, in bytes: theirs, and the event
    /// copies they keep, counted once.
    pub fn state_bytes(&self) -> usize {
        self.each().iter().map(|r| r.bytes()).sum::<usize>() + self.ledger.bytes()
    }

    /// Has every rule count the events it keeps in the one ledger.
    pub(super) fn share_ledger(&mut self) {
        let ledger: Ledger = self.ledger.clone();
        for r in self.weighed() {
            if let Some(l) = r.ledger() {
                *l = ledger.clone();
            }
        }
    }
}

impl Detector {
    /// Sheds state while it is over `max_state_bytes` (see the module).
    pub(super) fn keep_to_budget(&mut self) {
        let bound = self.rules.max_state_bytes;
        let before = self.rules.state_bytes();
        if before <= bound {
            return;
        }
        let target = bound - bound / 10;
        // The events of the last alert (the ledger counts a copy until its
        // last holder lets it go).
        self.used.clear();
        let book = &mut self.book;
        let ledger = self.rules.ledger.clone();
        // Text that the copies shed held alone goes with them.
        let interner = &self.interner;
        let purge = || interner.purge();
        let mut rules = self.rules.weighed();
        let sum = |rules: &[&mut dyn Shed]| -> usize {
            rules.iter().map(|r| r.bytes()).sum::<usize>() + ledger.bytes()
        };
        let over = sum(&rules).saturating_sub(target);
        rules.iter_mut().for_each(|r| r.trim(over, book));
        purge();
        let (mut total, mut groups) = (sum(&rules), 0);
        for _ in 0..PASSES {
            if total <= bound {
                break;
            }
            let need = total - target;
            // Each pointer to a shared event answers for an even part of
            // the ledger's bytes.
            let events: Vec<usize> = rules.iter().map(|r| r.events()).collect();
            let per_event = ledger.bytes() / events.iter().sum::<usize>().max(1);
            let weights: Vec<usize> = rules
                .iter()
                .zip(&events)
                .map(|(r, e)| r.held() + e * per_event)
                .collect();
            let all = weights.iter().sum::<usize>().max(1);
            for (r, w) in rules.iter_mut().zip(weights) {
                let share = (need as u128 * w as u128).div_ceil(all as u128);
                groups += r.shed(share as usize, per_event, book);
            }
            purge();
            let after = sum(&rules);
            let stuck = after >= total;
            total = after;
            if total <= target || stuck {
                break;
            }
        }
        if groups == 0 {
            return;
        }
        self.shed_log.groups += groups;
        self.shed_log.sheds += 1;
        let now = Instant::now();
        if self
            .shed_log
            .warned
            .is_some_and(|t| now.duration_since(t) < WARN_EVERY)
        {
            return;
        }
        // Counts and sizes only: group keys hold principals and addresses.
        tracing::warn!(
            max_state_bytes = bound,
            state_bytes_before = before,
            state_bytes_after = total,
            groups_shed = self.shed_log.groups,
            sheds = self.shed_log.sheds,
            "detection state over max_state_bytes: groups were forgotten, those least on \
             their way to an alert and least recently touched first (counted in \
             siem_bridge_detect_evictions_total); incidents whose groups went can be missed"
        );
        self.shed_log = ShedLog {
            warned: Some(now),
            ..ShedLog::default()
        };
    }
}
