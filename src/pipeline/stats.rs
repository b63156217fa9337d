//! Counters and sink health, shared by the pipeline, the demo summary and
//! the metrics endpoint.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::event::{Enrichment, Severity};

/// The most severe events seen, for summaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notable {
    pub severity: Severity,
    pub time_unix_nanos: i64,
    pub event_id: String,
    pub line: String,
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
    notable: Mutex<Vec<Notable>>,
}

const NOTABLE_KEEP: usize = 10;

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

    /// Keeps the most severe events (high and critical).
    pub fn observe(&self, e: &Enrichment) {
        if e.severity < Severity::High {
            return;
        }
        let line = format!(
            "{} {:<8} {} {} by {} on {}{}",
            e.time,
            e.severity.as_str(),
            e.method.as_deref().unwrap_or("-"),
            e.verdict.as_str(),
            e.principal.normalized.as_deref().unwrap_or("-"),
            e.resource_name
                .as_deref()
                .or(e.crn.resource_name.as_deref())
                .unwrap_or("-"),
            e.source_ip
                .as_deref()
                .map(|ip| format!(" from {ip}"))
                .unwrap_or_default(),
        );
        let mut n = self.notable.lock().unwrap_or_else(|p| p.into_inner());
        n.push(Notable {
            severity: e.severity,
            time_unix_nanos: e.time_unix_nanos,
            event_id: e.event_id.clone(),
            line,
        });
        n.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.time_unix_nanos.cmp(&b.time_unix_nanos))
        });
        n.truncate(NOTABLE_KEEP);
    }

    pub fn notable(&self) -> Vec<Notable> {
        self.notable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}
