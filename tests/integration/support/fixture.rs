//! The audit-event fixtures (`tests/data/audit-events/`) and the events
//! made from them. Self-contained: the benches include it by `#[path]`
//! (through `benches/support/mod.rs`).

use std::path::PathBuf;
use std::sync::Arc;

use siem_bridge::event::{Disposition, Event};
use siem_bridge::process::Processor;

/// `sample.jsonl` and its README (the expected result of every line).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/audit-events")
}

pub fn sample_jsonl() -> PathBuf {
    fixtures_dir().join("sample.jsonl")
}

/// The lines of `sample.jsonl`, as bytes, without their newline.
pub fn sample_lines() -> Vec<Vec<u8>> {
    let raw = std::fs::read(sample_jsonl()).expect("tests/data/audit-events/sample.jsonl");
    raw.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.to_vec())
        .collect()
}

/// `n` enriched events with ids `evt-00000`, `evt-00001`, … made from the
/// fixture's small (< 20 KB) forwarded events, cycled.
pub fn events(n: usize) -> Vec<Arc<Event>> {
    numbered(n, |i| format!("evt-{i:05}"))
}

/// [`events`] with the id of event `i` given by `id(i)`.
pub fn numbered(n: usize, id: impl Fn(usize) -> String) -> Vec<Arc<Event>> {
    let p = Processor::default();
    let templates: Vec<serde_json::Value> = sample_lines()
        .into_iter()
        .filter(|l| l.len() < 20_000)
        .filter(|l| matches!(p.process(l, None, 0), Disposition::Forward(_)))
        .map(|l| serde_json::from_slice(&l).unwrap())
        .collect();
    assert!(templates.len() > 50, "fixture events");
    (0..n)
        .map(|i| {
            let mut v = templates[i % templates.len()].clone();
            v["id"] = serde_json::json!(id(i));
            match p.process(v.to_string().as_bytes(), None, 0) {
                Disposition::Forward(e) => Arc::new(e),
                other => panic!("template {i}: {}", other.label()),
            }
        })
        .collect()
}

/// The CloudEvents ids of `events`, in order.
pub fn ids(events: &[Arc<Event>]) -> Vec<String> {
    events.iter().map(|e| e.id().to_owned()).collect()
}
