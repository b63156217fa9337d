//! Test support in one place: fixtures, Kafka, waiting, certificates, and
//! every fake server. The benches include the self-contained modules by
//! `#[path]` (`benches/support/mod.rs`).

pub mod cli;
pub mod es;
pub mod fixture;
pub mod hec;
pub mod http_fake;
pub mod kafka;
pub mod osmem;
pub mod pipeline;
pub mod pki;
pub mod sinks;
pub mod syslog_fake;
pub mod tansu;
pub mod wait;
pub mod webhook;

use std::path::PathBuf;

pub use fixture::{events, fixtures_dir, ids, sample_jsonl, sample_lines};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
