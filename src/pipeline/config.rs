//! `[pipeline]`: batching, in-flight bounds, retries and shutdown, with
//! the checks the config loader reports (each with its key).

use serde::Deserialize;

/// `[pipeline]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    #[serde(default = "d_batch_events")]
    pub batch_max_events: usize,
    #[serde(default = "d_batch_bytes")]
    pub batch_max_bytes: usize,
    #[serde(default = "d_linger_ms")]
    pub batch_linger_ms: u64,
    /// Batches being delivered at once.
    #[serde(default = "d_in_flight")]
    pub max_in_flight_batches: usize,
    /// Bytes in flight above which intake stops taking records
    /// (`pipeline::flow`): the read-but-unresolved records (values as
    /// read) plus the rendered events of the batches being delivered (an
    /// event takes ≈ 3× its record in memory; counting only the records let
    /// 8 MiB hold ≈ 25 MB). 8 MiB: ≈ 2,000 audit events of 1.3 KB, more
    /// than the default batches in delivery (4 × 1 MiB of events).
    /// Holding at the bound costs no refetch, so a small bound costs no
    /// events/s (BENCHMARKS.md, "End to end").
    #[serde(default = "d_in_flight_bytes")]
    pub max_in_flight_bytes: usize,
    /// Larger records are dead-lettered (`too_large`).
    #[serde(default = "d_record_bytes")]
    pub max_record_bytes: usize,
    /// How long SIGTERM waits for in-flight batches before giving them up
    /// (they are re-read after restart). Must stay below the Kafka session
    /// timeout.
    #[serde(default = "d_shutdown_ms")]
    pub shutdown_timeout_ms: u64,
    #[serde(default = "d_retry_initial_ms")]
    pub retry_initial_ms: u64,
    #[serde(default = "d_retry_max_ms")]
    pub retry_max_ms: u64,
    #[serde(default = "d_misconfigured_ms")]
    pub misconfigured_retry_ms: u64,
}

fn d_batch_events() -> usize {
    500
}
fn d_batch_bytes() -> usize {
    1 << 20
}
fn d_linger_ms() -> u64 {
    200
}
fn d_in_flight() -> usize {
    4
}
fn d_in_flight_bytes() -> usize {
    8 << 20
}
fn d_record_bytes() -> usize {
    crate::event::DEFAULT_MAX_RECORD_BYTES
}
fn d_shutdown_ms() -> u64 {
    10_000
}
fn d_retry_initial_ms() -> u64 {
    100
}
fn d_retry_max_ms() -> u64 {
    30_000
}
fn d_misconfigured_ms() -> u64 {
    5_000
}

impl Default for PipelineConfig {
    fn default() -> Self {
        toml::from_str("").expect("every key has a default")
    }
}

impl PipelineConfig {
    /// Problems as `(key, message)`, keys relative to `[pipeline]`.
    pub fn check(&self, session_timeout_ms: u64) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut p = |k: &str, m: &str| out.push((k.to_owned(), m.to_owned()));
        if self.batch_max_events == 0 {
            p("batch_max_events", "must be positive");
        }
        if self.batch_max_bytes == 0 {
            p("batch_max_bytes", "must be positive");
        }
        if self.max_in_flight_batches == 0 {
            p("max_in_flight_batches", "must be positive");
        }
        if self.max_in_flight_bytes < self.batch_max_bytes {
            p("max_in_flight_bytes", "must be at least batch_max_bytes");
        }
        if self.max_record_bytes == 0 {
            p("max_record_bytes", "must be positive");
        }
        if self.max_record_bytes > crate::event::MAX_RECORD_BYTES_LIMIT {
            p("max_record_bytes", "must be at most 1073741824 (1 GiB)");
        }
        if self.shutdown_timeout_ms >= session_timeout_ms {
            p(
                "shutdown_timeout_ms",
                "must be shorter than kafka.session_timeout_ms (a stalled shutdown must not outlive the group session)",
            );
        }
        if self.retry_initial_ms == 0 || self.retry_max_ms < self.retry_initial_ms {
            p("retry_max_ms", "need 0 < retry_initial_ms <= retry_max_ms");
        }
        out
    }
}
