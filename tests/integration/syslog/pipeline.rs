//! The whole pipeline (librdkafka's mock cluster → syslog sink → a fake
//! receiver that keeps closing the connection), checking what issue 13
//! item 6 measured: ids missing at the receiver, and offsets committed
//! while their records had not arrived.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use siem_bridge::sink::Sink;

use super::fake::{Behavior, Fake};
use super::relp::Relp;
use super::{sd_id, sink};
use crate::support::kafka::{committed, config, preloaded, TOPIC};
use crate::support::pipeline::Running;
use crate::support::wait::{secs, wait_until, KAFKA_POLL};

const PARTITIONS: i32 = 4;

/// Ids the receiver has processed.
fn arrived(fake: &Fake) -> HashSet<String> {
    fake.messages().iter().map(|(_, m)| sd_id(m)).collect()
}

/// Ids committed (record `evt-n` sits in partition `n % P` at offset
/// `n / P`: `preload` sends in order) that the receiver does not have.
fn committed_not_arrived(
    committed: &BTreeMap<i32, Option<i64>>,
    arrived: &HashSet<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (&p, c) in committed {
        for offset in 0..c.unwrap_or(0) {
            let id = format!("evt-{}", offset * PARTITIONS as i64 + p as i64);
            if !arrived.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// Runs `n` events through the pipeline into a receiver that closes every
/// `every` frames, dropping what it had read but not processed and what
/// sat in its socket buffer. At each close, the committed offsets are
/// compared with what had arrived. Returns (ids committed before they
/// arrived, seen at any close or once everything was committed; ids
/// missing after shutdown; the sink).
async fn run_closing_receiver(
    group: &str,
    n: usize,
    every: usize,
    sink_keys: &str,
) -> (usize, usize, Arc<siem_bridge::sink::syslog::SyslogSink>) {
    let kafka = preloaded(n, PARTITIONS);
    let bs = kafka.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let slow = Behavior::SlowCloseAfter {
        k: every,
        per_sec: 10_000,
    };
    let fake = Fake::start_with_buffer(&[slow], 2 << 20).await;
    let s = sink(&format!(
        "address = \"{}\"\nreconnect_backoff_min_ms = 10\n{sink_keys}",
        fake.address()
    ));
    let mut cfg = config(&bs, group, &dir.path().join("dl").to_string_lossy());
    cfg.pipeline.batch_max_events = 500;
    let run = Running::start(cfg, vec![s.clone() as Arc<dyn Sink>]);

    let mut ahead = HashSet::new();
    let mut closes_seen = 0;
    let all_committed = |c: &BTreeMap<i32, Option<i64>>| {
        c.values().map(|o| o.unwrap_or(0)).sum::<i64>() == n as i64
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not committed in 120 s"
        );
        let closes = fake.closed_by_us();
        if closes > closes_seen {
            // The receiver just closed: committed offsets first, then what
            // arrived (it only grows), so the check is never too strict.
            closes_seen = closes;
            let c = committed(&bs, group, TOPIC, PARTITIONS);
            ahead.extend(committed_not_arrived(&c, &arrived(&fake)));
        }
        let c = committed(&bs, group, TOPIC, PARTITIONS);
        if all_committed(&c) {
            ahead.extend(committed_not_arrived(&c, &arrived(&fake)));
            break;
        }
        let _ = wait_until(secs(1), KAFKA_POLL, async || {
            fake.closed_by_us() > closes_seen
        })
        .await;
    }
    let summary = run.stop().await;
    assert_eq!(summary.unresolved, 0);
    let got = arrived(&fake);
    let missing = (0..n)
        .filter(|i| !got.contains(&format!("evt-{i}")))
        .count();
    println!(
        "closing receiver ({n} events, close every {every} frames, {sink_keys:?}): {} closes, {} ids committed before they arrived, {missing} missing after shutdown, {} messages received, stats {:?}",
        fake.closed_by_us(),
        ahead.len(),
        fake.messages().len(),
        s.stats()
    );
    (ahead.len(), missing, s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_closing_every_5000_frames_loses_nothing_and_commits_only_what_arrived() {
    // The harness of issue 13 item 6: 20,000 events, the receiver closes
    // every 5,000 frames and loses its buffers each time.
    let (ahead, missing, _) = run_closing_receiver("g-syslog-close", 20_000, 5_000, "").await;
    assert_eq!(missing, 0, "every id arrives");
    assert_eq!(ahead, 0, "no offset committed before its record arrived");
}

/// Ids rsyslogd wrote for `input`.
fn relp_arrived(relp: &Relp, input: &str) -> HashSet<String> {
    relp.received(input).iter().map(|m| sd_id(m)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relp_commits_only_acknowledged_messages_through_kill_and_restart() {
    // rsyslogd acknowledges a message after writing it (direct queue), so
    // right after a kill -9 the file holds everything it acknowledged:
    // nothing committed may be missing from it.
    let n = 8_000;
    let kafka = preloaded(n, PARTITIONS);
    let bs = kafka.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let mut relp = Relp::start();
    let s = sink(&format!(
        "address = \"127.0.0.1:{}\"\nprotocol = \"relp\"\nreconnect_backoff_min_ms = 20",
        relp.plain
    ));
    let group = "g-relp";
    let mut cfg = config(&bs, group, &dir.path().join("dl").to_string_lossy());
    // Small batches, few in flight: slow enough that both restarts land
    // mid-stream.
    cfg.pipeline.batch_max_events = 10;
    cfg.pipeline.max_in_flight_batches = 2;
    let run = Running::start(cfg, vec![s.clone() as Arc<dyn Sink>]);

    let mut ahead = HashSet::new();
    for (phase, at) in [("kill -9", n / 10), ("SIGTERM", n / 2)] {
        assert!(
            wait_until(secs(60), KAFKA_POLL, async || relp.received("relp").len()
                >= at)
            .await,
            "{phase}: stuck at {}",
            relp.received("relp").len()
        );
        tokio::task::block_in_place(|| match phase {
            "kill -9" => relp.kill(),
            _ => relp.stop(),
        });
        let c = committed(&bs, group, TOPIC, PARTITIONS);
        let behind = committed_not_arrived(&c, &relp_arrived(&relp, "relp"));
        println!(
            "RELP {phase} after {} messages: {} committed, {} of them not written by rsyslogd",
            relp.received("relp").len(),
            c.values().map(|o| o.unwrap_or(0)).sum::<i64>(),
            behind.len()
        );
        ahead.extend(behind);
        assert!(
            relp.received("relp").len() < n,
            "{phase} came after the end"
        );
        tokio::task::block_in_place(|| relp.restart());
    }
    let all = |c: &BTreeMap<i32, Option<i64>>| c.values().map(|o| o.unwrap_or(0)).sum::<i64>();
    assert!(
        wait_until(secs(90), KAFKA_POLL, async || all(&committed(
            &bs, group, TOPIC, PARTITIONS
        )) == n as i64)
        .await,
        "not all committed: {:?}",
        s.stats()
    );
    let summary = run.stop().await;
    assert_eq!(summary.unresolved, 0);
    let got = relp_arrived(&relp, "relp");
    let missing = (0..n)
        .filter(|i| !got.contains(&format!("evt-{i}")))
        .count();
    println!(
        "RELP pipeline: {n} events, {missing} missing, {} messages written, stats {:?}",
        relp.received("relp").len(),
        s.stats()
    );
    assert_eq!(missing, 0);
    assert!(
        ahead.is_empty(),
        "committed before acknowledged: {:?}",
        ahead.iter().take(5).collect::<Vec<_>>()
    );
    assert!(s.stats().connects >= 3);
}
