//! `siem-bridge demo`: the real pipeline on an in-process Kafka, no
//! account and no network. It produces a generated stream
//! ([`generate::stream`]), runs [`crate::pipeline::run`] into a file sink
//! until every record is resolved, and prints what happened.

pub mod generate;

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio_util::sync::CancellationToken;

use crate::kafka::KafkaConfig;
use crate::mock::MockKafka;
use crate::pipeline::{
    self, dead_letter::DeadLetterConfig, stats::Stats, Handle, Parts, PipelineConfig, Summary,
};
use crate::policy::Policy;
use crate::sink::{file::FileConfig, SinkConfig};

/// The reference filter policy (F1–F3 of `tests/data/audit-events/README.md`)
/// the demo applies.
pub const DEMO_POLICY: &str = include_str!("../../../examples/policy/reference.toml");

const TOPIC: &str = "confluent-audit-log-events";

/// `siem-bridge demo --events N --out DIR`, reporting on standard output.
pub async fn command(events: usize, out_dir: &Path) -> anyhow::Result<std::process::ExitCode> {
    let mut stdout = std::io::stdout();
    run(events, out_dir, &mut stdout).await?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// Runs the demo with `events` records, writing into `out_dir`.
pub async fn run(events: usize, out_dir: &Path, out: &mut impl Write) -> anyhow::Result<Summary> {
    std::fs::create_dir_all(out_dir)?;
    let events_path = out_dir.join("events.ndjson");
    let dl_path = out_dir.join("dead-letter.ndjson");
    for p in [&events_path, &dl_path] {
        let _ = std::fs::remove_file(p);
    }
    let kafka = MockKafka::start(1)?;
    kafka.create_topic(TOPIC, 3)?;
    let bootstrap = kafka.bootstrap_servers();
    let records = generate::stream(events, crate::event::now_nanos() / 1_000_000 - 3_600_000);
    produce(&bootstrap, &records).await?;
    writeln!(
        out,
        "demo: produced {} audit records to an in-process Kafka ({bootstrap}), topic {TOPIC}",
        records.len()
    )?;

    let sink = SinkConfig::File(FileConfig {
        name: Some("demo-file".to_owned()),
        path: path_str(&events_path),
        max_file_bytes: 0,
        rotate_secs: 0,
        fsync: Default::default(),
    });
    let parts = Parts {
        detect: None,
        kafka: KafkaConfig {
            bootstrap_servers: bootstrap,
            group_id: "siem-bridge-demo".to_owned(),
            session_timeout_ms: 6_000,
            ..Default::default()
        },
        settings: PipelineConfig {
            batch_linger_ms: 50,
            shutdown_timeout_ms: 5_000,
            ..Default::default()
        },
        dead_letter: DeadLetterConfig {
            path: Some(path_str(&dl_path)),
            ..Default::default()
        },
        policy: demo_policy(),
        sinks: vec![sink.build()?],
    };
    let shutdown = CancellationToken::new();
    let handle: Arc<Mutex<Option<Handle>>> = Arc::default();
    let h = handle.clone();
    let pipeline = tokio::spawn(pipeline::run(parts, shutdown.clone(), move |handle| {
        *h.lock().expect("not poisoned") = Some(handle)
    }));
    // Stop once every produced record is read and resolved.
    let total = records.len() as u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let done = handle
            .lock()
            .expect("not poisoned")
            .as_ref()
            .is_some_and(|h| {
                Stats::get(&h.stats.read) >= total && h.tracker.pending_records() == 0
            });
        if done || pipeline.is_finished() || tokio::time::Instant::now() > deadline {
            break;
        }
    }
    shutdown.cancel();
    let summary = pipeline.await??;
    print_summary(out, &summary, &events_path, &dl_path)?;
    drop(kafka);
    Ok(summary)
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The demo's policy: the reference drop rules F1–F3.
pub fn demo_policy() -> Policy {
    let doc = crate::config::Document::parse("demo policy", DEMO_POLICY);
    let mut doc = doc.expect("the demo policy parses");
    crate::config::policy_from(&mut doc).expect("the demo policy compiles")
}

async fn produce(bootstrap: &str, records: &[Vec<u8>]) -> anyhow::Result<()> {
    let producer: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .create()?;
    let sends = records.iter().enumerate().map(|(i, r)| {
        let key = format!("{i}");
        let producer = &producer;
        async move {
            producer
                .send(
                    FutureRecord::to(TOPIC).key(&key).payload(r),
                    Duration::from_secs(10),
                )
                .await
                .map_err(|(e, _)| anyhow::anyhow!("produce: {e}"))
        }
    });
    futures::future::try_join_all(sends).await?;
    Ok(())
}

fn print_summary(
    out: &mut impl Write,
    s: &Summary,
    events: &Path,
    dl: &Path,
) -> std::io::Result<()> {
    let st = &s.stats;
    writeln!(out)?;
    writeln!(out, "read          {:>7}", Stats::get(&st.read))?;
    writeln!(
        out,
        "forwarded     {:>7}  (delivered to every sink: {})",
        Stats::get(&st.forwarded),
        Stats::get(&st.delivered)
    )?;
    let dropped = st.dropped_by_rule();
    writeln!(out, "dropped       {:>7}", dropped.values().sum::<u64>())?;
    for (rule, n) in &dropped {
        writeln!(out, "  {n:>7}  by rule {rule}")?;
    }
    let dead = st.dead_lettered_by_reason();
    writeln!(out, "dead-lettered {:>7}", dead.values().sum::<u64>())?;
    for (reason, n) in &dead {
        writeln!(out, "  {n:>7}  {reason}")?;
    }
    writeln!(out, "unresolved    {:>7}", s.unresolved)?;
    writeln!(out, "committed offsets: {}", offsets(&s.stored))?;
    let notable = st.notable();
    if !notable.is_empty() {
        writeln!(out, "\nmost severe events (grouped):")?;
        for n in notable {
            writeln!(out, "  {}", n.line())?;
        }
    }
    writeln!(out, "\nenriched events: {}", events.display())?;
    writeln!(out, "dead letters:    {}", dl.display())?;
    Ok(())
}

fn offsets(stored: &[(String, i32, Option<i64>)]) -> String {
    stored
        .iter()
        .map(|(t, p, o)| format!("{t}/{p}@{}", o.map_or("-".to_owned(), |o| o.to_string())))
        .collect::<Vec<_>>()
        .join(" ")
}
