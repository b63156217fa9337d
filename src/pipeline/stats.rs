//! Counters and sink health, shared by the pipeline, the demo summary and
//! the metrics endpoint.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::detect::hash::{FastState, PassThroughState};
use crate::event::{Enrichment, Severity};

/// A group of similar severe events (same severity, method, verdict,
/// principal and source), for summaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notable {
    pub severity: Severity,
    pub count: u64,
    /// Time of the first event of the group.
    pub time_unix_nanos: i64,
    pub first_event_id: String,
    /// Up to five distinct resources the group touched.
    pub resources: Vec<String>,
    /// `method verdict by principal from ip`.
    pub what: String,
}

impl Notable {
    /// One line for people.
    pub fn line(&self) -> String {
        format!(
            "{} {:<8} {:>5} × {} on {}",
            crate::event::Rfc3339(self.time_unix_nanos),
            self.severity.as_str(),
            self.count,
            self.what,
            self.resources.join(", ")
        )
    }
}

/// Health of one sink as the pipeline last saw it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SinkHealth {
    pub healthy: bool,
    pub last_error: Option<String>,
}

/// Everything the pipeline counts.
#[derive(Debug, Default)]
pub struct Stats {
    pub read: AtomicU64,
    pub forwarded: AtomicU64,
    pub delivered: AtomicU64,
    pub retries: AtomicU64,
    dropped: Mutex<BTreeMap<String, u64>>,
    dead_lettered: Mutex<BTreeMap<String, u64>>,
    outcomes: Mutex<BTreeMap<(String, &'static str), u64>>,
    requests: Mutex<BTreeMap<(String, &'static str), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    health: Mutex<BTreeMap<String, SinkHealth>>,
    dead_letter_error: Mutex<Option<String>>,
    probes: Mutex<BTreeMap<String, Option<String>>>,
    /// Keyed by `notable_hash`'s hash of a group's parts (taken as it is).
    notable: Mutex<HashMap<u64, Notable, PassThroughState>>,
    notable_hash: FastState,
}

const NOTABLE_KEEP: usize = 10;
const NOTABLE_GROUPS: usize = 1_000;

/// Upper bounds (seconds) of the send-latency buckets: from a local
/// sink's milliseconds to a slow SIEM's 30 s request timeout.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A latency histogram with [`LATENCY_BUCKETS`] (non-cumulative counts;
/// the exposition makes them cumulative).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// One count per bucket, plus the last for "above every bound".
    pub counts: [u64; LATENCY_BUCKETS.len() + 1],
    pub sum_seconds: f64,
    pub count: u64,
}

impl Histogram {
    pub fn observe(&mut self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = LATENCY_BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.counts[i] += 1;
        self.sum_seconds += secs;
        self.count += 1;
    }
}

/// The class of one whole send, from its per-event outcomes: the one that
/// needs the operator most (misconfigured, then retryable, ambiguous,
/// rejected), or `accepted` when every event was.
pub fn request_class(classes: impl IntoIterator<Item = &'static str>) -> &'static str {
    const ORDER: [&str; 5] = [
        "misconfigured",
        "retryable",
        "ambiguous",
        "rejected",
        "accepted",
    ];
    classes
        .into_iter()
        .min_by_key(|c| ORDER.iter().position(|o| o == c).unwrap_or(0))
        .unwrap_or("accepted")
}

fn inc<K: Ord>(m: &Mutex<BTreeMap<K, u64>>, k: K, by: u64) {
    *m.lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(k)
        .or_default() += by;
}

/// [`inc`] for string keys: allocates the key only the first time.
fn inc_str(m: &Mutex<BTreeMap<String, u64>>, k: &str, by: u64) {
    let mut m = m.lock().unwrap_or_else(|p| p.into_inner());
    match m.get_mut(k) {
        Some(n) => *n += by,
        None => {
            m.insert(k.to_owned(), by);
        }
    }
}

fn snapshot<K: Ord + Clone>(m: &Mutex<BTreeMap<K, u64>>) -> BTreeMap<K, u64> {
    m.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

impl Stats {
    pub fn dropped(&self, rule: &str) {
        inc_str(&self.dropped, rule, 1);
    }

    pub fn dead_lettered(&self, reason_code: &str) {
        inc_str(&self.dead_lettered, reason_code, 1);
    }

    pub fn outcome(&self, sink: &str, class: &'static str, n: u64) {
        inc(&self.outcomes, (sink.to_owned(), class), n);
    }

    /// One `send` to `sink` took `elapsed` and ended as `class` (see
    /// [`request_class`]).
    pub fn request(&self, sink: &str, class: &'static str, elapsed: Duration) {
        inc(&self.requests, (sink.to_owned(), class), 1);
        self.latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(sink.to_owned())
            .or_default()
            .observe(elapsed);
    }

    /// Sends per sink and class.
    pub fn requests(&self) -> BTreeMap<(String, &'static str), u64> {
        snapshot(&self.requests)
    }

    /// Send latency per sink.
    pub fn latency(&self) -> BTreeMap<String, Histogram> {
        self.latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn dropped_by_rule(&self) -> BTreeMap<String, u64> {
        snapshot(&self.dropped)
    }

    pub fn dead_lettered_by_reason(&self) -> BTreeMap<String, u64> {
        snapshot(&self.dead_lettered)
    }

    pub fn outcomes(&self) -> BTreeMap<(String, &'static str), u64> {
        snapshot(&self.outcomes)
    }

    pub fn set_health(&self, sink: &str, healthy: bool, error: Option<String>) {
        let mut h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        let entry = h.entry(sink.to_owned()).or_default();
        if entry.healthy != healthy {
            if healthy {
                tracing::info!(message = "Sink is healthy again.", sink);
            } else {
                tracing::error!(
                    message = "Sink is misconfigured or refusing us; holding offsets and retrying.",
                    sink,
                    error = error.as_deref().unwrap_or("")
                );
            }
        }
        entry.healthy = healthy;
        if error.is_some() || healthy {
            entry.last_error = error;
        }
    }

    pub fn health(&self) -> BTreeMap<String, SinkHealth> {
        self.health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Records the result of a sink's own health check (`None`: passed).
    pub fn set_probe(&self, sink: &str, error: Option<String>) {
        let mut p = self.probes.lock().unwrap_or_else(|p| p.into_inner());
        let before = p.insert(sink.to_owned(), error.clone());
        if before.flatten() != error {
            match &error {
                Some(e) => tracing::warn!(message = "Sink health check fails.", sink, error = %e),
                None => tracing::info!(message = "Sink health check passes.", sink),
            }
        }
    }

    /// The last health-check result of every probed sink.
    pub fn probes(&self) -> BTreeMap<String, Option<String>> {
        self.probes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Records that the dead-letter store fails (`None`: works again).
    pub fn set_dead_letter_error(&self, error: Option<String>) {
        *self
            .dead_letter_error
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = error;
    }

    pub fn dead_letter_error(&self) -> Option<String> {
        self.dead_letter_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Groups medium and more severe events for summaries (bounded).
    pub fn observe(&self, e: &Enrichment) {
        if e.severity < Severity::Medium {
            return;
        }
        // Grouped by a hash of the parts: no key string is built per event
        // (this runs for every medium-or-higher event); the `what` line is
        // written once, for a new group. 64 bits over at most
        // `NOTABLE_GROUPS` groups: a collision is as likely as none at all
        // in practice (≈ 3·10⁻¹⁴), and would only merge two summary lines.
        let method = e.method().unwrap_or_else(|| e.event_type());
        // The accessors of the two fields used, not of the whole principal
        // and CRN (≈ 150 instructions per event less).
        let principal = e.principal_normalized().unwrap_or("-");
        let ip = e.source_ip();
        let key =
            self.notable_hash
                .hash_one((e.severity, method, e.verdict.as_str(), principal, ip));
        let mut n = self.notable.lock().unwrap_or_else(|p| p.into_inner());
        let full = n.len() >= NOTABLE_GROUPS;
        // One lookup for a known group, the common case.
        let g = match n.entry(key) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(_) if full => return,
            std::collections::hash_map::Entry::Vacant(v) => {
                let mut what = format!("{method} {} by {principal}", e.verdict.as_str());
                if let Some(ip) = ip {
                    what.push_str(" from ");
                    what.push_str(ip);
                }
                v.insert(Notable {
                    severity: e.severity,
                    count: 0,
                    time_unix_nanos: e.time_unix_nanos,
                    first_event_id: e.event_id().to_owned(),
                    resources: Vec::new(),
                    what,
                })
            }
        };
        g.count += 1;
        if g.resources.len() < 5 {
            let resource = e
                .resource_name()
                .or_else(|| e.crn_raw_and_name().1)
                .unwrap_or("-");
            if !g.resources.iter().any(|r| r == resource) {
                g.resources.push(resource.to_owned());
            }
        }
    }

    /// The most severe groups, most severe and most frequent first.
    pub fn notable(&self) -> Vec<Notable> {
        let n = self.notable.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<Notable> = n.values().cloned().collect();
        v.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.count.cmp(&a.count))
                .then(a.time_unix_nanos.cmp(&b.time_unix_nanos))
                .then_with(|| a.what.cmp(&b.what))
        });
        v.truncate(NOTABLE_KEEP);
        v
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
