//! Throughput of the `elasticsearch` sink: events → NDJSON (→ gzip) →
//! `POST _bulk` → per-item classification, against the in-repo fake
//! `_bulk` server (a Rust server that parses every action line and
//! answers like Elasticsearch, so it costs CPU on the same machine), in
//! batches of 2,000 events, one batch in flight. Also the encoder alone,
//! and osmem-server (OpenSearch emulator) for scale: it is the bottleneck
//! there, not the sink.
//!
//! Run: `cargo bench --bench es_bulk` (prints events/s and MB/s).

#[path = "../tests/integration/support/es.rs"]
mod es;
#[path = "../tests/integration/support/osmem.rs"]
mod osmem;

use std::sync::Arc;
use std::time::Instant;

use siem_bridge::event::{Disposition, Event};
use siem_bridge::process::Processor;
use siem_bridge::sink::elasticsearch::encode::Encoder;
use siem_bridge::sink::elasticsearch::{
    Compression, ElasticsearchConfig, ElasticsearchSink, Flavor,
};
use siem_bridge::sink::{Outcome, Sink};

const BATCH: usize = 2000;

/// `n` events with unique ids made from the forwarded fixture events
/// under 20 KB.
fn events(n: usize) -> Vec<Arc<Event>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/audit-events/sample.jsonl"
    );
    let p = Processor::default();
    let templates: Vec<serde_json::Value> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| l.len() < 20_000)
        .filter(|l| matches!(p.process(l.as_bytes(), None, 0), Disposition::Forward(_)))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (0..n)
        .map(|i| {
            let mut v = templates[i % templates.len()].clone();
            v["id"] = serde_json::json!(format!("bench-{i:08}"));
            match p.process(v.to_string().as_bytes(), None, 0) {
                Disposition::Forward(e) => Arc::new(e),
                _ => unreachable!("templates are forwarded"),
            }
        })
        .collect()
}

fn report(label: &str, n: usize, bytes: usize, secs: f64) {
    println!(
        "{label:<44} {n:>7} events in {secs:>6.2} s = {:>8.0} events/s, {:>6.1} MB/s of event JSON",
        n as f64 / secs,
        bytes as f64 / secs / 1e6
    );
}

async fn run(label: &str, sink: &ElasticsearchSink, evs: &[Arc<Event>]) {
    let bytes: usize = evs.iter().map(|e| e.json.len()).sum();
    let t = Instant::now();
    for batch in evs.chunks(BATCH) {
        let r = sink.send(batch).await;
        if let Some(o) = r.outcomes.iter().find(|o| **o != Outcome::Accepted) {
            panic!("{label}: {o:?}");
        }
    }
    report(label, evs.len(), bytes, t.elapsed().as_secs_f64());
}

fn sink(url: &str, compression: Compression, flavor: Flavor) -> ElasticsearchSink {
    let mut c = ElasticsearchConfig::new(url);
    c.compression = compression;
    c.flavor = flavor;
    ElasticsearchSink::new("bench".into(), &c).unwrap()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not
    // and runs this as a quick smoke test in debug mode.
    let full = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("ES_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 100_000 } else { 4_000 });
    let evs = events(n);
    let avg = evs.iter().map(|e| e.json.len()).sum::<usize>() / n;
    println!(
        "{n} events, average enriched JSON {avg} bytes, batches of {BATCH}, 1 request in flight"
    );

    let c = ElasticsearchConfig::new("http://unused");
    let enc = Encoder {
        target: c.target().unwrap(),
        action: c.action,
        ecs: false,
    };
    let mut buf = Vec::with_capacity(BATCH * 2 * avg);
    let t = Instant::now();
    for batch in evs.chunks(BATCH) {
        buf.clear();
        for e in batch {
            enc.encode(e, &mut buf).unwrap();
        }
        std::hint::black_box(&buf);
    }
    let bytes: usize = evs.iter().map(|e| e.json.len()).sum();
    report("encode only (no I/O)", n, bytes, t.elapsed().as_secs_f64());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for (label, compression) in [
            ("fake _bulk, gzip (default)", Compression::Gzip),
            ("fake _bulk, no compression", Compression::None),
        ] {
            let fake = es::FakeEs::start().await;
            fake.record(false);
            run(
                label,
                &sink(&fake.url, compression, Flavor::Elasticsearch),
                &evs,
            )
            .await;
            assert_eq!(fake.stored_count(), n, "every event stored");
        }
        let m = n.min(if full { 20_000 } else { 2_000 });
        let os = osmem::Osmem::start();
        let template =
            siem_bridge::sink::elasticsearch::template::index_template(&Default::default());
        os.put("/_index_template/confluent-audit", &template).await;
        run(
            "osmem-server (emulator-bound), gzip",
            &sink(&os.url, Compression::Gzip, Flavor::Opensearch),
            &evs[..m],
        )
        .await;
    });
}
