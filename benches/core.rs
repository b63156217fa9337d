//! Per-event cost of the core: validate + parse + enrich + filter + render
//! the enriched JSON, for a ~1.4 KB authorization event (`event` below; the
//! event the peer forwarders were measured with), 1,024 variants cycled,
//! one thread.
//!
//! Run: `cargo bench --bench core` (prints ns/event and events/s);
//! `BREAKDOWN=1` first prints the cost of each stage alone; `ESCAPED=1`
//! writes the event as Confluent Platform's Gson does (every `=` of the
//! CRNs and of an mTLS principal as `\u003d`).

use std::hint::black_box;
use std::time::Instant;

use siem_bridge::event::{Disposition, KafkaCoords};
use siem_bridge::process::Processor;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn event(i: usize) -> String {
    let org = "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d";
    let scope = format!(
        "crn://confluent.cloud/organization={org}/environment=env-1ab2c/cloud-cluster=lkc-a1b2c"
    );
    let e = format!(
        r#"{{"specversion":"1.0","id":"7f2c1a9e-{i:04}-4b1f-9c2e-0a1b2c3d4e5f","source":"{scope}","type":"io.confluent.kafka.server/authorization","datacontenttype":"application/json","subject":"{scope}/kafka=lkc-a1b2c/topic=sensitive-payments","time":"2025-01-15T10:31:00.{ms:03}Z","data":{{"serviceName":"{scope}","methodName":"kafka.Produce","resourceName":"{scope}/kafka=lkc-a1b2c/topic=sensitive-payments","authenticationInfo":{{"principal":"{principal}","identity":"crn://confluent.cloud/organization={org}/service-account=sa-{i:05}"}},"authorizationInfo":{{"granted":false,"operation":"Write","resourceType":"Topic","resourceName":"sensitive-payments","patternType":"LITERAL","aclAuthorization":{{"permissionType":"DENY","host":"*"}}}},"request":{{"correlationId":"{i}","clientId":"payments-producer-{i}"}},"requestMetadata":{{"clientAddress":[{{"ip":"203.0.113.{ip}","port":51234}}]}},"result":{{"status":"PERMISSION_DENIED","message":""}}}}}}"#,
        ms = i % 1000,
        ip = i % 250 + 1,
        principal = if std::env::var_os("ESCAPED").is_some() {
            format!("User:CN=sa-{i:05},OU=payments")
        } else {
            format!("User:sa-{i:05}")
        },
    );
    // ESCAPED=1: Confluent Platform's Gson writes every `=` (CRNs, mTLS
    // principals) as \u003d.
    if std::env::var_os("ESCAPED").is_some() {
        e.replace('=', "\\u003d")
    } else {
        e
    }
}

fn main() {
    let events: Vec<String> = (0..1024).map(event).collect();
    let avg_len = events.iter().map(String::len).sum::<usize>() / events.len();
    let p = Processor::default();
    let kafka = KafkaCoords {
        topic: "confluent-audit-log-events".into(),
        partition: 0,
        offset: 0,
        timestamp: Some(1_736_937_060_001),
    };
    // Sanity: the benchmark event is forwarded and enriched.
    match p.process(events[0].as_bytes(), Some(&kafka), 0) {
        Disposition::Forward(e) => assert_eq!(e.enrichment.severity.as_str(), "high"),
        other => panic!("benchmark event not forwarded: {other:?}"),
    }
    if std::env::var_os("BREAKDOWN").is_some() {
        use siem_bridge::event::{enrich, render, validate};
        let sev = &p.policy.severity;
        let n = 300_000;
        let t = Instant::now();
        for i in 0..n {
            black_box(serde_json::from_str::<serde::de::IgnoredAny>(&events[i % 1024]).is_ok());
        }
        println!(
            "serde_json IgnoredAny: {:.0} ns",
            t.elapsed().as_nanos() as f64 / n as f64
        );
        let t = Instant::now();
        for i in 0..n {
            black_box(std::str::from_utf8(events[i % 1024].as_bytes()).is_ok());
            black_box(
                events[i % 1024]
                    .as_bytes()
                    .iter()
                    .filter(|&&b| b == b'{' || b == b'[')
                    .count(),
            );
        }
        println!(
            "utf8+count: {:.0} ns",
            t.elapsed().as_nanos() as f64 / n as f64
        );
        let t = Instant::now();
        for i in 0..n {
            black_box(
                serde_json::from_str::<siem_bridge::event::view::Envelope>(&events[i % 1024])
                    .is_ok(),
            );
        }
        println!(
            "envelope only: {:.0} ns",
            t.elapsed().as_nanos() as f64 / n as f64
        );
        let t = Instant::now();
        for i in 0..n {
            black_box(validate::parse(events[i % 1024].as_bytes(), 1 << 20).is_ok());
        }
        println!("parse: {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
        let t = Instant::now();
        for i in 0..n {
            let (_, env) = validate::parse(events[i % 1024].as_bytes(), 1 << 20).unwrap();
            black_box(enrich::enrich(&env, Some(&kafka), 0, |e| sev.classify(e)));
        }
        println!(
            "parse+enrich: {:.0} ns",
            t.elapsed().as_nanos() as f64 / n as f64
        );
        let (_, env) = validate::parse(events[0].as_bytes(), 1 << 20).unwrap();
        let e = enrich::enrich(&env, Some(&kafka), 0, |e| sev.classify(e));
        let t = Instant::now();
        for _ in 0..n {
            let mut out = Vec::with_capacity(3000);
            render::render(&events[0], &e, &mut out);
            black_box(out);
        }
        println!("render: {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
        let t = Instant::now();
        for _ in 0..n {
            black_box(serde_json::to_vec(&e).unwrap());
        }
        println!(
            "to_vec(enrichment): {:.0} ns ({} bytes)",
            t.elapsed().as_nanos() as f64 / n as f64,
            serde_json::to_vec(&e).unwrap().len()
        );
        let t = Instant::now();
        for _ in 0..n {
            black_box(e.time.to_string());
        }
        println!(
            "time fmt: {:.0} ns",
            t.elapsed().as_nanos() as f64 / n as f64
        );
        let t = Instant::now();
        for i in 0..n {
            black_box(std::str::from_utf8(events[i % 1024].as_bytes()).is_ok());
        }
        println!("utf8: {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
        let t = Instant::now();
        for _ in 0..n {
            black_box(e.clone());
        }
        println!(
            "clone enrichment: {:.0} ns",
            t.elapsed().as_nanos() as f64 / n as f64
        );
        let t = Instant::now();
        for _ in 0..n {
            black_box(sev.classify(&e));
        }
        println!(
            "severity: {:.0} ns",
            t.elapsed().as_nanos() as f64 / n as f64
        );
    }
    let iterations: usize = std::env::var("ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut runs = Vec::new();
    for _ in 0..rounds {
        let start = Instant::now();
        let mut bytes = 0usize;
        for i in 0..iterations {
            if let Disposition::Forward(e) = p.process(events[i % 1024].as_bytes(), Some(&kafka), 0)
            {
                bytes += black_box(e.json.len());
            }
        }
        black_box(bytes);
        runs.push(start.elapsed().as_nanos() as f64 / iterations as f64);
    }
    runs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = runs[runs.len() / 2];
    println!(
        "core: {avg_len} B event, validate+parse+enrich+filter+render: median {median:.0} ns/event ({:.0} events/s/core); runs: {:?}",
        1e9 / median,
        runs.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>()
    );
}
