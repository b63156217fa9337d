//! Cost of observability: one `/metrics` render for a large deployment
//! (4 sinks, 20 drop rules, 10 dead-letter reasons, 60 partitions with
//! unresolved records), and the per-send bookkeeping added to the delivery
//! path (`Stats::request`: one counter and one histogram update).
//!
//! Run: `cargo bench --bench observe` (prints µs/scrape and ns/send).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use siem_bridge::observe::metrics;
use siem_bridge::pipeline::stats::Stats;
use siem_bridge::pipeline::tracker::Tracker;
use siem_bridge::pipeline::Handle;

fn main() {
    let stats = Arc::new(Stats::default());
    let tracker = Arc::new(Tracker::new());
    let sinks = ["splunk", "elastic", "qradar", "archive"];
    for s in sinks {
        stats.set_health(s, true, None);
        for class in ["accepted", "retryable", "rejected"] {
            stats.outcome(s, class, 1000);
            stats.request(s, class, Duration::from_millis(40));
        }
    }
    for r in 0..20 {
        stats.dropped(&format!("rule-{r}"));
    }
    for r in 0..10 {
        stats.dead_lettered(&format!("reason_{r}"));
    }
    let parts: Vec<(String, i32)> = (0..60).map(|p| ("audit".to_owned(), p)).collect();
    tracker.assign(&parts);
    for (t, p) in &parts {
        for o in 0..100 {
            tracker.register_at(t, *p, o, 1400, Some(1_736_937_060_001));
        }
    }
    let handle = Handle {
        stats: stats.clone(),
        tracker,
        consumer: std::sync::Weak::new(),
        detection: None,
    };
    let retention = Duration::from_secs(7 * 24 * 3600);
    let text = metrics::render(&handle, retention);
    assert!(text.contains("siem_bridge_retention_headroom_hours{topic=\"audit\",partition=\"59\"}"));
    let scrapes = 2_000;
    let start = Instant::now();
    for _ in 0..scrapes {
        black_box(metrics::render(black_box(&handle), retention));
    }
    let per_scrape = start.elapsed() / scrapes;
    println!(
        "observe: /metrics render {:.1} µs/scrape ({} bytes, {} lines)",
        per_scrape.as_secs_f64() * 1e6,
        text.len(),
        text.lines().count()
    );
    let sends = 1_000_000u32;
    let start = Instant::now();
    for i in 0..sends {
        stats.request(
            sinks[(i % 4) as usize],
            "accepted",
            Duration::from_micros(u64::from(i % 50_000)),
        );
    }
    println!(
        "observe: Stats::request {:.0} ns/send",
        start.elapsed().as_nanos() as f64 / f64::from(sends)
    );
}
