//! Small value types of the enrichment ([`super::Enrichment`]): the
//! payload dialect, where the time came from, and the RFC 3339 time.

use std::fmt;

use serde::{Serialize, Serializer};

use super::time::format_rfc3339_nanos;

/// Which payload shape the event used (`docs/audit-log-format.md` §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    /// Confluent Platform / broker-written events.
    Broker,
    /// Confluent Cloud events.
    Cloud,
}

impl Dialect {
    /// The JSON value of `enrichment.dialect`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Broker => "broker",
            Dialect::Cloud => "cloud",
        }
    }
}

/// Where `enrichment.time` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// The event's own `time` parsed.
    Event,
    /// The Kafka record timestamp.
    Kafka,
    /// The moment siem-bridge read the record.
    Ingest,
}

impl TimeSource {
    /// The JSON value of `enrichment.time_source`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeSource::Event => "event",
            TimeSource::Kafka => "kafka",
            TimeSource::Ingest => "ingest",
        }
    }
}

/// Unix nanoseconds that serialise as RFC 3339 UTC with 9 fraction digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339(pub i64);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_rfc3339_nanos(self.0))
    }
}

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
