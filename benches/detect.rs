//! The detector's added cost per event, and its memory under a flood.
//!
//! Run: `cargo bench --bench detect`. Prints, for the core bench's ~1.4 KB
//! authorization event (`benches/core.rs`) in a granted and a denied
//! variant, the ns per event that `Detector::observe` adds on top of the
//! core (the enrichment is made beforehand and not timed). Then a flood:
//! `FLOOD` (default 1,000,000) failed authentications, each from its own
//! source address, run in a child process of its own (`MODE=flood`) so
//! that its peak RSS (`VmHWM`) is the detector's and not the benchmark
//! events'. `MAX_STATE_BYTES` and `MAX_OPEN_ALERT_BYTES` set those
//! `[detect]` bounds for every mode (defaults 12 MiB and 4 MiB). `N` sets the number of events per variant (default 200,000;
//! smaller for callgrind, BENCHMARKS.md "Detector"); `ROUNDS` the rounds of the
//! granted and denied variants (default 3), each printed, with the best and the median.
//!
//! `MODE=one_account`: `N` (default 20,000) failed logins for one account
//! from one address, 10 ms apart (a brute force the by-identifier count
//! cannot fire on: one address explains it), ns per event; with `PRINT=1`
//! the events are printed as JSON Lines instead, for `siem-bridge detect`.

use std::hint::black_box;
use std::time::Instant;

use siem_bridge::detect::{DetectConfig, Detector, Emit};
use siem_bridge::event::Enrichment;
use siem_bridge::process::Processor;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn authz(i: usize, granted: bool) -> String {
    let org = "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d";
    let scope = format!(
        "crn://confluent.cloud/organization={org}/environment=env-1ab2c/cloud-cluster=lkc-a1b2c"
    );
    format!(
        r#"{{"specversion":"1.0","id":"7f2c1a9e-{i:08}-4b1f-9c2e-0a1b2c3d4e5f","source":"{scope}","type":"io.confluent.kafka.server/authorization","datacontenttype":"application/json","subject":"{scope}/kafka=lkc-a1b2c/topic=sensitive-payments","time":"2025-01-15T10:{m:02}:{s:02}.{ms:03}Z","data":{{"serviceName":"{scope}","methodName":"kafka.Produce","resourceName":"{scope}/kafka=lkc-a1b2c/topic=sensitive-payments","authenticationInfo":{{"principal":"User:sa-{p:05}","identity":"crn://confluent.cloud/organization={org}/service-account=sa-{p:05}"}},"authorizationInfo":{{"granted":{granted},"operation":"Write","resourceType":"Topic","resourceName":"sensitive-payments","patternType":"LITERAL","aclAuthorization":{{"permissionType":"ALLOW","host":"*"}}}},"request":{{"correlationId":"{i}","clientId":"payments-producer-{p}"}},"requestMetadata":{{"clientAddress":[{{"ip":"203.0.113.{ip}","port":51234}}]}}}}}}"#,
        m = (i / 60_000) % 60,
        s = (i / 1000) % 60,
        ms = i % 1000,
        p = i % 1024,
        ip = i % 250 + 1,
    )
}

fn authn_fail(i: usize) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"f-{i}","source":"crn:///kafka=C1","type":"io.confluent.kafka.server/authentication","time":"2025-01-15T10:00:00.000Z","data":{{"methodName":"kafka.Authentication","authenticationInfo":{{"principal":"None:UNKNOWN_USER","metadata":{{"identifier":"user-{i}"}}}},"requestMetadata":{{"client_address":"/10.{}.{}.{}"}},"result":{{"status":"UNAUTHENTICATED"}}}}}}"#,
        (i >> 16) & 255,
        (i >> 8) & 255,
        i & 255
    )
}

fn authn_fail_one_account(i: usize) -> String {
    let ms = i * 10;
    format!(
        r#"{{"specversion":"1.0","id":"one-{i}","source":"crn:///kafka=C1","type":"io.confluent.kafka.server/authentication","time":"2025-01-15T10:{:02}:{:02}.{:03}Z","data":{{"methodName":"kafka.Authentication","authenticationInfo":{{"principal":"None:UNKNOWN_USER","metadata":{{"identifier":"admin"}}}},"requestMetadata":{{"client_address":"/198.51.100.9"}},"result":{{"status":"UNAUTHENTICATED"}}}}}}"#,
        (ms / 60_000) % 60,
        (ms / 1000) % 60,
        ms % 1000
    )
}

fn one_account(n: usize) {
    let lines: Vec<String> = (0..n).map(authn_fail_one_account).collect();
    if std::env::var("PRINT").is_ok_and(|v| v == "1") {
        for l in &lines {
            println!("{l}");
        }
        return;
    }
    per_event("failed logins, one account, one address", &lines, 3);
}

fn enriched(lines: &[String]) -> Vec<Enrichment> {
    let p = Processor::default();
    lines
        .iter()
        .map(|l| p.enrich(l.as_bytes(), None, 0).expect("valid").1)
        .collect()
}

/// `ROUNDS` (default 3: BENCHMARKS.md's callgrind figures divide by
/// three rounds of `N` events).
fn rounds() -> usize {
    std::env::var("ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(3)
}

fn per_event(label: &str, lines: &[String], rounds: usize) {
    let events = enriched(lines);
    let mut runs = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut d = Detector::new(&config(), Emit::OnFireAndClose).unwrap();
        let mut out = Vec::new();
        let start = Instant::now();
        for (e, l) in events.iter().zip(lines) {
            d.observe(e, l.as_bytes(), &mut out);
            out.clear();
        }
        runs.push(start.elapsed().as_nanos() as f64 / events.len() as f64);
        black_box(d.stats());
    }
    runs.sort_by(f64::total_cmp);
    let (best, median) = (runs[0], runs[runs.len() / 2]);
    let all: Vec<String> = runs.iter().map(|r| format!("{r:.0}")).collect();
    println!(
        "{label}: {best:.0} ns/event added by the detector (best of {rounds}; median {median:.0}; runs {all:?})"
    );
}

/// The defaults, but for `MAX_STATE_BYTES` and `MAX_OPEN_ALERT_BYTES`
/// when set.
fn config() -> DetectConfig {
    let bytes = |k: &str| std::env::var(k).ok().and_then(|v| v.parse().ok());
    let mut cfg = DetectConfig::default();
    if let Some(b) = bytes("MAX_STATE_BYTES") {
        cfg.max_state_bytes = b;
    }
    if let Some(b) = bytes("MAX_OPEN_ALERT_BYTES") {
        cfg.max_open_alert_bytes = b;
    }
    cfg
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    if std::env::var("MODE").as_deref() == Ok("flood") {
        return flood();
    }
    let mode = std::env::var("MODE").unwrap_or_default();
    let default_n = if mode == "one_account" {
        20_000
    } else {
        200_000
    };
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_n);
    if mode == "one_account" {
        return one_account(n);
    }
    // `MODE=granted` or `MODE=denied`: only that part (for a profiler).
    if mode != "denied" {
        let granted: Vec<String> = (0..n).map(|i| authz(i, true)).collect();
        per_event("granted authorization", &granted, rounds());
        drop(granted);
    }
    if mode == "granted" {
        return;
    }
    let denied: Vec<String> = (0..n).map(|i| authz(i, false)).collect();
    per_event("denied authorization on sensitive-*", &denied, rounds());
    drop(denied);
    if mode == "denied" {
        return;
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .env("MODE", "flood")
        .status()
        .expect("run the flood in a child process");
    assert!(status.success());
}

fn flood() {
    let flood: usize = std::env::var("FLOOD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let cfg = config();
    let before = peak_rss_mb();
    let mut d = Detector::new(&cfg, Emit::OnFireAndClose).unwrap();
    let p = Processor::default();
    let mut out = Vec::new();
    let start = Instant::now();
    for i in 0..flood {
        let l = authn_fail(i);
        let (_, e) = p.enrich(l.as_bytes(), None, 0).expect("valid");
        d.observe(&e, l.as_bytes(), &mut out);
        out.clear();
    }
    let secs = start.elapsed().as_secs_f64();
    let s = d.stats();
    println!(
        "flood: {flood} failed logins from distinct addresses in {secs:.1} s; state keys {}, evictions {}, state bytes (estimate) {:.1} MiB of max_state_bytes {:.1} MiB; peak RSS {:.0} MB (at the start {:.0} MB)",
        s.keys, s.evictions, s.state_bytes as f64 / 1048576.0, cfg.max_state_bytes as f64 / 1048576.0, peak_rss_mb(), before
    );
}
