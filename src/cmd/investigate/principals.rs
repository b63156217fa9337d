//! Overreaching principals: per principal, what it was denied (attempted
//! beyond its rights) and granted, the addresses it used and the
//! resources it touched, each with when it was first seen — so that, at
//! the end, what is new after the baseline (outside its usual set) can be
//! told apart. Bounded: at most `max_principals` principals (the least
//! denied tenth forgotten when full, and counted), and per principal at
//! most [`MAX_ACCESS`] operation/resource pairs of each kind,
//! [`MAX_ADDRESSES`] addresses and [`MAX_RESOURCES`] resources.

use super::counters::FnvMap as HashMap;

use crate::event::time::format_rfc3339_nanos;

use super::model::{Access, PrincipalInfo};
use super::observed::{Observed, Outcome};

pub const MAX_ACCESS: usize = 64;
pub const MAX_ADDRESSES: usize = 64;
pub const MAX_RESOURCES: usize = 256;

#[derive(Debug, Default)]
struct Seen {
    label: String,
    first: i64,
    count: u64,
    sensitive: bool,
}

impl Seen {
    /// The first sighting of `o`'s resource.
    fn first(o: &Observed<'_>) -> Seen {
        Seen {
            label: o.resource_label().map(str::to_owned).unwrap_or_default(),
            first: o.time,
            count: 1,
            sensitive: o.sensitive,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    events: u64,
    denied: u64,
    denied_sensitive: u64,
    granted: u64,
    first: i64,
    last: i64,
    /// (operation, resource) hash → operation, resource, count, sensitive.
    denied_access: HashMap<u64, (String, Seen)>,
    granted_access: HashMap<u64, (String, Seen)>,
    addresses: HashMap<Box<str>, i64>,
    resources: HashMap<u64, Seen>,
}

/// Every principal's record.
#[derive(Debug)]
pub struct PrincipalBook {
    map: HashMap<Box<str>, State>,
    max: usize,
    pub dropped: u64,
}

impl PrincipalBook {
    pub fn new(max: usize) -> PrincipalBook {
        PrincipalBook {
            map: HashMap::default(),
            max: max.max(1),
            dropped: 0,
        }
    }

    /// Adds one event in focus (events without a principal, and failed
    /// logins, which name nobody yet, are not counted here).
    pub fn add(&mut self, o: &Observed<'_>) {
        let Some(p) = o.principal.filter(|p| !p.starts_with("None:")) else {
            return;
        };
        if o.outcome == Outcome::AuthFailed {
            return;
        }
        // One lookup in the common case (a principal seen before).
        let s = match self.map.get_mut(p) {
            Some(s) => s,
            None => {
                if self.map.len() >= self.max {
                    self.forget();
                }
                self.map.entry(p.into()).or_insert(State {
                    first: o.time,
                    last: o.time,
                    ..State::default()
                })
            }
        };
        s.events += 1;
        s.first = s.first.min(o.time);
        s.last = s.last.max(o.time);
        if let Some(ip) = o.source_ip {
            let room = s.addresses.len() < MAX_ADDRESSES;
            match s.addresses.get_mut(ip) {
                Some(t) => *t = (*t).min(o.time),
                None if room => {
                    s.addresses.insert(ip.into(), o.time);
                }
                None => {}
            }
        }
        let Some(rh) = o.resource_hash() else {
            count_outcome(s, o);
            return;
        };
        let room = s.resources.len() < MAX_RESOURCES;
        match s.resources.get_mut(&rh) {
            Some(r) => {
                r.first = r.first.min(o.time);
                r.count += 1;
            }
            None if room => {
                s.resources.insert(rh, Seen::first(o));
            }
            None => {}
        }
        count_outcome(s, o);
        let access = match o.outcome {
            Outcome::Denied => &mut s.denied_access,
            Outcome::Granted => &mut s.granted_access,
            _ => return,
        };
        let op = o.operation.unwrap_or("-");
        let ah = crate::detect::alert::fnv1a(rh, op.as_bytes());
        let room = access.len() < MAX_ACCESS;
        match access.get_mut(&ah) {
            Some((_, seen)) => seen.count += 1,
            None if room => {
                access.insert(ah, (op.to_owned(), Seen::first(o)));
            }
            None => {}
        }
    }

    fn forget(&mut self) {
        let mut v: Vec<(u64, u64, u64, Box<str>)> = self
            .map
            .iter()
            .map(|(k, s)| (s.denied_sensitive, s.denied, s.events, k.clone()))
            .collect();
        v.sort_unstable();
        let n = (v.len() / 10).max(1);
        for (_, _, _, k) in &v[..n] {
            self.map.remove(k);
        }
        self.dropped += n as u64;
    }

    /// The principals that were denied something, or used a new address
    /// or a resource outside their usual set after `baseline_until`
    /// (Unix nanoseconds); ranked by denied sensitive access, then
    /// denials, then new resources; at most `n`.
    pub fn finish(self, baseline_until: i64, n: usize) -> Vec<PrincipalInfo> {
        let mut out: Vec<PrincipalInfo> = Vec::new();
        for (name, s) in self.map {
            // Only a principal with history before the cutoff has a usual set.
            let has_history = s.first <= baseline_until;
            let mut new_addresses: Vec<(i64, String)> = s
                .addresses
                .iter()
                .filter(|(_, t)| has_history && **t > baseline_until)
                .map(|(a, t)| (*t, a.to_string()))
                .collect();
            new_addresses.sort();
            let mut new_resources: Vec<(i64, String)> = s
                .resources
                .values()
                .filter(|r| has_history && r.first > baseline_until)
                .map(|r| (r.first, r.label.clone()))
                .collect();
            new_resources.sort();
            if s.denied == 0 && new_addresses.is_empty() && new_resources.is_empty() {
                continue;
            }
            let mut addresses: Vec<String> = s.addresses.keys().map(|a| a.to_string()).collect();
            addresses.sort();
            out.push(PrincipalInfo {
                principal: name.to_string(),
                events: s.events,
                denied: s.denied,
                denied_sensitive: s.denied_sensitive,
                granted: s.granted,
                denied_access: accesses(s.denied_access),
                granted_access: accesses(s.granted_access),
                addresses,
                new_addresses: new_addresses.into_iter().map(|x| x.1).collect(),
                new_resources: new_resources.into_iter().map(|x| x.1).collect(),
                first_time: format_rfc3339_nanos(s.first),
                last_time: format_rfc3339_nanos(s.last),
                alerts: Vec::new(),
            });
        }
        out.sort_by(|a, b| {
            b.denied_sensitive
                .cmp(&a.denied_sensitive)
                .then(b.denied.cmp(&a.denied))
                .then(b.new_resources.len().cmp(&a.new_resources.len()))
                .then_with(|| a.principal.cmp(&b.principal))
        });
        out.truncate(n);
        out
    }
}

fn count_outcome(s: &mut State, o: &Observed<'_>) {
    match o.outcome {
        Outcome::Denied => {
            s.denied += 1;
            s.denied_sensitive += o.sensitive as u64;
        }
        Outcome::Granted => s.granted += 1,
        _ => {}
    }
}

fn accesses(m: HashMap<u64, (String, Seen)>) -> Vec<Access> {
    let mut v: Vec<Access> = m
        .into_values()
        .map(|(operation, s)| Access {
            operation,
            resource: s.label,
            count: s.count,
            sensitive: s.sensitive,
        })
        .collect();
    v.sort_by(|a, b| {
        b.sensitive
            .cmp(&a.sensitive)
            .then(b.count.cmp(&a.count))
            .then_with(|| (&a.resource, &a.operation).cmp(&(&b.resource, &b.operation)))
    });
    v
}
