//! The repository's audit-event fixtures, enriched, and severity tables
//! from TOML: what the tables' fast paths are checked against (tests
//! only).

use super::{SeverityConfig, SeverityPolicy};
use crate::event::Enrichment;
use crate::process::Processor;

const FILES: [&str; 2] = [
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/audit-events/sample.jsonl"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/detect/incident.jsonl"
    ),
];

/// Every valid event of the fixtures, enriched with the default policy.
pub fn events() -> Vec<Enrichment> {
    let p = Processor::default();
    let mut out = Vec::new();
    for f in FILES {
        for line in std::fs::read_to_string(f).unwrap().lines() {
            if let Ok((_, e)) = p.enrich(line.as_bytes(), None, 0) {
                out.push(e);
            }
        }
    }
    out
}

/// A severity table from its `[severity]` section.
pub fn table(toml_text: &str) -> SeverityPolicy {
    toml::from_str::<SeverityConfig>(toml_text)
        .unwrap()
        .compile()
        .unwrap()
}
