//! Detection inside the pipeline: the incident scenario
//! (`tests/data/detect/incident.jsonl`) in librdkafka's mock cluster →
//! `run`'s pipeline with `[detect]` and a filter that drops granted events
//! → the fake HEC. The alerts arrive with the ids `siem-bridge detect`
//! gives, a granted event the filter dropped still completes its alert,
//! and no offset is committed past a record whose alerts are not
//! delivered.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use siem_bridge::detect::{Alert, Detector, Emit};
use siem_bridge::mock::MockKafka;
use siem_bridge::process::Processor;
use siem_bridge::sink::splunk_hec::SplunkHecSink;
use siem_bridge::sink::Sink;

use crate::support::hec::{FakeHec, Fault, HecOptions};
use crate::support::kafka::Sending::Pipelined;
use crate::support::kafka::{committed, produce, round_robin, TOPIC};
use crate::support::pipeline::Running;
use crate::support::repo;
use crate::support::wait::{secs, wait_until, KAFKA_POLL};

const PARTITIONS: i32 = 2;

pub fn incident_lines() -> Vec<String> {
    let text =
        std::fs::read_to_string(repo().join("tests/data/detect/incident.jsonl")).expect("incident");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// The `[detect]` of these tests: the defaults, with a short lateness.
pub const LATENESS_SECS: u64 = 3;

/// What `siem-bridge detect` raises over `lines` (final versions).
pub fn expected_alerts(lines: &[String]) -> Vec<Alert> {
    let cfg = siem_bridge::detect::DetectConfig {
        allowed_lateness_secs: LATENESS_SECS,
        ..Default::default()
    };
    let mut d = Detector::new(&cfg, Emit::OnClose).unwrap();
    let p = Processor::default();
    let mut out = Vec::new();
    for l in lines {
        let (_, e) = p.enrich(l.as_bytes(), None, 0).unwrap();
        d.observe(&e, l.as_bytes(), &mut out);
    }
    d.finish(&mut out);
    out
}

/// The `event` of each envelope in an HEC request body.
fn hec_events(body: &[u8]) -> Vec<serde_json::Value> {
    serde_json::Deserializer::from_slice(body)
        .into_iter::<serde_json::Value>()
        .map(|v| v.unwrap()["event"].clone())
        .collect()
}

/// Alert id → (rule, group key, event ids) of every alert the fake HEC
/// accepted (the last version of each).
fn delivered_alerts(hec: &FakeHec) -> BTreeMap<String, (String, String, Vec<String>)> {
    let mut seen = BTreeMap::new();
    for r in hec.received().iter().filter(|r| r.status == 200) {
        for e in hec_events(&r.body) {
            if e["type"] == "io.siem-bridge.detection.alert" {
                let d = &e["data"];
                let ids = d["event_ids"].as_array().unwrap();
                let ids = ids.iter().map(|x| x.as_str().unwrap().to_owned()).collect();
                let text = |k: &str| d[k].as_str().unwrap().to_owned();
                seen.insert(text("id"), (text("rule"), text("group_key"), ids));
            }
        }
    }
    seen
}

fn event_id(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["id"].as_str().unwrap().to_owned()
}

fn write_config(
    dir: &Path,
    bootstrap: &str,
    group: &str,
    hec: &FakeHec,
    detect: &str,
) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    let text = format!(
        r#"
[kafka]
bootstrap_servers = "{bootstrap}"
group_id = "{group}"
session_timeout_ms = 6000
commit_interval_ms = 100
auto_offset_reset = "earliest"

[pipeline]
batch_max_events = 50
batch_linger_ms = 20
retry_initial_ms = 20
retry_max_ms = 200
shutdown_timeout_ms = 3000

[dead_letter]
path = "{dl}"

[observability]
enabled = false

[[filter.drop]]
name = "granted-noise"
verdict = "allowed"

[[sinks]]
type = "splunk_hec"
name = "hec"
endpoint = "{url}"
token = "{token}"
request_timeout_ms = 2000

# A new source address is decided once nothing earlier can come: after
# the allowed lateness of quiet at the end of the scenario.
[detect]
allowed_lateness_secs = {LATENESS_SECS}
{detect}
"#,
        dl = dir.join("dl.ndjson").display(),
        url = hec.url(),
        token = hec.token(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_reach_the_sink_and_hold_their_records_offsets() {
    let lines = incident_lines();
    let expected = expected_alerts(&lines);
    assert_eq!(expected.len(), 8, "{expected:#?}");

    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, PARTITIONS).unwrap();
    let bs = kafka.bootstrap_servers();
    let values: Vec<Vec<u8>> = lines.iter().map(|l| l.clone().into_bytes()).collect();
    let landed = produce(&bs, TOPIC, &round_robin(PARTITIONS, &values), Pipelined).await;
    let at: HashMap<String, (i32, i64)> = lines
        .iter()
        .zip(landed)
        .map(|(l, pos)| (event_id(l), pos))
        .collect();

    let hec = FakeHec::start(HecOptions::default()).await;
    // Alerts are refused (busy) until released; audit events go through.
    hec.fail_when_body_has(Some(("io.siem-bridge.detection.alert", Fault::busy())));
    let dir = tempfile::tempdir().unwrap();
    let group = "detect-pipeline";
    let path = write_config(dir.path(), &bs, group, &hec, "");
    let cfg = siem_bridge::config::load(Some(&path), &|_| None).unwrap();
    let sinks: Vec<Arc<dyn Sink>> = vec![Arc::new(
        SplunkHecSink::new(
            match &cfg.sinks[0] {
                siem_bridge::sink::SinkConfig::SplunkHec(c) => c,
                _ => unreachable!(),
            },
            "hec".into(),
        )
        .unwrap(),
    )];
    let running = Running::start(cfg, sinks);

    // Every record read, every kept event indexed, alerts refused so far.
    let kept: BTreeSet<String> = lines
        .iter()
        .filter(|l| !l.contains("\"granted\":true"))
        .map(|l| event_id(l))
        .collect();
    let ok = wait_until(secs(60), KAFKA_POLL, async || {
        let indexed: BTreeSet<String> = hec.indexed_ids().into_iter().collect();
        running.read() == lines.len() as u64 && kept.is_subset(&indexed)
    })
    .await;
    let indexed: BTreeSet<String> = hec.indexed_ids().into_iter().collect();
    let missing: Vec<&String> = kept.difference(&indexed).collect();
    assert!(
        ok,
        "read {} of {}; not indexed: {missing:?}",
        running.read(),
        lines.len()
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let offsets = committed(&bs, group, TOPIC, PARTITIONS);
    let is_committed = |id: &str| {
        let (p, o) = at[id];
        offsets[&p].is_some_and(|c| o < c)
    };
    // The record that raised an alert holds its partition until the alert
    // is delivered. For these rules that record is one of the alert's
    // events (`new_source_ip` decides once the watermark has passed its
    // event: a later record raises it).
    for a in expected.iter().filter(|a| a.rule != "new_source_ip") {
        assert!(
            !a.event_ids.iter().all(|id| is_committed(id)),
            "{} ({}): every event committed while the alert was refused; offsets {offsets:?}, events at {:?}",
            a.rule,
            a.id,
            a.event_ids.iter().map(|id| at[id]).collect::<Vec<_>>()
        );
    }
    let total: i64 = offsets.values().map(|o| o.unwrap_or(0)).sum();
    assert!(total < lines.len() as i64, "{offsets:?}");
    assert!(hec.indexed_ids().iter().all(|id| !id.starts_with("sb-")));

    hec.fail_when_body_has(None);
    let want: BTreeSet<(String, String)> = expected
        .iter()
        .map(|a| (a.rule.clone(), a.group_key.clone()))
        .collect();
    let ok = wait_until(secs(60), KAFKA_POLL, async || {
        let total: i64 = committed(&bs, group, TOPIC, PARTITIONS)
            .values()
            .map(|o| o.unwrap_or(0))
            .sum();
        let got: BTreeSet<(String, String)> = delivered_alerts(&hec)
            .into_values()
            .map(|(rule, key, _)| (rule, key))
            .collect();
        got == want && total == lines.len() as i64
    })
    .await;
    let got = delivered_alerts(&hec);
    assert!(
        ok,
        "after the release: alerts {got:#?}, offsets {:?}",
        committed(&bs, group, TOPIC, PARTITIONS)
    );
    // What `/metrics` shows of it (the figures are copied once a second).
    let metric = |text: &str, name: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with(&format!("{name} ")));
        line.and_then(|l| l.split(' ').nth(1)?.parse().ok())
            .unwrap_or(-1.0)
    };
    let render =
        || running.with(|h| siem_bridge::observe::metrics::render(h, Duration::from_secs(3600)));
    let ok = wait_until(secs(10), KAFKA_POLL, async || {
        let t = render();
        metric(&t, "siem_bridge_detect_assigned_partitions") == 2.0
            && metric(&t, "siem_bridge_detect_events_total") == lines.len() as f64
    })
    .await;
    let text = render();
    assert!(ok, "{text}");
    assert_eq!(metric(&text, "siem_bridge_detect_topic_partitions"), 2.0);
    assert_eq!(metric(&text, "siem_bridge_detect_partial_view"), 0.0);
    assert!(
        metric(&text, "siem_bridge_alerts_delivered_total") >= 8.0,
        "{text}"
    );
    assert!(
        metric(&text, "siem_bridge_alert_delivery_seconds_count") >= 8.0,
        "{text}"
    );
    assert!(
        metric(&text, "siem_bridge_detect_state_keys") > 0.0,
        "{text}"
    );
    assert!(
        metric(&text, "siem_bridge_detect_state_bytes") > 0.0,
        "{text}"
    );
    let summary = running.stop().await;

    // The alerts `detect` raises, each made of that alert's events. Ids
    // are the same where they cannot depend on the order in which the two
    // partitions were read: sequence rules are anchored on the completing
    // event, single-event and new-value rules on their one event
    // (new values are decided in event time). A threshold alert starts at
    // the first event that had arrived when it fired.
    for a in &expected {
        let (id, (_, _, ids)) = got
            .iter()
            .find(|(_, (rule, key, _))| *rule == a.rule && *key == a.group_key)
            .unwrap_or_else(|| panic!("{} {} not delivered", a.rule, a.group_key));
        let all: BTreeSet<&String> = a.event_ids.iter().collect();
        assert!(ids.iter().all(|id| all.contains(id)), "{}: {ids:?}", a.rule);
        let threshold = [
            "auth_bruteforce",
            "denial_burst",
            "privilege_change_during_denials",
        ];
        if !threshold.contains(&a.rule.as_str()) {
            assert_eq!(id, &a.id, "{}", a.rule);
        }
    }
    // `denied_then_granted` is completed by a granted event the filter
    // dropped: it reached the rules, not the sink.
    let dtg = expected
        .iter()
        .find(|a| a.rule == "denied_then_granted")
        .unwrap();
    let granted = dtg.event_ids.last().unwrap();
    assert!(!hec.indexed_ids().contains(granted));
    let d = summary.detection.expect("detection ran");
    assert!(
        d.alerts_delivered
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 8,
        "{d:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detecting_only_member_sends_alerts_and_no_events() {
    let lines = incident_lines();
    let expected = expected_alerts(&lines);
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 1).unwrap();
    let bs = kafka.bootstrap_servers();
    let values: Vec<Vec<u8>> = lines.iter().map(|l| l.clone().into_bytes()).collect();
    produce(&bs, TOPIC, &round_robin(1, &values), Pipelined).await;
    let hec = FakeHec::start(HecOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let group = "detect-only";
    let path = write_config(dir.path(), &bs, group, &hec, "forward_events = false");
    let cfg = siem_bridge::config::load(Some(&path), &|_| None).unwrap();
    let sinks: Vec<Arc<dyn Sink>> = cfg.sinks.iter().map(|s| s.build().unwrap()).collect();
    let running = Running::start(cfg, sinks);
    let ok = wait_until(secs(60), KAFKA_POLL, async || {
        let total: i64 = committed(&bs, group, TOPIC, 1)
            .values()
            .map(|o| o.unwrap_or(0))
            .sum();
        total == lines.len() as i64 && delivered_alerts(&hec).len() == expected.len()
    })
    .await;
    running.stop().await;
    assert!(ok, "{:#?}", delivered_alerts(&hec));
    let indexed = hec.indexed_ids();
    assert!(
        indexed.iter().all(|id| id.starts_with("sb-")),
        "{indexed:?}"
    );
}
