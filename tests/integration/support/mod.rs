//! Shared helpers for the integration tests.

pub mod es;
pub mod osmem;

use std::path::PathBuf;

/// The audit-event fixtures: `sample.jsonl` and its README (the expected
/// result of every line).
pub fn fixtures_dir() -> PathBuf {
    repo().join("tests/data/audit-events")
}

pub fn sample_jsonl() -> PathBuf {
    fixtures_dir().join("sample.jsonl")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The lines of `sample.jsonl`, as bytes, without their newline.
pub fn sample_lines() -> Vec<Vec<u8>> {
    let raw = std::fs::read(sample_jsonl()).expect("tests/data/audit-events/sample.jsonl");
    raw.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.to_vec())
        .collect()
}

pub mod hec;
pub mod pki;
