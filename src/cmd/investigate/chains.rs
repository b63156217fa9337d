//! Attack chains: events grouped by client (source address, client id,
//! connection id), with bounded memory. At most `max_chains` clients are
//! held (when full, the least notable tenth is forgotten and counted);
//! each keeps its first `max_steps` events, and past that a notable event
//! (denied, failed login, privilege change) replaces a routine one.
//!
//! At the end, a client's logins that carry no client id (Kafka
//! authentications do not) are merged into the one identified client of
//! the same address, when there is exactly one.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::event::time::format_rfc3339_nanos;

use super::counters::TopK;
use super::model::{Chain, ClientKey, Count, Step};
use super::observed::{Observed, Outcome};

/// One kept event.
#[derive(Debug, Clone)]
struct Kept {
    time: i64,
    correlation: Option<u64>,
    notable: bool,
    step: Step,
}

/// One client's chain while reading.
#[derive(Debug, Clone)]
struct ChainState {
    key: ClientKey,
    principals: Vec<String>,
    first: i64,
    last: i64,
    events: u64,
    denied: u64,
    granted: u64,
    auth_failed: u64,
    auth_succeeded: u64,
    privilege_changes: u64,
    merged: u64,
    operations: TopK,
    resources: TopK,
    kept: Vec<Kept>,
    omitted: u64,
}

impl ChainState {
    /// How notable: refusals and privilege changes first, then size.
    fn score(&self) -> u64 {
        (self.denied + self.auth_failed + self.privilege_changes) * 1_000 + self.events.min(999)
    }

    fn merge(&mut self, o: ChainState) {
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
        self.events += o.events;
        self.denied += o.denied;
        self.granted += o.granted;
        self.auth_failed += o.auth_failed;
        self.auth_succeeded += o.auth_succeeded;
        self.privilege_changes += o.privilege_changes;
        self.merged += o.events;
        for p in o.principals {
            if !self.principals.contains(&p) && self.principals.len() < MAX_PRINCIPALS {
                self.principals.push(p);
            }
        }
        for c in o.operations.top(usize::MAX) {
            self.operations.add_n(&c.value, c.count);
        }
        for c in o.resources.top(usize::MAX) {
            self.resources.add_n(&c.value, c.count);
        }
        self.kept.extend(o.kept);
        self.omitted += o.omitted;
    }
}

const MAX_PRINCIPALS: usize = 8;
const MAX_VALUES: usize = 64;

/// Every client's chain.
#[derive(Debug)]
pub struct ChainBook {
    chains: HashMap<u64, ChainState>,
    max_chains: usize,
    max_steps: usize,
    pub dropped: u64,
    pub total: u64,
}

fn key_hash(o: &Observed<'_>) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (o.source_ip, o.client_id, o.connection_id.as_deref()).hash(&mut h);
    h.finish()
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

impl ChainBook {
    pub fn new(max_chains: usize, max_steps: usize) -> ChainBook {
        ChainBook {
            chains: HashMap::new(),
            max_chains: max_chains.max(1),
            max_steps: max_steps.max(1),
            dropped: 0,
            total: 0,
        }
    }

    /// Adds one event in focus.
    pub fn add(&mut self, o: &Observed<'_>) {
        if o.source_ip.is_none() && o.client_id.is_none() && o.connection_id.is_none() {
            return; // no client to follow
        }
        let h = key_hash(o);
        if !self.chains.contains_key(&h) {
            if self.chains.len() >= self.max_chains {
                self.forget();
            }
            self.total += 1;
            self.chains.insert(
                h,
                ChainState {
                    key: ClientKey {
                        source_ip: owned(o.source_ip),
                        client_id: owned(o.client_id),
                        connection_id: o.connection_id.clone(),
                    },
                    principals: Vec::new(),
                    first: o.time,
                    last: o.time,
                    events: 0,
                    denied: 0,
                    granted: 0,
                    auth_failed: 0,
                    auth_succeeded: 0,
                    privilege_changes: 0,
                    merged: 0,
                    operations: TopK::new(MAX_VALUES),
                    resources: TopK::new(MAX_VALUES),
                    kept: Vec::new(),
                    omitted: 0,
                },
            );
        }
        let c = self.chains.get_mut(&h).expect("inserted above");
        c.first = c.first.min(o.time);
        c.last = c.last.max(o.time);
        c.events += 1;
        match o.outcome {
            Outcome::Denied => c.denied += 1,
            Outcome::Granted => c.granted += 1,
            Outcome::AuthFailed => c.auth_failed += 1,
            Outcome::AuthSucceeded => c.auth_succeeded += 1,
            Outcome::Other(_) => {}
        }
        c.privilege_changes += o.privilege_change as u64;
        if let Some(p) = o.principal {
            if c.principals.len() < MAX_PRINCIPALS && !c.principals.iter().any(|x| x == p) {
                c.principals.push(p.to_owned());
            }
        }
        if let Some(op) = o.operation {
            c.operations.add(op);
        }
        if let Some(r) = o.resource_label() {
            c.resources.add(&r);
        }
        let notable = o.outcome.refused() || o.privilege_change;
        if c.kept.len() < self.max_steps {
            c.kept.push(kept(o, notable));
        } else if let (true, Some(i)) = (notable, c.kept.iter().position(|k| !k.notable)) {
            c.kept.remove(i);
            c.kept.push(kept(o, notable));
            c.omitted += 1;
        } else {
            c.omitted += 1;
        }
    }

    /// Forgets the least notable tenth of the chains.
    fn forget(&mut self) {
        let mut scores: Vec<(u64, i64, u64)> = self
            .chains
            .iter()
            .map(|(h, c)| (c.score(), c.last, *h))
            .collect();
        scores.sort_unstable();
        let n = (scores.len() / 10).max(1);
        for (_, _, h) in &scores[..n] {
            self.chains.remove(h);
        }
        self.dropped += n as u64;
    }

    /// The `n` most notable chains, merged, ranked and ordered.
    pub fn finish(self, n: usize) -> Vec<Chain> {
        let (mut anonymous, mut named): (Vec<ChainState>, Vec<ChainState>) = self
            .chains
            .into_values()
            .partition(|c| c.key.client_id.is_none() && c.key.connection_id.is_none());
        anonymous.retain_mut(|a| {
            let mut same = named
                .iter_mut()
                .filter(|c| c.key.source_ip == a.key.source_ip);
            match (same.next(), same.next()) {
                (Some(only), None) => {
                    only.merge(a.clone());
                    false
                }
                _ => true,
            }
        });
        let mut all = named;
        all.extend(anonymous);
        all.sort_by(|a, b| {
            b.score()
                .cmp(&a.score())
                .then(a.first.cmp(&b.first))
                .then_with(|| a.key.cmp(&b.key))
        });
        all.truncate(n);
        all.into_iter()
            .enumerate()
            .map(|(i, c)| report(i, c))
            .collect()
    }
}

fn kept(o: &Observed<'_>, notable: bool) -> Kept {
    let e = o.e;
    let kind = e.event_type().rsplit('/').next().unwrap_or("").to_owned();
    Kept {
        time: o.time,
        correlation: e.correlation_id().and_then(|c| c.parse().ok()),
        notable,
        step: Step {
            time: format_rfc3339_nanos(o.time),
            id: e.event_id().to_owned(),
            kind,
            outcome: o.outcome.as_str().to_owned(),
            principal: owned(o.principal),
            method: owned(e.method()),
            operation: owned(e.operation()),
            resource: o.resource_label(),
            resource_crn: owned(o.resource_crn),
            correlation_id: owned(e.correlation_id()),
            client_id: owned(o.client_id),
            source_ip: owned(o.source_ip),
            severity: e.severity.as_str().to_owned(),
            kafka: e
                .kafka()
                .map(|k| format!("{}/{}@{}", k.topic, k.partition, k.offset)),
        },
    }
}

fn report(i: usize, mut c: ChainState) -> Chain {
    c.kept.sort_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then(a.correlation.cmp(&b.correlation))
            .then_with(|| a.step.id.cmp(&b.step.id))
    });
    let top = |t: &TopK| -> Vec<Count> { t.top(MAX_VALUES) };
    Chain {
        id: format!("chain-{}", i + 1),
        client: c.key,
        merged_authentications: c.merged,
        principals: c.principals,
        first_time: format_rfc3339_nanos(c.first),
        last_time: format_rfc3339_nanos(c.last),
        events: c.events,
        denied: c.denied,
        granted: c.granted,
        auth_failed: c.auth_failed,
        auth_succeeded: c.auth_succeeded,
        operations: top(&c.operations),
        resources: top(&c.resources),
        alerts: Vec::new(),
        steps: c.kept.into_iter().map(|k| k.step).collect(),
        steps_omitted: c.omitted,
    }
}
