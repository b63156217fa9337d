//! `siem-bridge demo`: the real pipeline on an in-process Kafka, no
//! account and no network. It produces a generated stream
//! ([`generate::stream`]), runs [`crate::pipeline::run`] into a file sink
//! until every record is resolved, and prints what happened.

pub mod generate;
pub mod story;

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::kafka::KafkaConfig;
use crate::mock::MockKafka;
use crate::observe::ObservabilityConfig;
use crate::pipeline::{
    dead_letter::DeadLetterConfig, stats::Stats, Handle, PipelineConfig, Summary,
};
use crate::policy::Policy;
use crate::sink::{file::FileConfig, SinkConfig};

/// The reference filter policy (F1–F3 of `tests/data/audit-events/README.md`)
/// the demo applies.
pub const DEMO_POLICY: &str = include_str!("../../../examples/policy/reference.toml");

const TOPIC: &str = "confluent-audit-log-events";

/// The fewest records `--events` gives: the attack storyline is the
/// last 60 of them.
pub const MIN_EVENTS: usize = 100;

/// Where the filter rules the demo applies come from.
pub const POLICY_PATH: &str = "examples/policy/reference.toml";

/// `siem-bridge demo --events N --out DIR [--serve]`, reporting on
/// standard output. With `serve`, the in-process Kafka and the endpoints
/// stay up until Ctrl-C.
pub async fn command(
    events: usize,
    out_dir: &Path,
    serve: bool,
) -> anyhow::Result<std::process::ExitCode> {
    let mut stdout = std::io::stdout();
    let until = serve.then(crate::shutdown::on_signal);
    run_until(events, out_dir, until, &mut stdout).await?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// Runs the demo with `events` records, writing into `out_dir`.
pub async fn run(events: usize, out_dir: &Path, out: &mut impl Write) -> anyhow::Result<Summary> {
    run_until(events, out_dir, None, out).await
}

/// [`run`]; with `serve`, the pipeline, its endpoints and the in-process
/// Kafka stay up after the summary until `serve` is cancelled.
pub async fn run_until(
    events: usize,
    out_dir: &Path,
    serve: Option<CancellationToken>,
    out: &mut impl Write,
) -> anyhow::Result<Summary> {
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
    if events < MIN_EVENTS {
        writeln!(
            out,
            "demo: --events {events} is below the minimum; generating {MIN_EVENTS}"
        )?;
    }
    writeln!(
        out,
        "demo: produced {} audit records to an in-process Kafka ({bootstrap}), topic {TOPIC}",
        records.len()
    )?;
    writeln!(
        out,
        "demo: filter rules from {POLICY_PATH} (F1-F3: org-level read-only requests, the CP broker principal, granted access to _confluent* internals)"
    )?;

    let sink = SinkConfig::File(FileConfig {
        name: Some("demo-file".to_owned()),
        path: path_str(&events_path),
        max_file_bytes: 0,
        rotate_secs: 0,
        fsync: Default::default(),
    });
    let config = Config {
        kafka: KafkaConfig {
            bootstrap_servers: bootstrap.clone(),
            group_id: "siem-bridge-demo".to_owned(),
            session_timeout_ms: 6_000,
            ..Default::default()
        },
        pipeline: PipelineConfig {
            batch_linger_ms: 50,
            shutdown_timeout_ms: 5_000,
            ..Default::default()
        },
        dead_letter: DeadLetterConfig {
            path: Some(path_str(&dl_path)),
            ..Default::default()
        },
        policy: demo_policy(),
        observability: match serve {
            Some(_) => ObservabilityConfig {
                listen: listen_address(),
                ..Default::default()
            },
            None => ObservabilityConfig::disabled(),
        },
        sinks: vec![sink.clone()],
        detect: None,
    };
    let shutdown = CancellationToken::new();
    type Started = Arc<Mutex<Option<(Handle, Option<SocketAddr>)>>>;
    let started: Started = Arc::default();
    let h = started.clone();
    let pipeline = tokio::spawn(super::run::serve(
        config,
        vec![sink.build()?],
        shutdown.clone(),
        move |handle, addr| *h.lock().expect("not poisoned") = Some((handle, addr)),
    ));
    // Stop once every produced record is read and resolved.
    let total = records.len() as u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let done = started
            .lock()
            .expect("not poisoned")
            .as_ref()
            .is_some_and(|(h, _)| {
                Stats::get(&h.stats.read) >= total && h.tracker.pending_records() == 0
            });
        if done || pipeline.is_finished() || tokio::time::Instant::now() > deadline {
            break;
        }
    }
    let story = story::tell(&records);
    let serving = serve.is_some();
    if let Some(until) = serve {
        let running = started.lock().expect("not poisoned").clone();
        if let Some((handle, addr)) = running {
            let so_far = Summary {
                stats: handle.stats.clone(),
                stored: handle.tracker.stored(),
                unresolved: handle.tracker.pending_records(),
                detection: handle.detection.clone(),
            };
            print_summary(out, &so_far, &story, &events_path, &dl_path)?;
            print_serving(out, &bootstrap, addr, &events_path)?;
            out.flush()?;
            tokio::select! {
                _ = until.cancelled() => {}
                _ = wait_finished(&pipeline) => {}
            }
        }
    }
    shutdown.cancel();
    let summary = pipeline.await??;
    if !serving {
        print_summary(out, &summary, &story, &events_path, &dl_path)?;
    }
    drop(kafka);
    Ok(summary)
}

/// The usual `127.0.0.1:9464` when it is free, else any free port.
fn listen_address() -> String {
    let usual = ObservabilityConfig::default().listen;
    match std::net::TcpListener::bind(&usual) {
        Ok(_) => usual,
        Err(_) => "127.0.0.1:0".to_owned(),
    }
}

async fn wait_finished<T>(task: &tokio::task::JoinHandle<T>) {
    while !task.is_finished() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn print_serving(
    out: &mut impl Write,
    bootstrap: &str,
    addr: Option<SocketAddr>,
    events: &Path,
) -> std::io::Result<()> {
    writeln!(
        out,
        "
demo: serving until Ctrl-C"
    )?;
    writeln!(
        out,
        "  Kafka bootstrap:          {bootstrap} (topic {TOPIC}, no credentials)"
    )?;
    if let Some(a) = addr {
        writeln!(out, "  /metrics /health /ready:  http://{a}")?;
    }
    writeln!(out, "  try, in another terminal:")?;
    writeln!(
        out,
        "    CONFLUENT_BOOTSTRAP_SERVERS={bootstrap} siem-bridge watch --from-beginning --failed-sensitive"
    )?;
    if let Some(a) = addr {
        writeln!(
            out,
            "    curl -s http://{a}/metrics | grep siem_bridge_events"
        )?;
    }
    writeln!(out, "    siem-bridge detect {}", events.display())?;
    Ok(())
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
    story: &story::Story,
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
    writeln!(
        out,
        "dropped       {:>7}  (by the filter rules of {POLICY_PATH})",
        dropped.values().sum::<u64>()
    )?;
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
    story.print(out)?;
    writeln!(out, "\nenriched events: {}", events.display())?;
    writeln!(out, "dead letters:    {}", dl.display())?;
    let (ev, dl) = (events.display(), dl.display());
    writeln!(out, "\nnext steps:")?;
    writeln!(out, "  siem-bridge detect {ev}")?;
    writeln!(
        out,
        "      the alerts over what was forwarded, as NDJSON (docs/detect.md)"
    )?;
    writeln!(out, "  siem-bridge inspect --format table {ev}")?;
    writeln!(
        out,
        "      each event's severity, verdict, principal and method"
    )?;
    writeln!(
        out,
        "  siem-bridge inspect --config {POLICY_PATH} --format table examples/sample-events.jsonl"
    )?;
    writeln!(out, "      which filter rule drops what (docs/events.md)")?;
    writeln!(out, "  {dl}")?;
    writeln!(
        out,
        "      one JSON line per dead-lettered record, with its reason"
    )?;
    writeln!(out, "  siem-bridge demo --serve")?;
    writeln!(
        out,
        "      keeps this Kafka and /metrics up until Ctrl-C: try `siem-bridge watch` on it"
    )?;
    writeln!(
        out,
        "  your own audit log: set CONFLUENT_BOOTSTRAP_SERVERS, CONFLUENT_API_KEY and CONFLUENT_API_SECRET,"
    )?;
    writeln!(
        out,
        "      then `siem-bridge run` (README.md, \"Running it against Confluent Cloud\")"
    )?;
    Ok(())
}

fn offsets(stored: &[(String, i32, Option<i64>)]) -> String {
    stored
        .iter()
        .map(|(t, p, o)| format!("{t}/{p}@{}", o.map_or("-".to_owned(), |o| o.to_string())))
        .collect::<Vec<_>>()
        .join(" ")
}
