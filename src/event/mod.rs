//! The audit event: from one Kafka record value to its enrichment and
//! rendering.
//!
//! The steps, pure and without I/O: validate ([`validate`]) → enrich
//! ([`enrich`]) → render ([`render`]). [`crate::process::Processor`]
//! chains them with the policy (which sits above this module and reads
//! the [`Enrichment`]) into a [`Disposition`]: forward an [`Event`], drop
//! it by a named rule, or send the raw record to the dead-letter store
//! with a [`DeadLetterReason`].

pub mod crn;
pub mod enrich;
pub mod enrichment;
pub mod escape;
pub mod extra;
pub mod principal;
pub mod render;
pub mod scan;
pub mod time;
pub mod validate;
pub mod values;
pub mod view;
pub mod write;

use serde::{Deserialize, Serialize};

pub use enrichment::{CrnField, CrnInfo, Enrichment, PrincipalInfo};
pub use validate::DeadLetterReason;
pub use values::{Dialect, Rfc3339, TimeSource};

/// Where a record came from in Kafka.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KafkaCoords {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The record timestamp, milliseconds since the Unix epoch.
    pub timestamp: Option<i64>,
}

/// `enrichment.verdict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allowed,
    Denied,
    Success,
    Failure,
    Unknown,
}

impl Verdict {
    /// The JSON value of `enrichment.verdict`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
            Verdict::Success => "success",
            Verdict::Failure => "failure",
            Verdict::Unknown => "unknown",
        }
    }
}

/// `enrichment.severity`, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The JSON value of `enrichment.severity`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// An event ready for the sinks.
#[derive(Debug, Clone)]
pub struct Event {
    /// The enrichment, typed, for sinks that build envelopes from it.
    pub enrichment: Enrichment,
    /// The original event with `enrichment` added: one line of JSON.
    pub json: String,
}

impl Event {
    /// The event's `id`.
    pub fn id(&self) -> &str {
        self.enrichment.event_id()
    }
}

/// What to do with one record.
// `Forward` is the common case and stays unboxed: boxing it would cost an
// allocation per event on the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Disposition {
    Forward(Event),
    /// Dropped by the filter rule named here.
    Drop {
        rule: String,
        enrichment: Box<Enrichment>,
    },
    DeadLetter(DeadLetterReason),
}

impl Disposition {
    /// `forward`, `drop` or `dead_letter`.
    pub fn label(&self) -> &'static str {
        match self {
            Disposition::Forward(_) => "forward",
            Disposition::Drop { .. } => "drop",
            Disposition::DeadLetter(_) => "dead_letter",
        }
    }
}

/// Default largest record accepted, in bytes.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1 << 20;

/// The largest `max_record_bytes` a configuration may set: the
/// enrichment's text is indexed with `u32` (see [`enrichment`]).
pub const MAX_RECORD_BYTES_LIMIT: usize = 1 << 30;

/// Now, in Unix nanoseconds (the ingest time fallback).
pub fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}
