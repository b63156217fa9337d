//! Detection state survives `kill -9`: the incident scenario is split in
//! the middle of its brute force (three failed logins before the kill,
//! three after), the `run` binary is killed once the first part is
//! committed, the rest is produced, and the restarted process raises the
//! brute-force alert with every event and the id `siem-bridge detect`
//! gives over the whole file (state rebuilt by re-reading the topic up to
//! the committed offsets; `src/pipeline/restore.rs`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::detect_pipeline::{expected_alerts, incident_lines, LATENESS_SECS};
use crate::process::{spawn_run, write_config_with, KafkaProcess};
use crate::support::kafka::Sending::Pipelined;
use crate::support::kafka::{committed_total, produce, round_robin, TOPIC};
use crate::support::wait::{secs, wait_until, KAFKA_POLL};

/// (rule, group key) → (alert id, event ids) of the last version of each
/// alert in the file sink's output.
fn alerts_in(path: &Path) -> BTreeMap<(String, String), (String, Vec<String>)> {
    let mut out = BTreeMap::new();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["type"] != "io.siem-bridge.detection.alert" {
            continue;
        }
        let d = &v["data"];
        let s = |k: &str| d[k].as_str().unwrap().to_owned();
        let ids = d["event_ids"].as_array().unwrap();
        let ids = ids.iter().map(|x| x.as_str().unwrap().to_owned()).collect();
        out.insert((s("rule"), s("group_key")), (s("id"), ids));
    }
    out
}

async fn wait_committed(bootstrap: &str, group: &str, n: usize) {
    let done = wait_until(secs(60), KAFKA_POLL, async || {
        committed_total(bootstrap, group, TOPIC, 2) >= n as i64
    })
    .await;
    assert!(done, "{n} records not committed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_straddling_a_kill_9_raises_its_alert_with_the_same_id() {
    let lines = incident_lines();
    let expected = expected_alerts(&lines);
    let split = lines
        .iter()
        .position(|l| l.contains("\"id\":\"attack-0451"))
        .expect("the brute force of the scenario");
    let values: Vec<Vec<u8>> = lines.iter().map(|l| l.clone().into_bytes()).collect();
    let kafka = KafkaProcess::start(2);
    let dir = tempfile::tempdir().unwrap();
    let sink = dir.path().join("out.ndjson");
    let group = "g-detect-restart";
    let detect = format!("\n[detect]\nallowed_lateness_secs = {LATENESS_SECS}\n");
    let cfg = write_config_with(dir.path(), &kafka.bootstrap, group, &sink, &detect);

    // First part: three failed logins from the attacker, no alert yet.
    let first = &values[..split];
    produce(&kafka.bootstrap, TOPIC, &round_robin(2, first), Pipelined).await;
    let mut child = spawn_run(&cfg);
    wait_committed(&kafka.bootstrap, group, split).await;
    child.kill().unwrap(); // SIGKILL: the detector's memory is gone
    child.wait().unwrap();
    let before = alerts_in(&sink);
    assert!(
        !before.keys().any(|(rule, _)| rule == "auth_bruteforce"),
        "{before:?}"
    );

    // The rest, read by a new process.
    produce(
        &kafka.bootstrap,
        TOPIC,
        &round_robin(2, &values[split..]),
        Pipelined,
    )
    .await;
    let mut child = spawn_run(&cfg);
    wait_committed(&kafka.bootstrap, group, lines.len()).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let got = loop {
        let got = alerts_in(&sink);
        if expected
            .iter()
            .all(|a| got.contains_key(&(a.rule.clone(), a.group_key.clone())))
            || Instant::now() > deadline
        {
            break got;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());

    for a in &expected {
        let Some((id, ids)) = got.get(&(a.rule.clone(), a.group_key.clone())) else {
            panic!(
                "{} {} not raised after the restart: {got:#?}",
                a.rule, a.group_key
            );
        };
        let all: std::collections::BTreeSet<&String> = a.event_ids.iter().collect();
        assert!(ids.iter().all(|i| all.contains(i)), "{}: {ids:?}", a.rule);
        if a.rule == "auth_bruteforce" {
            // Its first three events were read (and committed) by the
            // killed process: only the re-read brings them back.
            assert_eq!(id, &a.id);
            assert_eq!(ids[..3], a.event_ids[..3], "{ids:?}");
        }
    }
}
