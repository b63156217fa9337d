//! The file and stdout sinks, the dead-letter topic, and bounded memory.

use std::sync::Arc;
use std::time::Duration;

use siem_bridge::event::{Disposition, Event};
use siem_bridge::mock::MockKafka;
use siem_bridge::process::Processor;
use siem_bridge::sink::file::{FileConfig, FileSink, Fsync};
use siem_bridge::sink::{Outcome, Sink};

use crate::support::kafka::Sending::Pipelined;
use crate::support::kafka::*;
use crate::support::pipeline::Running;
use crate::support::sinks::MemorySink;
use crate::support::wait::{secs, wait_until, KAFKA_POLL};

fn ev(n: usize) -> Arc<Event> {
    match Processor::default().process(event(n).as_bytes(), None, 0) {
        Disposition::Forward(e) => Arc::new(e),
        other => panic!("{other:?}"),
    }
}

fn lines_in(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn file_sink_writes_ndjson_and_rotates_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/events.ndjson");
    let sink = FileSink::new(
        &FileConfig {
            name: None,
            path: path.to_string_lossy().into(),
            max_file_bytes: 4000,
            rotate_secs: 0,
            fsync: Fsync::Batch,
        },
        "f".into(),
    )
    .unwrap();
    for chunk in (0..30).collect::<Vec<_>>().chunks(3) {
        let batch: Vec<Arc<Event>> = chunk.iter().map(|&n| ev(n)).collect();
        let report = sink.send(&batch).await;
        assert_eq!(report.outcomes, vec![Outcome::Accepted; 3]);
    }
    sink.close().await;
    let files = std::fs::read_dir(dir.path().join("out")).unwrap().count();
    assert!(files > 3, "rotated into {files} files");
    for f in std::fs::read_dir(dir.path().join("out")).unwrap() {
        let len = f.unwrap().metadata().unwrap().len();
        assert!(
            len <= 4000 + 3 * 1500,
            "a file holds at most one batch past the limit: {len}"
        );
    }
    let lines = lines_in(&dir.path().join("out"));
    let ids: Vec<String> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let expected: Vec<String> = (0..30).map(|n| format!("evt-{n}")).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(sorted, want, "every event once, none lost in rotation");
}

#[tokio::test]
async fn file_sink_rotates_by_age_and_reports_unwritable_paths() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.ndjson");
    let sink = FileSink::new(
        &FileConfig {
            name: None,
            path: path.to_string_lossy().into(),
            max_file_bytes: 0,
            rotate_secs: 1,
            fsync: Fsync::Never,
        },
        "f".into(),
    )
    .unwrap();
    assert_eq!(sink.send(&[ev(1)]).await.outcomes, vec![Outcome::Accepted]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(sink.send(&[ev(2)]).await.outcomes, vec![Outcome::Accepted]);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    assert_eq!(lines_in(dir.path()).len(), 2);

    let blocked = FileSink::new(
        &FileConfig {
            name: None,
            path: dir.path().to_string_lossy().into(),
            max_file_bytes: 0,
            rotate_secs: 0,
            fsync: Fsync::Batch,
        },
        "f".into(),
    )
    .unwrap();
    let report = blocked.send(&[ev(3)]).await;
    assert!(
        matches!(report.outcomes[0], Outcome::Retryable(_)),
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_go_to_a_kafka_topic_with_coordinates() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 1).unwrap();
    kafka.create_topic("dead-letters", 1).unwrap();
    let bs = kafka.bootstrap_servers();
    let mut values = records(0..5);
    values.push(b"{\"truncated\":".to_vec());
    produce(&bs, TOPIC, &round_robin(1, &values), Pipelined).await;
    let mut cfg = config(&bs, "g-dlt", "unused");
    cfg.dead_letter.path = None;
    cfg.dead_letter.topic = Some("dead-letters".into());
    let sink = MemorySink::new("mem");
    let run = Running::start(cfg, vec![sink.clone() as Arc<dyn Sink>]);
    let done = async || committed(&bs, "g-dlt", TOPIC, 1)[&0] == Some(6);
    assert!(wait_until(secs(20), KAFKA_POLL, done).await);
    run.stop().await;
    // Read the dead-letter topic back.
    use rdkafka::consumer::{Consumer, StreamConsumer};
    use rdkafka::Message;
    let c: StreamConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &bs)
        .set("group.id", "reader")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    c.subscribe(&["dead-letters"]).unwrap();
    let m = tokio::time::timeout(Duration::from_secs(20), c.recv())
        .await
        .unwrap()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
    assert_eq!(v["reason_code"], "not_json");
    assert_eq!(v["raw"], "{\"truncated\":");
    assert_eq!(v["kafka"]["offset"], 5);
    assert_eq!(
        std::str::from_utf8(m.key().unwrap()).unwrap(),
        format!("{TOPIC}/0/5")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_pauses_while_too_much_is_in_flight() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 2).unwrap();
    let bs = kafka.bootstrap_servers();
    produce(&bs, TOPIC, &round_robin(2, &records(0..2000)), Pipelined).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&bs, "g-pause", &dir.path().join("dl").to_string_lossy());
    cfg.pipeline.batch_max_events = 10;
    cfg.pipeline.batch_max_bytes = 20_000;
    cfg.pipeline.max_in_flight_bytes = 50_000;
    cfg.kafka.prefetch_kbytes = 64;
    let sink = MemorySink::new("mem");
    sink.stall_on("evt-0");
    let run = Running::start(cfg, vec![sink.clone() as Arc<dyn Sink>]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let read_while_stalled = run.read();
    let pending = run.with(|h| h.tracker.pending_bytes());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        run.read(),
        read_while_stalled,
        "no more reading while paused"
    );
    assert!(
        read_while_stalled < 2000,
        "read {read_while_stalled} of 2000 while stalled"
    );
    // Bounded: the limit plus what was already fetched when the pause began.
    assert!(pending < 50_000 + 64 * 1024 * 2, "{pending} bytes pending");
    sink.release();
    let done = async || committed_total(&bs, "g-pause", TOPIC, 2) == 2000;
    assert!(wait_until(secs(30), KAFKA_POLL, done).await);
    run.stop().await;
    assert_eq!(sink.ids().len(), 2000);
}

#[test]
fn zero_config_run_writes_to_stdout() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 1).unwrap();
    let bs = kafka.bootstrap_servers();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(produce(
        &bs,
        TOPIC,
        &round_robin(1, &records(0..10)),
        Pipelined,
    ));
    let dir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .args(["run", "--log", "warn"])
        .current_dir(dir.path())
        .env("CONFLUENT_BOOTSTRAP_SERVERS", &bs)
        .env_remove("CONFLUENT_API_KEY")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while committed(&bs, "siem-bridge", TOPIC, 1)[&0] != Some(10)
        && start.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let ids: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["enrichment"]["event_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 10, "{text}");
}

#[tokio::test]
async fn a_torn_last_line_from_a_crash_does_not_swallow_the_next_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.ndjson");
    // What kill -9 in the middle of a write leaves behind.
    std::fs::write(&path, b"{\"id\":\"evt-torn\",\"sou").unwrap();
    let sink = FileSink::new(
        &FileConfig {
            name: None,
            path: path.to_string_lossy().into(),
            max_file_bytes: 0,
            rotate_secs: 0,
            fsync: Fsync::Batch,
        },
        "f".into(),
    )
    .unwrap();
    assert_eq!(sink.send(&[ev(7)]).await.outcomes, vec![Outcome::Accepted]);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0], "{\"id\":\"evt-torn\",\"sou");
    let v: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(v["id"], "evt-7");
}
