//! The detection stage's part of `/metrics` (docs/detect.md, "In `run`").

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use crate::pipeline::detection::DetectShared;
use crate::pipeline::stats::LATENCY_BUCKETS;

/// Appends the detection metrics to `out`.
pub fn render(out: &mut String, d: &DetectShared) {
    let s = d.stats();
    let counters: [(&str, &str, u64); 7] = [
        ("siem_bridge_detect_events_total", "Events the detection rules saw.", s.events),
        ("siem_bridge_detect_duplicates_total", "Events skipped by the rules because their id was seen recently (redelivered).", s.duplicates),
        ("siem_bridge_detect_late_events_total", "Events older than the watermark when they arrived (still counted where their window was open).", s.late_events),
        ("siem_bridge_detect_future_events_total", "Events dated more than 5 minutes after this host's clock: counted, but they do not move the watermark.", s.future_events),
        ("siem_bridge_detect_evictions_total", "Groups forgotten because a rule held max_keys_per_rule groups or the rules' state was over max_state_bytes.", s.evictions),
        ("siem_bridge_alerts_raised_total", "Alert versions raised (fired and closed).", s.alerts),
        ("siem_bridge_alerts_delivered_total", "Alert versions that reached every alert sink.", d.alerts_delivered.load(Ordering::Relaxed)),
    ];
    for (name, help, v) in counters {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
        );
    }
    let gauges: [(&str, &str, f64); 8] = [
        ("siem_bridge_detect_state_keys", "Group keys (and remembered event ids) held by the rules.", s.keys as f64),
        ("siem_bridge_detect_state_bytes", "The rules' state in bytes, estimated (max_state_bytes bounds it).", s.state_bytes as f64),
        ("siem_bridge_detect_open_alerts", "Alerts open (their incident may go on).", s.open_alerts as f64),
        ("siem_bridge_detect_max_lateness_seconds", "The largest lateness seen: event time behind the latest event.", s.max_lateness_ns as f64 / 1e9),
        ("siem_bridge_detect_partial_view", "1 while this member is assigned fewer partitions than the topics have: detection may miss incidents.", f64::from(u8::from(d.partial_view()))),
        ("siem_bridge_detect_assigned_partitions", "Partitions this member reads.", d.assigned_partitions.load(Ordering::Relaxed) as f64),
        ("siem_bridge_detect_topic_partitions", "Partitions the topics have.", d.topic_partitions.load(Ordering::Relaxed) as f64),
        ("siem_bridge_detect_restored_records", "Records re-read at start to rebuild the rules' state.", d.restored_records.load(Ordering::Relaxed) as f64),
    ];
    for (name, help, v) in gauges {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
    }
    let name = "siem_bridge_alert_delivery_seconds";
    let h = d.latency();
    let _ = writeln!(out, "# HELP {name} From reading the record that raised an alert to the alert reaching every alert sink.\n# TYPE {name} histogram");
    let mut cumulative = 0;
    for (bound, n) in LATENCY_BUCKETS.iter().zip(h.counts) {
        cumulative += n;
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(out, "{name}_sum {}", h.sum_seconds);
    let _ = writeln!(out, "{name}_count {}", h.count);
}
