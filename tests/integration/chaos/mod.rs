//! The chaos suite (issue 13): the `siem-bridge run` binary against tansu
//! (a separate broker process) with the fake HEC, Elasticsearch (osmem-server
//! or the in-repo fake) and rsyslog as sinks, under continuous load, while
//! processes are killed, groups rebalance, the broker dies and sinks storm.
//! Verified by ids: every `evt-<n>` reaches every sink, duplicates are
//! counted, and no committed offset ever lies past a record a sink lacks.
//!
//! Parameters (environment; defaults keep `cargo test` to a few minutes on
//! two cores; `scripts/chaos.sh` runs the full version): `CHAOS_KILLS`,
//! `CHAOS_GROUP_STEPS`, `CHAOS_BROKER_KILLS`, `CHAOS_STORM_SECS`,
//! `CHAOS_RATE` (records/s), `CHAOS_SEED`, `CHAOS_BRIDGE_BIN`, `CHAOS_BROKER`
//! (`tansu`: the kill scenario on tansu instead of the mock-kafka process), `CHAOS_KAFKA_TOML`
//! (lines for the bridges' `[kafka]` section). Figures go to
//! `target/chaos/results.ndjson` and into RELIABILITY.md, never asserts.

mod faults;
mod load;
mod procs;
mod soak;
mod verify;
mod world;

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::hec::Fault;
use load::Load;
use procs::Bridge;
use verify::{committed_but_missing, finish};
use world::{World, PARTITIONS};

/// One chaos scenario at a time: each runs a broker, three sinks and
/// bridges on a two-core machine.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn param(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rng(scenario: &str) -> fastrand::Rng {
    let seed = param("CHAOS_SEED", fastrand::u64(..));
    eprintln!("chaos {scenario}: seed {seed} (CHAOS_SEED={seed} replays the choices)");
    fastrand::Rng::with_seed(seed)
}

fn rate() -> usize {
    param("CHAOS_RATE", 200) as usize
}

async fn sleep_ms(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Waits (bounded) until the fake HEC has indexed more than `before`.
async fn wait_delivering(w: &World, before: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while w.hec.indexed_ids().len() <= before && Instant::now() < deadline {
        sleep_ms(5).await;
    }
}

fn max_rss(members: &[Bridge], max: &mut u64) {
    for m in members {
        *max = (*max).max(m.rss_kb().unwrap_or(0));
    }
}

/// `kill -9` of `run` at random moments, restarted each time: while the
/// group is joining (the dead member's session still holds it), mid-batch
/// and mid-commit (shortly after delivery began), mid-retry (while HEC
/// answers 503). After each kill: nothing committed past a missing id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_kill_9_under_load_loses_nothing() {
    let _one = ONE_AT_A_TIME.lock().await;
    let kills = param("CHAOS_KILLS", 4);
    let mut rng = rng("kill-9");
    // On the mock cluster unless CHAOS_BROKER=tansu: tansu keeps killed
    // members in the group for good (RELIABILITY.md), so restarted members
    // wait for partitions that nobody reads.
    let mut w = match std::env::var("CHAOS_BROKER").as_deref() {
        Ok("tansu") => World::start(true).await,
        _ => World::start_on_mock(true).await,
    };
    let load = Load::start(w.kafka.bootstrap(), PARTITIONS, rate(), None);
    let (mut violations, mut rss, mut mid_stream) = (Vec::new(), 0, 0);
    let mut modes = [0usize; 3];
    for _ in 0..kills {
        let before = w.hec.indexed_ids().len();
        let mut b = w.spawn(None);
        let mode = rng.usize(0..3);
        modes[mode] += 1;
        match mode {
            0 => sleep_ms(rng.u64(0..4000)).await,
            1 => {
                wait_delivering(&w, before).await;
                sleep_ms(rng.u64(0..500)).await;
            }
            _ => {
                wait_delivering(&w, before).await;
                w.hec.set_always(Some(Fault::busy()));
                sleep_ms(rng.u64(100..1500)).await;
            }
        }
        max_rss(std::slice::from_ref(&b), &mut rss);
        b.kill9();
        w.hec.set_always(None);
        if w.hec.indexed_ids().len() > before {
            mid_stream += 1;
        }
        let snap = load.snapshot(PARTITIONS);
        violations.extend(committed_but_missing(&w, &snap).await);
    }
    let extra = json!({"kills": kills, "kills_while_delivering": mid_stream,
        "kills_joining_mid_batch_mid_retry": modes});
    finish("kill-9", &mut w, load, Vec::new(), violations, rss, extra).await;
}

/// Two and three members in one group, members `kill -9`ed and added
/// under load: every change is a rebalance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_group_members_killed_and_added_lose_nothing() {
    let _one = ONE_AT_A_TIME.lock().await;
    let steps = param("CHAOS_GROUP_STEPS", 4);
    let mut rng = rng("group");
    let mut w = World::start_on_mock(false).await;
    let load = Load::start(w.kafka.bootstrap(), PARTITIONS, rate(), None);
    let mut members = vec![w.spawn(None), w.spawn(None)];
    let (mut violations, mut rss, mut added, mut killed) = (Vec::new(), 0, 2, 0);
    sleep_ms(3000).await;
    for _ in 0..steps {
        let grow = members.len() < 2 || (members.len() < 3 && rng.bool());
        if grow {
            members.push(w.spawn(None));
            added += 1;
        } else {
            let i = rng.usize(0..members.len());
            members.remove(i).kill9();
            killed += 1;
        }
        sleep_ms(rng.u64(1000..5000)).await;
        max_rss(&members, &mut rss);
        violations.extend(committed_but_missing(&w, &load.snapshot(PARTITIONS)).await);
    }
    let extra = json!({"steps": steps, "members_started": added, "members_killed": killed});
    finish("group", &mut w, load, members, violations, rss, extra).await;
}
