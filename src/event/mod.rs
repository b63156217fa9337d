//! The audit event: from one Kafka record value to a verdict.
//!
//! [`Processor::process`] is the whole core, pure and without I/O:
//! validate ([`validate`]) → enrich ([`enrich`]) → filter
//! ([`crate::policy::Filter`]) → render ([`render`]). Its result is a
//! [`Disposition`]: forward an [`Event`], drop it by a named rule, or send
//! the raw record to the dead-letter store with a [`DeadLetterReason`].

pub mod crn;
pub mod enrich;
pub mod enrichment;
pub mod escape;
pub mod principal;
pub mod render;
pub mod scan;
pub mod time;
pub mod validate;
pub mod view;
pub mod write;

use serde::{Deserialize, Serialize};

pub use enrich::{Dialect, Rfc3339, TimeSource};
pub use enrichment::{CrnInfo, Enrichment, PrincipalInfo};
pub use validate::DeadLetterReason;

use crate::policy::Policy;

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

/// Validates, enriches, filters and renders records. Cheap to share.
#[derive(Debug, Clone)]
pub struct Processor {
    pub policy: Policy,
    pub max_record_bytes: usize,
    /// When false, every valid event is forwarded (`inspect --no-filter`).
    pub filtering: bool,
}

impl Default for Processor {
    fn default() -> Self {
        Processor::new(Policy::default())
    }
}

impl Processor {
    pub fn new(policy: Policy) -> Self {
        Processor {
            policy,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            filtering: true,
        }
    }

    /// Decides what happens to one record value.
    pub fn process(
        &self,
        raw: &[u8],
        kafka: Option<&KafkaCoords>,
        ingest_nanos: i64,
    ) -> Disposition {
        let (text, env) = match validate::parse(raw, self.max_record_bytes) {
            Ok(v) => v,
            Err(reason) => return Disposition::DeadLetter(reason),
        };
        let enrichment = enrich::enrich(&env, kafka, ingest_nanos, &self.policy.severity);
        if self.filtering {
            if let Some(rule) = self.policy.filter.drop_rule(&enrichment) {
                return Disposition::Drop {
                    rule: rule.to_owned(),
                    enrichment: Box::new(enrichment),
                };
            }
        }
        // The enrichment is about as large as the event (CRNs repeat).
        let mut out = Vec::with_capacity(text.len() * 2 + 1024);
        render::render(text, &enrichment, &mut out);
        debug_assert!(std::str::from_utf8(&out).is_ok());
        // SAFETY: `render` writes only whole `&str`s (the validated record,
        // enrichment strings), ASCII punctuation and digits, and UTF-8
        // encodings of decoded `\uXXXX` escapes: the bytes are UTF-8.
        // Checking again would cost a pass over every forwarded byte.
        let json = unsafe { String::from_utf8_unchecked(out) };
        Disposition::Forward(Event { enrichment, json })
    }
}

/// Now, in Unix nanoseconds (the ingest time fallback).
pub fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}
