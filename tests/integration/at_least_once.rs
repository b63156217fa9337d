//! The delivery rules, end to end against a real Kafka protocol peer
//! (librdkafka's mock cluster), with scriptable sinks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use siem_bridge::config::Config;
use siem_bridge::mock::MockKafka;
use siem_bridge::pipeline::{self, stats::Stats, Handle, Summary};
use siem_bridge::sink::Sink;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::kafka_support::*;
use crate::test_sinks::{Behaviour, MemorySink};

/// A pipeline running in the background.
pub struct Running {
    pub shutdown: CancellationToken,
    pub handle: Arc<Mutex<Option<Handle>>>,
    pub task: JoinHandle<Summary>,
}

impl Running {
    pub fn start(config: Config, sinks: Vec<Arc<dyn Sink>>) -> Running {
        let shutdown = CancellationToken::new();
        let handle: Arc<Mutex<Option<Handle>>> = Arc::default();
        let h = handle.clone();
        let task = tokio::spawn({
            let shutdown = shutdown.clone();
            async move {
                pipeline::run(config.pipeline_parts(sinks), shutdown, move |x| {
                    *h.lock().unwrap() = Some(x)
                })
                .await
                .unwrap()
            }
        });
        Running {
            shutdown,
            handle,
            task,
        }
    }

    pub fn read(&self) -> u64 {
        self.handle
            .lock()
            .unwrap()
            .as_ref()
            .map_or(0, |h| Stats::get(&h.stats.read))
    }

    /// Assignments seen so far (0 before the consumer exists).
    pub fn assignments(&self) -> u64 {
        self.handle
            .lock()
            .unwrap()
            .as_ref()
            .map_or(0, |h| h.tracker.assignments())
    }

    pub fn with<T>(&self, f: impl FnOnce(&Handle) -> T) -> T {
        f(self.handle.lock().unwrap().as_ref().expect("started"))
    }

    pub async fn stop(self) -> Summary {
        self.shutdown.cancel();
        self.task.await.unwrap()
    }
}

fn sinks(s: &Arc<MemorySink>) -> Vec<Arc<dyn Sink>> {
    vec![s.clone() as Arc<dyn Sink>]
}

fn ids(range: std::ops::Range<usize>) -> std::collections::HashSet<String> {
    range.map(|n| format!("evt-{n}")).collect()
}

fn setup(partitions: i32) -> (MockKafka, String, tempfile::TempDir) {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, partitions).unwrap();
    let bootstrap = kafka.bootstrap_servers();
    (kafka, bootstrap, tempfile::tempdir().unwrap())
}

fn dl_path(dir: &tempfile::TempDir) -> String {
    dir.path().join("dl.ndjson").to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_every_id_and_commits_every_offset() {
    let (_kafka, bs, dir) = setup(3);
    let mut records = events(0..300);
    records.push(b"not json".to_vec());
    records.push(vec![0xff, 0xfe, b'{']);
    produce(&bs, TOPIC, 3, &records).await;
    let sink = MemorySink::new("mem");
    let run = Running::start(config(&bs, "g-all", &dl_path(&dir)), sinks(&sink));
    assert!(wait_for(30, || committed_total(&bs, "g-all", TOPIC, 3) == 302).await);
    let summary = run.stop().await;
    assert_eq!(sink.ids(), ids(0..300), "0 missing");
    assert_eq!(summary.unresolved, 0);
    let dl = std::fs::read_to_string(dl_path(&dir)).unwrap();
    let lines: Vec<serde_json::Value> = dl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let not_json = lines
        .iter()
        .find(|l| l["reason_code"] == "not_json")
        .unwrap();
    assert_eq!(not_json["raw"], "not json");
    assert_eq!(not_json["kafka"]["topic"], TOPIC);
    assert!(not_json["kafka"]["offset"].is_i64());
    let binary = lines
        .iter()
        .find(|l| l["reason_code"] == "not_utf8")
        .unwrap();
    assert_eq!(binary["raw_base64"], "//57");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k1_out_of_order_completion_keeps_the_watermark() {
    let (_kafka, bs, dir) = setup(1);
    produce(&bs, TOPIC, 1, &events(0..30)).await;
    let sink = MemorySink::new("mem");
    sink.stall_on("evt-0");
    let mut cfg = config(&bs, "g-k1", &dl_path(&dir));
    cfg.pipeline.batch_max_events = 10;
    let run = Running::start(cfg, sinks(&sink));
    // Batches B (10..20) and C (20..30) complete while A (0..10) stalls.
    assert!(wait_for(20, || sink.ids().len() == 20).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        committed(&bs, "g-k1", TOPIC, 1)[&0],
        None,
        "nothing may be committed past the stalled batch"
    );
    sink.release();
    assert!(wait_for(20, || committed(&bs, "g-k1", TOPIC, 1)[&0] == Some(30)).await);
    run.stop().await;
    assert_eq!(sink.ids(), ids(0..30));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k3_rejected_record_blocks_its_partition_while_dead_letter_store_fails() {
    let (_kafka, bs, dir) = setup(1);
    produce(&bs, TOPIC, 1, &events(0..100)).await;
    let sink = MemorySink::new("mem");
    sink.set("evt-50", Behaviour::Reject);
    // The dead-letter path is a directory for now: every write fails.
    let blocker = dir.path().join("dl.ndjson");
    std::fs::create_dir(&blocker).unwrap();
    let dl = blocker.to_string_lossy().into_owned();
    let mut cfg = config(&bs, "g-k3", &dl);
    cfg.pipeline.batch_max_events = 10;
    let run = Running::start(cfg, sinks(&sink));
    assert!(wait_for(20, || sink.ids().len() == 99).await);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        committed(&bs, "g-k3", TOPIC, 1)[&0],
        Some(50),
        "stops right before the unresolved record"
    );
    assert!(
        run.with(|h| h.stats.dead_letter_error()).is_some(),
        "health says the store fails"
    );
    assert_eq!(
        run.with(|h| h.tracker.blocked_at()),
        vec![(TOPIC.to_owned(), 0, 50)]
    );
    std::fs::remove_dir(&blocker).unwrap();
    assert!(wait_for(20, || committed(&bs, "g-k3", TOPIC, 1)[&0] == Some(100)).await);
    let summary = run.stop().await;
    assert_eq!(
        summary.stats.dead_lettered_by_reason().get("sink_rejected"),
        Some(&1)
    );
    let entry: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&dl).unwrap().trim()).unwrap();
    assert_eq!(entry["event_id"], "evt-50");
    assert_eq!(entry["sink"], "mem");
    assert_eq!(entry["status"], "400");
    assert_eq!(entry["kafka"]["offset"], 50);
    assert_eq!(entry["event"]["id"], "evt-50");
    assert_eq!(entry["event"]["enrichment"]["event_id"], "evt-50");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_only_and_dead_lettered_records_still_advance_offsets() {
    let (_kafka, bs, dir) = setup(2);
    let kafka_principal = |n: usize| {
        event(n)
            .replace("User:sa-", "User:kafka")
            .replace("sa-kafka", "kafka")
    };
    let mut records: Vec<Vec<u8>> = (0..40).map(|n| kafka_principal(n).into_bytes()).collect();
    records.extend((0..10).map(|n| format!("garbage {n}").into_bytes()));
    produce(&bs, TOPIC, 2, &records).await;
    let sink = MemorySink::new("mem");
    let mut cfg = config(&bs, "g-filter", &dl_path(&dir));
    let filter: siem_bridge::policy::FilterConfig =
        toml::from_str("[[drop]]\nname = \"broker\"\nprincipal = \"User:kafka*\"\n").unwrap();
    cfg.policy.filter = filter.compile().unwrap();
    let run = Running::start(cfg, sinks(&sink));
    assert!(wait_for(20, || committed_total(&bs, "g-filter", TOPIC, 2) == 50).await);
    let summary = run.stop().await;
    assert!(sink.ids().is_empty());
    assert_eq!(summary.stats.dropped_by_rule().get("broker"), Some(&40));
    assert_eq!(
        summary.stats.dead_lettered_by_reason().get("not_json"),
        Some(&10)
    );
}

/// Records dropped by a filter rule resolve together, not one by one.
/// While a group of them is open they hold their partitions' offsets like
/// any unresolved record; it closes at `batch_max_events` records, after
/// `batch_linger_ms`, or at shutdown.
fn filtered(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|n| {
            event(n)
                .replace("User:sa-", "User:kafka")
                .replace("sa-kafka", "kafka")
                .into_bytes()
        })
        .collect()
}

fn drop_kafka_principals(cfg: &mut Config) {
    let filter: siem_bridge::policy::FilterConfig =
        toml::from_str("[[drop]]\nname = \"broker\"\nprincipal = \"User:kafka*\"\n").unwrap();
    cfg.policy.filter = filter.compile().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_records_resolve_by_count_while_running() {
    let (_kafka, bs, dir) = setup(2);
    produce(&bs, TOPIC, 2, &filtered(40)).await;
    let mut cfg = config(&bs, "g-drop-count", &dl_path(&dir));
    drop_kafka_principals(&mut cfg);
    cfg.pipeline.batch_max_events = 10;
    cfg.pipeline.batch_linger_ms = 60_000;
    let run = Running::start(cfg, sinks(&MemorySink::new("mem")));
    // 40 = 4 full groups of 10: all committed long before the linger.
    assert!(wait_for(20, || committed_total(&bs, "g-drop-count", TOPIC, 2) == 40).await);
    assert_eq!(run.with(|h| h.tracker.pending_records()), 0);
    let summary = run.stop().await;
    assert_eq!(summary.stats.dropped_by_rule().get("broker"), Some(&40));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_group_of_dropped_records_holds_offsets_until_shutdown_resolves_it() {
    let (_kafka, bs, dir) = setup(2);
    produce(&bs, TOPIC, 2, &filtered(30)).await;
    let mut cfg = config(&bs, "g-drop-open", &dl_path(&dir));
    drop_kafka_principals(&mut cfg);
    cfg.pipeline.batch_max_events = 1_000;
    cfg.pipeline.batch_linger_ms = 60_000;
    let run = Running::start(cfg, sinks(&MemorySink::new("mem")));
    assert!(wait_for(20, || run.read() == 30).await);
    // Read and dropped, but the group is open: nothing may be stored yet.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(run.with(|h| h.tracker.pending_records()), 30);
    assert_eq!(committed_total(&bs, "g-drop-open", TOPIC, 2), 0);
    let summary = run.stop().await;
    assert_eq!(summary.unresolved, 0);
    let stored: i64 = summary.stored.iter().filter_map(|(_, _, o)| *o).sum();
    assert_eq!(stored, 30, "{:?}", summary.stored);
    assert_eq!(committed_total(&bs, "g-drop-open", TOPIC, 2), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_records_resolve_after_the_linger_without_more_input() {
    let (_kafka, bs, dir) = setup(2);
    produce(&bs, TOPIC, 2, &filtered(7)).await;
    let mut cfg = config(&bs, "g-drop-linger", &dl_path(&dir));
    drop_kafka_principals(&mut cfg);
    cfg.pipeline.batch_max_events = 1_000;
    cfg.pipeline.batch_linger_ms = 200;
    let run = Running::start(cfg, sinks(&MemorySink::new("mem")));
    assert!(wait_for(20, || committed_total(&bs, "g-drop-linger", TOPIC, 2) == 7).await);
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_restart_loses_nothing() {
    let (_kafka, bs, dir) = setup(4);
    produce(&bs, TOPIC, 4, &events(0..400)).await;
    let first = MemorySink::new("mem");
    first.stall_on("evt-201");
    let mut cfg = config(&bs, "g-resume", &dl_path(&dir));
    cfg.pipeline.shutdown_timeout_ms = 300;
    let run = Running::start(cfg.clone(), sinks(&first));
    assert!(wait_for(20, || run.read() == 400 && first.ids().len() >= 300).await);
    let summary = run.stop().await;
    assert!(
        summary.unresolved > 0,
        "the stalled batch was abandoned, not resolved"
    );
    let after_first = committed_total(&bs, "g-resume", TOPIC, 4);
    assert!(after_first < 400);
    let second = MemorySink::new("mem");
    let run = Running::start(cfg, sinks(&second));
    assert!(wait_for(30, || committed_total(&bs, "g-resume", TOPIC, 4) == 400).await);
    run.stop().await;
    let all: std::collections::HashSet<String> =
        first.ids().union(&second.ids()).cloned().collect();
    assert_eq!(all, ids(0..400), "0 missing");
    assert!(second.ids().contains("evt-201"));
    let dups = first.ids().intersection(&second.ids()).count();
    eprintln!("resume: {dups} duplicates after restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misconfigured_sink_holds_offsets_and_never_dead_letters() {
    let (_kafka, bs, dir) = setup(1);
    produce(&bs, TOPIC, 1, &events(0..20)).await;
    let sink = MemorySink::new("mem");
    sink.set_default(Behaviour::Misconfigured);
    let run = Running::start(config(&bs, "g-401", &dl_path(&dir)), sinks(&sink));
    assert!(wait_for(20, || *sink.sends.lock().unwrap() >= 3).await);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(committed(&bs, "g-401", TOPIC, 1)[&0], None);
    assert!(!run.with(|h| h.stats.health()["mem"].healthy));
    assert!(
        !std::path::Path::new(&dl_path(&dir)).exists(),
        "no dead-letter flood"
    );
    sink.set_default(Behaviour::Accept);
    assert!(wait_for(20, || committed(&bs, "g-401", TOPIC, 1)[&0] == Some(20)).await);
    assert!(run.with(|h| h.stats.health()["mem"].healthy));
    run.stop().await;
    assert_eq!(sink.ids(), ids(0..20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k9_failing_sink_holds_commit_and_healthy_sink_never_resends() {
    let (_kafka, bs, dir) = setup(1);
    produce(&bs, TOPIC, 1, &events(0..50)).await;
    let good = MemorySink::new("good");
    let bad = MemorySink::new("bad");
    bad.set_default(Behaviour::Retry);
    let run = Running::start(
        config(&bs, "g-k9", &dl_path(&dir)),
        vec![good.clone() as Arc<dyn Sink>, bad.clone() as Arc<dyn Sink>],
    );
    assert!(wait_for(20, || good.ids().len() == 50).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(committed(&bs, "g-k9", TOPIC, 1)[&0], None);
    bad.set_default(Behaviour::Accept);
    assert!(wait_for(20, || committed(&bs, "g-k9", TOPIC, 1)[&0] == Some(50)).await);
    run.stop().await;
    assert_eq!(bad.ids(), ids(0..50));
    assert_eq!(good.duplicates(), 0, "the healthy sink got each event once");
}
