//! Shared helpers for the integration tests.

pub mod es;
pub mod osmem;

use std::path::PathBuf;

/// `shared/` beside the repository (the fixtures and docs live there).
pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

pub fn sample_jsonl() -> PathBuf {
    shared().join("fixtures/audit-events/sample.jsonl")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The lines of `sample.jsonl`, as bytes, without their newline.
pub fn sample_lines() -> Vec<Vec<u8>> {
    let raw = std::fs::read(sample_jsonl()).expect("shared/fixtures/audit-events/sample.jsonl");
    raw.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.to_vec())
        .collect()
}

pub mod hec;
pub mod pki;
