//! Counters and sink health, shared by the pipeline, the demo summary and
//! the metrics endpoint.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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
            crate::event::enrich::Rfc3339(self.time_unix_nanos),
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
    health: Mutex<BTreeMap<String, SinkHealth>>,
    dead_letter_error: Mutex<Option<String>>,
    notable: Mutex<BTreeMap<String, Notable>>,
}

const NOTABLE_KEEP: usize = 10;
const NOTABLE_GROUPS: usize = 1_000;

fn inc<K: Ord>(m: &Mutex<BTreeMap<K, u64>>, k: K, by: u64) {
    *m.lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(k)
        .or_default() += by;
}

fn snapshot<K: Ord + Clone>(m: &Mutex<BTreeMap<K, u64>>) -> BTreeMap<K, u64> {
    m.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

impl Stats {
    pub fn dropped(&self, rule: &str) {
        inc(&self.dropped, rule.to_owned(), 1);
    }

    pub fn dead_lettered(&self, reason_code: &str) {
        inc(&self.dead_lettered, reason_code.to_owned(), 1);
    }

    pub fn outcome(&self, sink: &str, class: &'static str, n: u64) {
        inc(&self.outcomes, (sink.to_owned(), class), n);
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
        let what = format!(
            "{} {} by {}{}",
            e.method.as_deref().unwrap_or(&e.event_type),
            e.verdict.as_str(),
            e.principal.normalized.as_deref().unwrap_or("-"),
            e.source_ip
                .as_deref()
                .map(|ip| format!(" from {ip}"))
                .unwrap_or_default(),
        );
        let key = format!("{}|{what}", e.severity.as_str());
        let resource = e
            .resource_name
            .as_deref()
            .or(e.crn.resource_name.as_deref())
            .unwrap_or("-");
        let mut n = self.notable.lock().unwrap_or_else(|p| p.into_inner());
        if !n.contains_key(&key) && n.len() >= NOTABLE_GROUPS {
            return;
        }
        let g = n.entry(key).or_insert_with(|| Notable {
            severity: e.severity,
            count: 0,
            time_unix_nanos: e.time_unix_nanos,
            first_event_id: e.event_id.clone(),
            resources: Vec::new(),
            what,
        });
        g.count += 1;
        if g.resources.len() < 5 && !g.resources.iter().any(|r| r == resource) {
            g.resources.push(resource.to_owned());
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
