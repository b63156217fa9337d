//! Helpers shared by the benches (each bench is its own crate and declares
//! `mod support;`): the fixture events, the fake and real servers of the
//! integration tests (included by `#[path]`, so `crate::support::…` means
//! the same in both), the runtime, the Kafka backlog.

// Each bench uses a part of this.
#![allow(dead_code)]

use siem_bridge::secret::Secret;

#[path = "../../tests/integration/support/es.rs"]
pub mod es;
#[path = "../../tests/integration/support/fixture.rs"]
pub mod fixture;
#[path = "../../tests/integration/support/hec/mod.rs"]
pub mod hec;
#[path = "../../tests/integration/support/http_fake.rs"]
pub mod http_fake;
#[path = "../../tests/integration/support/osmem.rs"]
pub mod osmem;
#[path = "../../tests/integration/support/pki.rs"]
pub mod pki;
#[path = "../../tests/integration/syslog/rsyslogd.rs"]
pub mod rsyslogd;
#[path = "../../tests/integration/support/syslog_fake.rs"]
pub mod syslog_fake;
#[path = "../../tests/integration/support/wait.rs"]
pub mod wait;

/// `cargo bench` passes `--bench`; `cargo test --all-targets` (and clippy's
/// build) run a bench without it, as a quick smoke run.
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The runtime the sink benches send from: two workers, like the machine.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `LIBRDKAFKA=key=value,…` from the environment: extra consumer settings
/// for A/B runs (e.g. `fetch.queue.backoff.ms=1000`, librdkafka's default).
pub fn librdkafka_options<C: FromIterator<(String, Secret)>>() -> C {
    std::env::var("LIBRDKAFKA")
        .unwrap_or_default()
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), Secret::new(v)))
        .collect()
}

/// The audit topic the backlog benches read.
pub const TOPIC: &str = "confluent-audit-log-events";
/// 64: the mock cluster keeps only about 5 MB per partition.
pub const PARTITIONS: i32 = 64;

/// A backlog of `EVENTS` (default 200,000) of the demo's generated records
/// in an in-process mock cluster: the cluster, the record count and their
/// bytes.
pub fn backlog() -> (siem_bridge::mock::MockKafka, usize, usize) {
    let n: usize = std::env::var("EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let kafka = siem_bridge::mock::MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, PARTITIONS).unwrap();
    let records = siem_bridge::cmd::demo::generate::stream(n, 1_741_078_800_000);
    let bytes_in: usize = records.iter().map(Vec::len).sum();
    kafka.preload(TOPIC, PARTITIONS, &records).unwrap();
    (kafka, n, bytes_in)
}
