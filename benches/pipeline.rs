//! End-to-end throughput of `siem-bridge run`'s pipeline on this machine:
//! an in-process mock Kafka (64 partitions, pre-loaded) → validate,
//! enrich, filter, batch → a sink that counts and discards → offsets
//! stored and committed. Measures from pipeline start until every offset
//! is committed, so it includes the group join and the final commit.
//!
//! Run: `cargo bench --bench pipeline`. Knobs (environment):
//! - `EVENTS=N` records pre-loaded (200000 by default);
//! - `LIBRDKAFKA=key=value,…` extra consumer settings, e.g.
//!   `fetch.queue.backoff.ms=1000` for librdkafka's default (the old figure,
//!   see BENCHMARKS.md);
//! - `INFLIGHT=bytes` `max_in_flight_bytes` (8 MiB by default);
//! - `DROPALL=1` a policy that drops every record (no sink work);
//! - `DLDIR=dir` where the dead-letter file goes (e.g. `/dev/shm`);
//! - `TRACE=1` prints when 1, ¼, ½ and all of the records were read;
//! - `THREADS=1` splits the measured CPU time by thread name (tokio
//!   workers = the pipeline; `rdk:broker*` = librdkafka's fetch and decode;
//!   `rdk:mock` = the in-process broker, not part of a real deployment),
//!   from pipeline start until every record is resolved.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use siem_bridge::config::Config;
use siem_bridge::event::Event;
use siem_bridge::kafka::KafkaConfig;
use siem_bridge::pipeline::{
    self, dead_letter::DeadLetterConfig, stats::Stats, Handle, PipelineConfig,
};
use siem_bridge::sink::{SendReport, Sink};
use tokio_util::sync::CancellationToken;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Null(AtomicU64);

impl Sink for Null {
    fn name(&self) -> &str {
        "null"
    }
    fn send<'a>(&'a self, events: &'a [Arc<Event>]) -> BoxFuture<'a, SendReport> {
        Box::pin(async move {
            let bytes: usize = events.iter().map(|e| e.json.len()).sum();
            self.0.fetch_add(bytes as u64, Ordering::Relaxed);
            SendReport::accepted(events.len())
        })
    }
}

fn main() {
    let (kafka, n, bytes_in) = support::backlog();
    let bs = kafka.bootstrap_servers();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sink = Arc::new(Null(AtomicU64::new(0)));
    let dir = match std::env::var("DLDIR") {
        Ok(d) => tempfile::tempdir_in(d).unwrap(),
        Err(_) => tempfile::tempdir().unwrap(),
    };
    let config = Config {
        kafka: KafkaConfig {
            bootstrap_servers: bs.clone(),
            group_id: "bench".into(),
            session_timeout_ms: 6000,
            librdkafka_options: support::librdkafka_options(),
            ..Default::default()
        },
        pipeline: PipelineConfig {
            batch_linger_ms: 20,
            max_in_flight_bytes: std::env::var("INFLIGHT")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(64 << 20),
            ..Default::default()
        },
        dead_letter: DeadLetterConfig {
            path: Some(dir.path().join("dl.ndjson").to_string_lossy().into()),
            ..Default::default()
        },
        sinks: Vec::new(),
        policy: if std::env::var_os("DROPALL").is_some() {
            let f: siem_bridge::policy::FilterConfig =
                toml::from_str("[[drop]]\ninclude_failed_auth = true\n").unwrap();
            siem_bridge::policy::Policy {
                filter: f.compile().unwrap(),
                ..Default::default()
            }
        } else {
            siem_bridge::cmd::demo::demo_policy()
        },
        observability: siem_bridge::observe::ObservabilityConfig::disabled(),
        detect: None,
    };
    let handle: Arc<Mutex<Option<Handle>>> = Arc::default();
    let h = handle.clone();
    let shutdown = CancellationToken::new();
    let start = Instant::now();
    let cpu_start = cpu_time();
    let threads_start = thread_times();
    let summary = rt.block_on(async {
        let task = tokio::spawn(pipeline::run(
            config.pipeline_parts(vec![sink.clone() as Arc<dyn Sink>]),
            shutdown.clone(),
            move |x| *h.lock().unwrap() = Some(x),
        ));
        let mut marks = vec![1u64, n as u64 / 4, n as u64 / 2, n as u64];
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if std::env::var_os("TRACE").is_some() {
                let read = handle
                    .lock()
                    .unwrap()
                    .as_ref()
                    .map_or(0, |h| Stats::get(&h.stats.read));
                while marks.first().is_some_and(|m| read >= *m) {
                    eprintln!(
                        "read {} at {:?} (pending {})",
                        marks.remove(0),
                        start.elapsed(),
                        handle
                            .lock()
                            .unwrap()
                            .as_ref()
                            .map_or(0, |h| h.tracker.pending_records())
                    );
                }
            }
            let done = handle.lock().unwrap().as_ref().is_some_and(|h| {
                Stats::get(&h.stats.read) == n as u64 && h.tracker.pending_records() == 0
            });
            if done {
                break;
            }
        }
        // Before shutdown: the consumer's threads end with it.
        let threads_end = thread_times();
        shutdown.cancel();
        (task.await.unwrap().unwrap(), threads_end)
    });
    let (summary, threads_end) = summary;
    let wall = start.elapsed();
    let cpu = cpu_time() - cpu_start;
    let committed: i64 = summary.stored.iter().filter_map(|(_, _, o)| *o).sum();
    assert_eq!(committed, n as i64, "every offset committed");
    println!(
        "pipeline: {n} records ({:.0} MB) in {:.2} s wall = {:.0} records/s; process CPU {:.2} s = {:.0} records per CPU-second; forwarded {}, dropped {}, dead-lettered {}",
        bytes_in as f64 / 1e6,
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        cpu,
        n as f64 / cpu,
        Stats::get(&summary.stats.forwarded),
        summary.stats.dropped_by_rule().values().sum::<u64>(),
        summary.stats.dead_lettered_by_reason().values().sum::<u64>(),
    );
    if std::env::var_os("THREADS").is_some() {
        let mut by_name: std::collections::BTreeMap<String, f64> = Default::default();
        for (tid, (name, end)) in &threads_end {
            let start = threads_start.get(tid).map_or(0.0, |(_, s)| *s);
            *by_name.entry(name.clone()).or_default() += end - start;
        }
        for (name, secs) in by_name.iter().filter(|(_, s)| **s > 0.0) {
            println!(
                "  {name:<20} {secs:.2} s CPU = {:.2} µs per record",
                secs * 1e6 / n as f64
            );
        }
    }
    drop(kafka);
}

/// User + system CPU seconds of each live thread, by id: (name, seconds).
fn thread_times() -> std::collections::BTreeMap<u32, (String, f64)> {
    let mut out = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir("/proc/self/task").into_iter().flatten() {
        let Ok(entry) = entry else { continue };
        let Ok(tid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_owned();
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        out.insert(tid, (name, (ticks(11) + ticks(12)) / 100.0));
    }
    out
}

/// User + system CPU seconds of this process (it includes the mock broker).
fn cpu_time() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}
