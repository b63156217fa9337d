//! The detector's counters, for metrics and summaries.

/// Counters for metrics and summaries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DetectStats {
    pub events: u64,
    /// Events whose id was seen recently (redelivered), not counted again.
    pub duplicates: u64,
    /// Events older than the watermark when they arrived.
    pub late_events: u64,
    /// Events dated more than [`super::MAX_AHEAD`] after the clock of this host:
    /// they do not move the watermark.
    pub future_events: u64,
    /// The largest lateness seen, nanoseconds behind the latest event.
    pub max_lateness_ns: i64,
    pub alerts: u64,
    /// Group keys held by all rules.
    pub keys: u64,
    /// Groups forgotten because a rule was full or the state over its
    /// bytes.
    pub evictions: u64,
    pub open_alerts: u64,
    /// The estimate of the rules' state in bytes (`max_state_bytes`
    /// bounds it).
    pub state_bytes: u64,
}
