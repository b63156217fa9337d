//! Syslog sink throughput on this machine: encoding per format (one core),
//! then end to end through `SyslogSink::send` in batches of 500, four in
//! flight as the pipeline's default `max_in_flight_batches` (a TCP/TLS
//! batch returns only once settled, ~`settle_ms` after it was written), to
//! (a) an in-process TCP receiver that parses and counts frames, and
//! (b) Debian's rsyslogd writing every message to a file, over plain TCP
//! and over TLS. Events are the forwarded lines of
//! `tests/data/audit-events/sample.jsonl`, repeated.
//!
//! Run: `cargo bench --bench syslog` (needs rsyslogd and openssl:
//! `bash scripts/setup.sh`). Figures go to BENCHMARKS.md by hand.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use siem_bridge::event::{Disposition, Event};
use siem_bridge::process::Processor;
use siem_bridge::sink::syslog::{SyslogConfig, SyslogSink};
use siem_bridge::sink::{Outcome, Sink};
use support::wait::{secs, wait_until, FAKE_POLL};
use support::{rsyslogd, syslog_fake};

const BATCH: usize = 500;

fn fixture() -> Vec<Arc<Event>> {
    support::fixture::sample_lines()
        .iter()
        .filter_map(|l| match Processor::default().process(l, None, 0) {
            Disposition::Forward(e) if e.json.len() < 100_000 => Some(Arc::new(e)),
            _ => None,
        })
        .collect()
}

fn repeat(events: &[Arc<Event>], n: usize) -> Vec<Arc<Event>> {
    events.iter().cycle().take(n).cloned().collect()
}

fn sink(body: &str) -> SyslogSink {
    let c: SyslogConfig = toml::from_str(&format!("hostname = \"bench\"\n{body}")).unwrap();
    SyslogSink::new(&c, "bench".into()).unwrap()
}

fn encode_bench(events: &[Arc<Event>], scale: usize) {
    let n = 200_000 / scale;
    let all = repeat(events, n);
    for format in ["rfc5424", "rfc3164", "cef", "leef"] {
        let s = sink(&format!("address = \"127.0.0.1:9\"\nformat = \"{format}\""));
        let started = Instant::now();
        let mut bytes = 0;
        for e in &all {
            bytes += s.encoder().encode(e).unwrap().message.len();
        }
        let took = started.elapsed().as_secs_f64();
        println!(
            "{:<32} {n:>7} events in {took:>6.2} s = {:>9.0} events/s, {:>6.1} MB/s of messages (one core)",
            format!("encode {format}"),
            n as f64 / took,
            bytes as f64 / took / 1e6
        );
    }
}

/// Batches in flight at once, as the pipeline's default.
const IN_FLIGHT: usize = 4;

async fn send_all(s: &SyslogSink, events: &[Arc<Event>]) -> usize {
    use futures::StreamExt;
    let reports: Vec<_> = futures::stream::iter(events.chunks(BATCH))
        .map(|chunk| async move { (s.send(chunk).await, chunk) })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let mut bytes = 0;
    for (r, chunk) in reports {
        assert!(
            r.outcomes.iter().all(|o| *o == Outcome::Accepted),
            "{:?}",
            r.outcomes[0]
        );
        bytes += chunk.iter().map(|e| e.json.len()).sum::<usize>();
    }
    bytes
}

async fn to_counting_receiver(events: &[Arc<Event>], scale: usize) {
    let n = 200_000 / scale;
    let all = repeat(events, n);
    let fake = syslog_fake::Fake::start(&[syslog_fake::Behavior::Count]).await;
    let s = sink(&format!("address = \"{}\"", fake.address()));
    let started = Instant::now();
    let bytes = send_all(&s, &all).await;
    assert!(
        wait_until(secs(300), FAKE_POLL, async || fake.counted() == n).await,
        "receiver did not get everything"
    );
    report("tcp → counting receiver", n, bytes, started.elapsed());
}

async fn to_rsyslog(events: &[Arc<Event>], scale: usize) {
    let n = 100_000 / scale;
    let all = repeat(events, n);
    let rs = rsyslogd::Rsyslog::start();
    let certs = rs.certs();
    let cases = [
        ("tcp", format!("address = \"127.0.0.1:{}\"", rs.tcp)),
        (
            "tls",
            format!(
                "address = \"localhost:{}\"\nprotocol = \"tls\"\n[tls]\nca_file = \"{}\"",
                rs.tls,
                certs.ca.display()
            ),
        ),
    ];
    for (input, body) in cases {
        let s = sink(&body);
        let started = Instant::now();
        let bytes = send_all(&s, &all).await;
        let sent = started.elapsed();
        assert!(
            wait_until(secs(300), FAKE_POLL, async || rs.lines(input) >= n).await,
            "receiver did not get everything"
        );
        report(
            &format!("{input} → rsyslogd (to file)"),
            n,
            bytes,
            started.elapsed(),
        );
        println!(
            "    (the sink's send() calls took {:.2} s; the rest is rsyslogd catching up)",
            sent.as_secs_f64()
        );
        s.close().await;
    }
}

fn report(what: &str, n: usize, bytes: usize, took: Duration) {
    let s = took.as_secs_f64();
    println!(
        "{what:<32} {n:>7} events in {s:>6.2} s = {:>9.0} events/s, {:>6.1} MB/s of event JSON",
        n as f64 / s,
        bytes as f64 / s / 1e6
    );
}

fn main() {
    let scale = if support::full_run() { 1 } else { 100 };
    let events = fixture();
    println!(
        "{} fixture events, mean enriched JSON {} bytes; batches of {BATCH}",
        events.len(),
        events.iter().map(|e| e.json.len()).sum::<usize>() / events.len()
    );
    encode_bench(&events, scale);
    let rt = support::runtime();
    rt.block_on(to_counting_receiver(&events, scale));
    rt.block_on(to_rsyslog(&events, scale));
}
