//! How fast `siem-bridge watch` catches up over a time range on this
//! machine: an in-process mock Kafka (64 partitions, pre-loaded with the
//! demo stream) → the group-less consumer → validate, enrich, query →
//! lines written to a discarding writer. Measured from `Watch::run` start
//! (metadata, watermarks, assign included) until `--until` is reached on
//! every partition.
//!
//! Run: `cargo bench --bench watch`. Knobs (environment): `EVENTS=N`
//! (200000 by default); `LIBRDKAFKA=key=value,…` extra consumer settings,
//! e.g. `fetch.queue.backoff.ms=1000` for librdkafka's default (the old
//! figure, see BENCHMARKS.md).

mod support;

use support::PARTITIONS;

use std::time::Instant;

use siem_bridge::cmd::watch::range::Start;
use siem_bridge::cmd::watch::{Query, QueryFlags, Range, Style, Watch};
use siem_bridge::kafka::KafkaConfig;
use siem_bridge::process::Processor;
use tokio_util::sync::CancellationToken;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let (kafka, n, bytes_in) = support::backlog();
    let bs = kafka.bootstrap_servers();
    let kafka_config = KafkaConfig {
        bootstrap_servers: bs,
        librdkafka_options: support::librdkafka_options(),
        ..Default::default()
    };
    println!(
        "watch catch-up: {} records ({:.1} MB) in {PARTITIONS} partitions",
        n,
        bytes_in as f64 / 1e6
    );
    let cases: [(&str, Style, QueryFlags); 3] = [
        ("--json, no query", Style::Json, QueryFlags::default()),
        (
            "text, no query",
            Style::Text { colour: false },
            QueryFlags::default(),
        ),
        (
            "text, --failed-auth --severity high",
            Style::Text { colour: false },
            QueryFlags {
                failed_auth: true,
                severity: Some(siem_bridge::event::Severity::High),
                ..Default::default()
            },
        ),
    ];
    for (label, style, flags) in cases {
        let mut processor = Processor::new(siem_bridge::cmd::demo::demo_policy());
        processor.filtering = false;
        let watch = Watch {
            processor,
            query: Query::new(&flags).unwrap(),
            range: Range {
                start: Start::Beginning,
                until: Some(i64::MAX),
            },
            style,
            progress: false,
        };
        let mut out = std::io::sink();
        let start = Instant::now();
        let summary = watch
            .run(&kafka_config, CancellationToken::new(), &mut out)
            .unwrap();
        let secs = start.elapsed().as_secs_f64();
        let seen = summary.shown + summary.invalid + summary.skipped;
        assert_eq!(seen as usize, n, "every record read once");
        println!(
            "  {label:<38} {:>8.0} records/s  {:>6.1} MB/s  ({:.2} s; {} shown, {} dead-letter, {} not matching)",
            seen as f64 / secs,
            bytes_in as f64 / 1e6 / secs,
            secs,
            summary.shown,
            summary.invalid,
            summary.skipped
        );
    }
}
