//! Throughput of the Splunk HEC sink into the in-repo fake HEC
//! (`tests/integration/support/hec.rs`, which parses and checks every
//! envelope like Splunk does), over loopback HTTP/1.1, on this machine.
//!
//! Run: `cargo bench --bench splunk_hec` (prints events/s and MB/s per
//! scenario). The fake shares the CPUs with the sink, so the figures are
//! for sink + fake together; the encode-only line shows the sink's own cost.

#[path = "../tests/integration/support/hec/mod.rs"]
#[allow(dead_code)]
mod hec;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use siem_bridge::event::{Disposition, Event};
use siem_bridge::process::Processor;
use siem_bridge::sink::splunk_hec::encode::Encoder;
use siem_bridge::sink::splunk_hec::{SplunkHec, SplunkHecConfig};
use siem_bridge::sink::{Outcome, Sink};

use hec::{FakeHec, HecOptions};

const BATCH: usize = 1_000;

/// `n` distinct enriched events made from the forwarded fixture events.
fn events(n: usize) -> Vec<Arc<Event>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/audit-events/sample.jsonl"
    );
    let raw = std::fs::read(path).expect("shared fixtures beside the repository");
    let p = Processor::default();
    let templates: Vec<serde_json::Value> = raw
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && l.len() < 20_000)
        .filter(|l| matches!(p.process(l, None, 0), Disposition::Forward(_)))
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    (0..n)
        .map(|i| {
            let mut v = templates[i % templates.len()].clone();
            v["id"] = serde_json::json!(format!("bench-{i:07}"));
            match p.process(v.to_string().as_bytes(), None, 0) {
                Disposition::Forward(e) => Arc::new(e),
                _ => unreachable!("templates are forwarded"),
            }
        })
        .collect()
}

fn config(hec: &FakeHec, extra: &str) -> SplunkHecConfig {
    toml::from_str(&format!(
        "endpoint = \"{}\"\ntoken = \"{}\"\nhost = \"bench\"\n{extra}",
        hec.url(),
        hec.token()
    ))
    .unwrap()
}

/// Sends every event in `BATCH`-event sends, `in_flight` sends at a time.
async fn run(label: &str, events: &[Arc<Event>], acks: bool, extra: &str, in_flight: usize) {
    let hec = FakeHec::start(HecOptions {
        acks,
        keep_bodies: false,
        ..HecOptions::default()
    })
    .await;
    let sink = Arc::new(SplunkHec::new("bench".into(), &config(&hec, extra)).unwrap());
    let bytes: usize = events.iter().map(|e| e.json.len()).sum();
    let batches: Vec<Vec<Arc<Event>>> = events.chunks(BATCH).map(<[_]>::to_vec).collect();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let batches = Arc::new(batches);
    let t = Instant::now();
    let workers: Vec<_> = (0..in_flight)
        .map(|_| {
            let (sink, next, batches) = (sink.clone(), next.clone(), batches.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(b) = batches.get(i) else { break };
                    let r = sink.send(b).await;
                    assert!(
                        r.outcomes.iter().all(|o| *o == Outcome::Accepted),
                        "{:?}",
                        r.outcomes[0]
                    );
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(hec.indexed_ids().len(), events.len(), "every event indexed");
    println!(
        "{label:<44} {:>9.0} events/s  {:>6.1} MB/s of events  ({} requests)",
        events.len() as f64 / secs,
        bytes as f64 / secs / 1e6,
        sink.stats().requests
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this
    // binary without it: then only a quick smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 200_000 } else { 2_000 };
    let evs = events(n);
    let avg = evs.iter().map(|e| e.json.len()).sum::<usize>() / evs.len();
    println!("{n} events of {avg} bytes on average (enriched JSON), {BATCH} per send");

    let enc = Encoder::new(
        &toml::from_str("endpoint = \"http://x\"\ntoken = \"t\"\nhost = \"bench\"").unwrap(),
    );
    let t = Instant::now();
    let mut total = 0;
    for e in &evs {
        total += black_box(enc.envelope(e).unwrap()).len();
    }
    black_box(total);
    let ns = t.elapsed().as_nanos() as f64 / evs.len() as f64;
    println!(
        "{:<44} {:>9.0} events/s  ({ns:.0} ns/event, one core)",
        "envelope encoding only",
        1e9 / ns
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        run(
            "acks off, no compression, 1 send in flight",
            &evs,
            false,
            "",
            1,
        )
        .await;
        run(
            "acks off, no compression, 4 sends in flight",
            &evs,
            false,
            "",
            4,
        )
        .await;
        run(
            "acks off, gzip, 4 sends in flight",
            &evs,
            false,
            "compression = \"gzip\"",
            4,
        )
        .await;
        run(
            "acks on (poll 50 ms), 16 sends in flight",
            &evs,
            true,
            "acknowledgements = true\nack_poll_interval_ms = 50",
            16,
        )
        .await;
    });
}
