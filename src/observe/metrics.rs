//! `/metrics` in the Prometheus text exposition format (version 0.0.4).
//!
//! Hand-written from [`Stats`] rather than through the `metrics` crate:
//! the pipeline already counts everything in `Stats` (the demo summary
//! reads the same counters), and a global recorder would be shared by
//! every pipeline of a process, while tests run several at once. Lag and
//! retention headroom are computed at scrape time from the tracker and
//! the consumer's cached high watermarks (no broker round trip).

use std::fmt::Write;
use std::time::Duration;

use crate::pipeline::stats::{Stats, LATENCY_BUCKETS};
use crate::pipeline::Handle;

/// Lag and retention headroom of one assigned partition.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// High watermark minus the stored (committable) position, when both
    /// are known.
    pub lag: Option<i64>,
    /// Hours until the oldest unconsumed record leaves retention: from
    /// the Kafka timestamp of the first unresolved record; the whole
    /// retention when nothing is behind; unknown otherwise.
    pub headroom_hours: Option<f64>,
}

/// Lag and headroom of every assigned partition, at `now_ms`.
pub fn partitions(handle: &Handle, retention: Duration, now_ms: i64) -> Vec<PartitionLag> {
    let consumer = handle.consumer.upgrade();
    let retention_h = retention.as_secs_f64() / 3600.0;
    handle
        .tracker
        .partitions()
        .into_iter()
        .map(|p| {
            let high = consumer
                .as_ref()
                .and_then(|c| crate::kafka::cached_watermarks(c, &p.topic, p.partition));
            let position = p.stored.or(p.first_unresolved.map(|(o, _)| o));
            let lag = match (high, position) {
                (Some((_, high)), Some(pos)) => Some((high - pos).max(0)),
                (Some((low, high)), None) if low == high => Some(0),
                _ => None,
            };
            let headroom_hours = match p.first_unresolved {
                Some((_, Some(ts))) => {
                    Some(retention_h - (now_ms - ts).max(0) as f64 / 3_600_000.0)
                }
                Some((_, None)) => None,
                None if lag == Some(0) => Some(retention_h),
                None => None,
            };
            PartitionLag {
                topic: p.topic,
                partition: p.partition,
                lag,
                headroom_hours,
            }
        })
        .collect()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Escapes a label value (`\`, `"`, newline).
fn label(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The whole exposition.
pub fn render(handle: &Handle, retention: Duration) -> String {
    let s = &handle.stats;
    let mut out = String::with_capacity(4096);
    let counters = [
        ("siem_bridge_events_read_total", "Records read from Kafka.", &s.read),
        ("siem_bridge_events_forwarded_total", "Valid events kept by the filter, sent to the sinks.", &s.forwarded),
        ("siem_bridge_events_delivered_total", "Events whose batch reached every sink (accepted or dead-lettered).", &s.delivered),
        ("siem_bridge_retries_total", "Sends repeated for events a sink did not finish (retryable, ambiguous, misconfigured).", &s.retries),
    ];
    for (name, help, c) in counters {
        header(&mut out, name, "counter", help);
        let _ = writeln!(out, "{name} {}", Stats::get(c));
    }
    header(
        &mut out,
        "siem_bridge_events_dropped_total",
        "counter",
        "Events dropped by a filter rule.",
    );
    for (rule, n) in s.dropped_by_rule() {
        let _ = writeln!(
            out,
            "siem_bridge_events_dropped_total{{rule=\"{}\"}} {n}",
            label(&rule)
        );
    }
    header(
        &mut out,
        "siem_bridge_events_dead_lettered_total",
        "counter",
        "Records written to the dead-letter store, by reason code.",
    );
    for (reason, n) in s.dead_lettered_by_reason() {
        let _ = writeln!(
            out,
            "siem_bridge_events_dead_lettered_total{{reason=\"{}\"}} {n}",
            label(&reason)
        );
    }
    header(
        &mut out,
        "siem_bridge_sink_events_total",
        "counter",
        "Per-event outcomes reported by each sink.",
    );
    for ((sink, class), n) in s.outcomes() {
        let _ = writeln!(
            out,
            "siem_bridge_sink_events_total{{sink=\"{}\",outcome=\"{class}\"}} {n}",
            label(&sink)
        );
    }
    header(
        &mut out,
        "siem_bridge_sink_requests_total",
        "counter",
        "Sends to each sink by outcome class (the worst outcome of the send).",
    );
    for ((sink, class), n) in s.requests() {
        let _ = writeln!(
            out,
            "siem_bridge_sink_requests_total{{sink=\"{}\",outcome=\"{class}\"}} {n}",
            label(&sink)
        );
    }
    let name = "siem_bridge_sink_request_duration_seconds";
    header(
        &mut out,
        name,
        "histogram",
        "Time of one send to a sink (all its requests).",
    );
    for (sink, h) in s.latency() {
        let sink = label(&sink);
        let mut cumulative = 0;
        for (bound, n) in LATENCY_BUCKETS.iter().zip(h.counts) {
            cumulative += n;
            let _ = writeln!(
                out,
                "{name}_bucket{{sink=\"{sink}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{sink=\"{sink}\",le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(out, "{name}_sum{{sink=\"{sink}\"}} {}", h.sum_seconds);
        let _ = writeln!(out, "{name}_count{{sink=\"{sink}\"}} {}", h.count);
    }
    header(
        &mut out,
        "siem_bridge_sink_healthy",
        "gauge",
        "1 while the sink's last answer was not `misconfigured`.",
    );
    for (sink, h) in s.health() {
        let _ = writeln!(
            out,
            "siem_bridge_sink_healthy{{sink=\"{}\"}} {}",
            label(&sink),
            u8::from(h.healthy)
        );
    }
    header(
        &mut out,
        "siem_bridge_sink_healthcheck_ok",
        "gauge",
        "1 while the sink's own health check passes.",
    );
    for (sink, e) in s.probes() {
        let _ = writeln!(
            out,
            "siem_bridge_sink_healthcheck_ok{{sink=\"{}\"}} {}",
            label(&sink),
            u8::from(e.is_none())
        );
    }
    header(
        &mut out,
        "siem_bridge_dead_letter_healthy",
        "gauge",
        "1 while dead-letter writes succeed.",
    );
    let _ = writeln!(
        out,
        "siem_bridge_dead_letter_healthy {}",
        u8::from(s.dead_letter_error().is_none())
    );
    header(
        &mut out,
        "siem_bridge_in_flight_records",
        "gauge",
        "Records read but not yet committable.",
    );
    let _ = writeln!(
        out,
        "siem_bridge_in_flight_records {}",
        handle.tracker.pending_records()
    );
    header(
        &mut out,
        "siem_bridge_in_flight_bytes",
        "gauge",
        "Bytes in flight: records read but not yet committable, and the rendered events of batches being delivered.",
    );
    let _ = writeln!(
        out,
        "siem_bridge_in_flight_bytes {}",
        handle.tracker.pending_bytes()
    );
    let parts = partitions(handle, retention, now_ms());
    header(
        &mut out,
        "siem_bridge_consumer_lag",
        "gauge",
        "High watermark minus the stored (committable) offset, per partition.",
    );
    for p in parts.iter().filter(|p| p.lag.is_some()) {
        let _ = writeln!(
            out,
            "siem_bridge_consumer_lag{{topic=\"{}\",partition=\"{}\"}} {}",
            label(&p.topic),
            p.partition,
            p.lag.unwrap_or(0)
        );
    }
    header(&mut out, "siem_bridge_retention_headroom_hours", "gauge", "Hours until the oldest unconsumed record falls out of retention (negative: records were lost).");
    for p in parts.iter().filter(|p| p.headroom_hours.is_some()) {
        let _ = writeln!(
            out,
            "siem_bridge_retention_headroom_hours{{topic=\"{}\",partition=\"{}\"}} {}",
            label(&p.topic),
            p.partition,
            p.headroom_hours.unwrap_or(0.0)
        );
    }
    if let Some(d) = &handle.detection {
        super::detection::render(&mut out, d);
    }
    out
}

#[cfg(test)]
mod tests;
