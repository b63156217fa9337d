//! Attack chains: events grouped by client (source address, client id,
//! connection id), with bounded memory. At most `max_chains` clients are
//! held (when full, the least notable tenth is forgotten and counted);
//! each keeps at most `max_steps` events: notable ones (denied, failed
//! login, privilege change) first, and only its first quarter of routine
//! ones; past that a notable event replaces a routine one.
//!
//! At the end, a client's logins that carry no client id (Kafka
//! authentications do not) are merged into the one identified client of
//! the same address, when there is exactly one.

use super::counters::FnvMap as HashMap;

use crate::detect::alert::{fnv1a, FNV_OFFSET};
use crate::event::time::format_rfc3339_nanos;

use super::counters::TopK;
use super::model::{Chain, ClientKey, Count, Step};
use super::observed::{Observed, Outcome};

/// One kept event, compact: its strings in one allocation, separated by
/// [`SEP`] (a step is built from it only for the reported chains).
#[derive(Debug, Clone)]
struct Kept {
    time: i64,
    correlation: Option<u64>,
    notable: bool,
    outcome: &'static str,
    severity: &'static str,
    /// id, kind, principal, method, operation, resource, resource CRN,
    /// correlation id, client id, source address, Kafka place.
    text: Box<str>,
}

const SEP: char = '\u{1f}';

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
    /// Routine events among `kept`.
    routine: usize,
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
        self.routine += o.routine;
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
    let mut h = FNV_OFFSET;
    for part in [o.source_ip, o.client_id, o.connection_id.as_deref()] {
        // A present value and an absent one must differ: a tag first.
        h = fnv1a(h, if part.is_some() { b"\x01" } else { b"\x00" });
        h = fnv1a(h, part.unwrap_or("").as_bytes());
        h = fnv1a(h, b"\x1f");
    }
    h
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

impl ChainBook {
    pub fn new(max_chains: usize, max_steps: usize) -> ChainBook {
        ChainBook {
            chains: HashMap::default(),
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
                    routine: 0,
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
        if let (Some(r), Some(h)) = (o.resource_label(), o.resource_hash()) {
            c.resources.add_hashed(h, r, 1);
        }
        let notable = o.outcome.refused() || o.privilege_change;
        let routine_room = c.routine < (self.max_steps / 4).max(1);
        if c.kept.len() < self.max_steps && (notable || routine_room) {
            c.routine += !notable as usize;
            c.kept.push(kept(o, notable));
        } else if let (true, Some(i)) = (notable, c.kept.iter().position(|k| !k.notable)) {
            c.kept.remove(i);
            c.routine -= 1;
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
        // Address → the one identified chain there (None: several).
        let mut by_ip: HashMap<&str, Option<usize>> = HashMap::default();
        for (i, c) in named.iter().enumerate() {
            if let Some(ip) = c.key.source_ip.as_deref() {
                by_ip.entry(ip).and_modify(|v| *v = None).or_insert(Some(i));
            }
        }
        let mut merges: Vec<(usize, ChainState)> = Vec::new();
        anonymous.retain(
            |a| match a.key.source_ip.as_deref().and_then(|ip| by_ip.get(ip)) {
                Some(Some(i)) => {
                    merges.push((*i, a.clone()));
                    false
                }
                _ => true,
            },
        );
        for (i, a) in merges {
            named[i].merge(a);
        }
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
    let kind = e.event_type().rsplit('/').next().unwrap_or("");
    let kafka = e
        .kafka()
        .map(|k| format!("{}/{}@{}", k.topic, k.partition, k.offset));
    let resource = o.resource_label();
    let mut text = String::with_capacity(256);
    for (i, v) in [
        Some(e.event_id()),
        Some(kind),
        o.principal,
        e.method(),
        e.operation(),
        resource,
        o.resource_crn,
        e.correlation_id(),
        o.client_id,
        o.source_ip,
        kafka.as_deref(),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            text.push(SEP);
        }
        // A separator inside a value would shift the fields: drop it.
        let v = v.unwrap_or("");
        if v.contains(SEP) {
            text.extend(v.chars().filter(|c| *c != SEP));
        } else {
            text.push_str(v);
        }
    }
    Kept {
        time: o.time,
        correlation: e.correlation_id().and_then(|c| c.parse().ok()),
        notable,
        outcome: o.outcome.as_str(),
        severity: e.severity.as_str(),
        text: text.into_boxed_str(),
    }
}

impl Kept {
    fn step(&self) -> Step {
        let mut f = self.text.split(SEP);
        let mut next = || f.next().filter(|v| !v.is_empty()).map(str::to_owned);
        Step {
            time: format_rfc3339_nanos(self.time),
            id: next().unwrap_or_default(),
            kind: next().unwrap_or_default(),
            outcome: self.outcome.to_owned(),
            principal: next(),
            method: next(),
            operation: next(),
            resource: next(),
            resource_crn: next(),
            correlation_id: next(),
            client_id: next(),
            source_ip: next(),
            severity: self.severity.to_owned(),
            kafka: next(),
        }
    }

    fn id(&self) -> &str {
        self.text.split(SEP).next().unwrap_or("")
    }
}

fn report(i: usize, mut c: ChainState) -> Chain {
    c.kept.sort_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then(a.correlation.cmp(&b.correlation))
            .then_with(|| a.id().cmp(b.id()))
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
        steps: c.kept.iter().map(Kept::step).collect(),
        steps_omitted: c.omitted,
    }
}
