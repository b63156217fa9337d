//! Chaos beyond the bridge process: the broker killed and restarted under
//! load, sink storms, and the dead-letter store out of space.

use std::time::{Duration, Instant};

use serde_json::json;

use super::load::Load;
use super::procs::{ready, Bridge};
use super::verify::{assert_nothing_lost, committed_but_missing, drain, finish, report, tally};
use super::world::{Es, World, PARTITIONS};
use super::{max_rss, param, rate, rng, sleep_ms, ONE_AT_A_TIME};
use crate::support::hec::Fault;

/// `kill -9` of tansu under load, restarted on the same database after a
/// while: the bridge waits, resumes, never exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_broker_killed_and_restarted_loses_nothing() {
    let _one = ONE_AT_A_TIME.lock().await;
    let kills = param("CHAOS_BROKER_KILLS", 1);
    let down_ms = param("CHAOS_BROKER_DOWN_MS", 3000);
    let mut rng = rng("broker");
    let mut w = World::start(false).await;
    let load = Load::start(w.kafka.bootstrap(), PARTITIONS, rate(), None);
    let mut members = vec![w.spawn(None)];
    let (mut violations, mut rss, mut survived) = (Vec::new(), 0, true);
    sleep_ms(3000).await;
    for _ in 0..kills {
        sleep_ms(rng.u64(0..2000)).await;
        w.kafka.kill();
        sleep_ms(down_ms).await;
        max_rss(&members, &mut rss);
        w.kafka.restart();
        sleep_ms(4000).await;
        survived &= members[0].alive();
        violations.extend(committed_but_missing(&w, &load.snapshot(PARTITIONS)).await);
    }
    let extra = json!({"broker_kills": kills, "down_ms": down_ms, "bridge_survived": survived});
    let clean = finish("broker", &mut w, load, members, violations, rss, extra).await;
    assert!(survived, "the bridge exited while the broker was down");
    assert!(clean, "the bridge did not exit cleanly on SIGTERM");
}

/// A storm: what it does to a sink, applied for its duration.
#[derive(Clone, Copy, Debug)]
pub enum Storm {
    Hec503,
    Hec429,
    HecAuthThenRecover,
    EsItem429,
    SyslogResets,
    HecNeverAnswers,
}

pub const STORMS: [Storm; 6] = [
    Storm::Hec503,
    Storm::Hec429,
    Storm::HecAuthThenRecover,
    Storm::EsItem429,
    Storm::SyslogResets,
    Storm::HecNeverAnswers,
];

/// Applies `storm` for `secs`, sampling RSS every 250 ms and checking
/// the commit every 2 s; returns the guarantee's violations.
pub async fn storm(
    w: &World,
    load: &Load,
    members: &[Bridge],
    storm: Storm,
    secs: u64,
    rss: &mut u64,
) -> Vec<String> {
    let es = match &w.es {
        Es::Fake(f) => Some(f),
        Es::Osmem(_) => None,
    };
    match storm {
        Storm::Hec503 => w.hec.set_always(Some(Fault::busy())),
        Storm::Hec429 => w.hec.set_always(Some(Fault::Reply {
            status: 429,
            body: r#"{"text":"Server is busy","code":9}"#.into(),
            retry_after: Some(1),
        })),
        Storm::HecAuthThenRecover => {
            w.hec
                .set_always(Some(Fault::code(401, 3, "Invalid authorization")))
        }
        Storm::EsItem429 => es.expect("the fake ES").item_429_every(Some(3)),
        Storm::SyslogResets | Storm::HecNeverAnswers => {}
    }
    if let Storm::HecNeverAnswers = storm {
        w.hec
            .set_always(Some(Fault::Delay(Duration::from_secs(3600))));
    }
    let (start, mut violations, mut last_check) = (Instant::now(), Vec::new(), Instant::now());
    while start.elapsed() < Duration::from_secs(secs) {
        sleep_ms(250).await;
        max_rss(members, rss);
        if matches!(storm, Storm::SyslogResets) {
            w.proxy.reset();
        }
        if matches!(storm, Storm::HecAuthThenRecover) && start.elapsed().as_secs() * 2 >= secs {
            w.hec.set_always(Some(Fault::code(403, 4, "Invalid token")));
        }
        if last_check.elapsed() >= Duration::from_secs(2) {
            violations.extend(committed_but_missing(w, &load.snapshot(PARTITIONS)).await);
            last_check = Instant::now();
        }
    }
    w.hec.set_always(None);
    if let Some(es) = es {
        es.item_429_every(None);
    }
    violations
}

/// Sink storms one after another under load: HEC 503 and 429 (with
/// Retry-After), 401 then 403 that recover, Elasticsearch item-level
/// 429s, syslog connections reset every 250 ms, HEC accepting and never
/// answering. Nothing committed past an unresolved record; RSS sampled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_sink_storms_lose_nothing_and_commit_nothing_unresolved() {
    let _one = ONE_AT_A_TIME.lock().await;
    let secs = param("CHAOS_STORM_SECS", 4);
    let mut w = World::start(false).await;
    let load = Load::start(w.kafka.bootstrap(), PARTITIONS, rate(), None);
    let members = vec![w.spawn(None)];
    let (mut violations, mut rss) = (Vec::new(), 0);
    sleep_ms(3000).await;
    let mut phases = Vec::new();
    for s in STORMS {
        let before = w.hec.indexed_ids().len();
        violations.extend(storm(&w, &load, &members, s, secs, &mut rss).await);
        phases.push(json!({"storm": format!("{s:?}"), "hec_indexed_during": w.hec.indexed_ids().len() - before}));
        sleep_ms(2000).await;
    }
    let extra = json!({"storm_secs": secs, "phases": phases});
    finish("storms", &mut w, load, members, violations, rss, extra).await;
}

/// The dead-letter store out of space (RLIMIT_FSIZE on the bridge, SIGXFSZ
/// ignored: writes fail with EFBIG like ENOSPC): the bridge stops
/// committing past the record it cannot store, says so in its log and on
/// `/ready`, and resumes when the limit is lifted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_dead_letter_full_blocks_commit_then_resumes() {
    let _one = ONE_AT_A_TIME.lock().await;
    let secs = param("CHAOS_STORM_SECS", 4);
    let mut w = World::start(false).await;
    let load = Load::start(w.kafka.bootstrap(), PARTITIONS, rate(), Some(20));
    let mut members = vec![w.spawn(Some(2048))];
    let mut violations = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !w.logs().contains("Dead-letter write failed") && Instant::now() < deadline {
        sleep_ms(100).await;
    }
    let said_in_log = w.logs().contains("Dead-letter write failed");
    let mut not_ready = None;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        sleep_ms(500).await;
        if let Some((503, body)) = ready(w.obs_port).await {
            not_ready = not_ready.or(Some(body));
        }
    }
    violations.extend(committed_but_missing(&w, &load.snapshot(PARTITIONS)).await);
    let stored_while_full = w.dead_lettered().len();
    members[0].set_fsize(libc::RLIM_INFINITY);
    let mut ready_again = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready_again && Instant::now() < deadline {
        sleep_ms(250).await;
        ready_again = matches!(ready(w.obs_port).await, Some((200, _)));
    }
    let p = load.stop(PARTITIONS).await;
    let drained = drain(&mut w, &p, &mut members).await;
    violations.extend(committed_but_missing(&w, &p).await);
    let clean = members.iter_mut().all(Bridge::term);
    let t = tally(&w, &p).await;
    let extra = json!({"limit_bytes": 2048, "said_in_log": said_in_log,
        "ready_said": not_ready, "dead_lettered_while_full": stored_while_full,
        "ready_again": ready_again, "drained": drained, "clean_exit": clean});
    report("dead-letter-full", &p, &t, violations.len(), 0, extra);
    assert_nothing_lost("dead-letter-full", &t, &violations);
    assert!(
        said_in_log,
        "no log line about the failing dead-letter store"
    );
    let body = not_ready.expect("/ready never said 503 while the store was full");
    assert!(body.contains("dead-letter"), "/ready said {body:?}");
    assert!(
        ready_again && drained,
        "ready again {ready_again}, drained {drained}"
    );
}
