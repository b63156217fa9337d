//! `/metrics`, `/health` and `/ready` scraped over HTTP from a pipeline
//! running on librdkafka's mock cluster, with the values checked.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use siem_bridge::cmd;
use siem_bridge::config::{self, Config, Document};
use siem_bridge::mock::MockKafka;
use siem_bridge::pipeline::{Handle, Summary};
use siem_bridge::sink::Sink;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::support::kafka::Sending::Pipelined;
use crate::support::kafka::*;
use crate::support::sinks::{Behaviour, MemorySink};
use crate::support::wait::{secs, wait_until, KAFKA_POLL};

mod probe;

/// The handle and the endpoints' address, once the pipeline started.
type Started = Arc<Mutex<Option<(Handle, Option<SocketAddr>)>>>;

/// A pipeline with its endpoints on an ephemeral port.
struct Served {
    shutdown: CancellationToken,
    started: Started,
    task: JoinHandle<Summary>,
}

impl Served {
    async fn start(mut config: Config, sinks: Vec<Arc<dyn Sink>>) -> (Served, String) {
        config.observability.enabled = true;
        config.observability.listen = "127.0.0.1:0".into();
        let shutdown = CancellationToken::new();
        let started: Started = Arc::default();
        let s = started.clone();
        let task = tokio::spawn({
            let shutdown = shutdown.clone();
            async move {
                cmd::run::serve(config, sinks, shutdown, move |h, a| {
                    *s.lock().unwrap() = Some((h, a))
                })
                .await
                .unwrap()
            }
        });
        let done = async || started.lock().unwrap().is_some();
        assert!(wait_until(secs(10), KAFKA_POLL, done).await);
        let addr = started
            .lock()
            .unwrap()
            .as_ref()
            .unwrap()
            .1
            .expect("enabled");
        let served = Served {
            shutdown,
            started,
            task,
        };
        (served, format!("http://{addr}"))
    }

    async fn stop(self) -> Summary {
        drop(self.started);
        self.shutdown.cancel();
        self.task.await.unwrap()
    }
}

async fn get(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The samples of an exposition: `name{labels}` → value.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_owned(), v.parse().unwrap())
        })
        .collect()
}

async fn metrics(base: &str) -> BTreeMap<String, f64> {
    let (status, body) = get(&format!("{base}/metrics")).await;
    assert_eq!(status, 200);
    samples(&body)
}

/// Polls the metrics every 100 ms until `cond` holds (up to 30 s);
/// returns the last answer, for the caller's assertions.
async fn metrics_until(
    base: &str,
    cond: impl Fn(&BTreeMap<String, f64>) -> bool,
) -> BTreeMap<String, f64> {
    let mut last = BTreeMap::new();
    wait_until(secs(30), Duration::from_millis(100), async || {
        last = metrics(base).await;
        cond(&last)
    })
    .await;
    last
}

fn lag(p: i32) -> String {
    format!("siem_bridge_consumer_lag{{topic=\"{TOPIC}\",partition=\"{p}\"}}")
}

fn headroom(p: i32) -> String {
    format!("siem_bridge_retention_headroom_hours{{topic=\"{TOPIC}\",partition=\"{p}\"}}")
}

fn with_policy(mut c: Config, toml: &str) -> Config {
    let mut doc = Document::parse("policy", toml).unwrap();
    c.policy = config::policy_from(&mut doc).unwrap();
    doc.finish().unwrap();
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_lag_and_headroom_after_every_record_is_committed() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 3).unwrap();
    let bs = kafka.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let mut values = records(0..60);
    values.push(b"not json".to_vec());
    produce(&bs, TOPIC, &round_robin(3, &values), Pipelined).await;
    let config = with_policy(
        config(
            &bs,
            "g-metrics",
            &dir.path().join("dl").display().to_string(),
        ),
        "[[filter.drop]]\nname = \"drop-sa-7\"\nprincipal = [\"User:sa-7\"]\n",
    );
    let sink = MemorySink::new("mem");
    let (run, base) = Served::start(config, vec![sink.clone() as Arc<dyn Sink>]).await;
    let done = async || committed_total(&bs, "g-metrics", TOPIC, 3) == 61;
    assert!(wait_until(secs(30), KAFKA_POLL, done).await);
    let m = metrics_until(&base, |m| (0..3).all(|p| m.get(&lag(p)) == Some(&0.0))).await;
    let v = |k: &str| {
        m.get(k)
            .copied()
            .unwrap_or_else(|| panic!("no {k} in {m:#?}"))
    };
    assert_eq!(v("siem_bridge_events_read_total"), 61.0);
    assert_eq!(v("siem_bridge_events_forwarded_total"), 59.0);
    assert_eq!(v("siem_bridge_events_delivered_total"), 59.0);
    assert_eq!(
        v("siem_bridge_events_dropped_total{rule=\"drop-sa-7\"}"),
        1.0
    );
    assert_eq!(
        v("siem_bridge_events_dead_lettered_total{reason=\"not_json\"}"),
        1.0
    );
    assert_eq!(
        v("siem_bridge_sink_events_total{sink=\"mem\",outcome=\"accepted\"}"),
        59.0
    );
    assert_eq!(v("siem_bridge_retries_total"), 0.0);
    let requests = v("siem_bridge_sink_requests_total{sink=\"mem\",outcome=\"accepted\"}");
    assert!(
        requests >= 2.0,
        "59 events over 3 partitions in batches of 50"
    );
    assert_eq!(
        v("siem_bridge_sink_request_duration_seconds_count{sink=\"mem\"}"),
        requests
    );
    assert_eq!(
        v("siem_bridge_sink_request_duration_seconds_bucket{sink=\"mem\",le=\"+Inf\"}"),
        requests
    );
    assert_eq!(v("siem_bridge_sink_healthy{sink=\"mem\"}"), 1.0);
    assert_eq!(v("siem_bridge_dead_letter_healthy"), 1.0);
    assert_eq!(v("siem_bridge_in_flight_records"), 0.0);
    for p in 0..3 {
        assert_eq!(
            v(&headroom(p)),
            168.0,
            "nothing behind: the whole retention"
        );
    }
    assert_eq!(
        get(&format!("{base}/health")).await,
        (200, "alive\n".into())
    );
    assert_eq!(get(&format!("{base}/ready")).await, (200, "ready\n".into()));
    assert_eq!(get(&format!("{base}/nope")).await.0, 404);
    run.stop().await;
    assert_eq!(sink.ids().len(), 59);
}

/// `n` events for partition 0 with Kafka timestamps `age` ago.
fn aged(n: usize, age: Duration) -> Vec<Record> {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .saturating_sub(age)
        .as_millis() as i64;
    (0..n)
        .map(|i| Record {
            value: event(i).into_bytes(),
            partition: 0,
            key: None,
            timestamp: Some(ts),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_sink_shows_as_lag_shrinking_headroom_and_not_ready() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 1).unwrap();
    let bs = kafka.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    // Records written 100 hours ago: 68 of the 168 retention hours left.
    produce(
        &bs,
        TOPIC,
        &aged(20, Duration::from_secs(100 * 3600)),
        Sending::OneAtATime,
    )
    .await;
    let sink = MemorySink::new("mem");
    sink.stall_on("evt-5");
    let config = config(&bs, "g-stuck", &dir.path().join("dl").display().to_string());
    let (run, base) = Served::start(config, vec![sink.clone() as Arc<dyn Sink>]).await;

    let m = metrics_until(&base, |m| m.get(&lag(0)) == Some(&20.0)).await;
    assert_eq!(m.get(&lag(0)), Some(&20.0), "nothing committable: {m:#?}");
    assert_eq!(m["siem_bridge_events_read_total"], 20.0);
    let h = m[&headroom(0)];
    assert!(h > 67.9 && h < 68.0, "headroom {h}");
    assert_eq!(get(&format!("{base}/ready")).await, (200, "ready\n".into()));

    // The sink's credentials break: not ready, and it says why.
    sink.set_default(Behaviour::Misconfigured);
    sink.release();
    let mut ready = (0, String::new());
    for _ in 0..100 {
        ready = get(&format!("{base}/ready")).await;
        if ready.0 == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        ready,
        (
            503,
            "not ready: sink `mem` is unhealthy: 401 bad token\n".into()
        )
    );
    let m = metrics(&base).await;
    assert_eq!(m["siem_bridge_sink_healthy{sink=\"mem\"}"], 0.0);
    assert!(m["siem_bridge_sink_requests_total{sink=\"mem\",outcome=\"misconfigured\"}"] >= 1.0);
    assert!(m["siem_bridge_retries_total"] >= 1.0);
    assert_eq!(m[&lag(0)], 20.0);
    assert_eq!(
        get(&format!("{base}/health")).await.0,
        200,
        "alive all along"
    );

    // Fixed: ready again, everything committed, nothing at risk.
    sink.set_default(Behaviour::Accept);
    let m = metrics_until(&base, |m| m.get(&lag(0)) == Some(&0.0)).await;
    assert_eq!(m[&lag(0)], 0.0);
    assert_eq!(m[&headroom(0)], 168.0);
    assert_eq!(get(&format!("{base}/ready")).await, (200, "ready\n".into()));
    run.stop().await;
    let done = async || committed_total(&bs, "g-stuck", TOPIC, 1) == 20;
    assert!(wait_until(secs(10), KAFKA_POLL, done).await);
    assert_eq!(sink.ids().len(), 20);
}

#[test]
fn json_logs_carry_a_batch_span_and_a_sink_span() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .args(["demo", "--events", "60", "--log-format", "json"])
        .args(["--log", "siem_bridge::pipeline=debug", "--out"])
        .arg(dir.path().join("demo"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let sent: Vec<serde_json::Value> = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "Sent.")
        .collect();
    assert!(!sent.is_empty(), "{stderr}");
    let mut events = 0;
    for line in &sent {
        let spans = line["spans"].as_array().unwrap();
        assert_eq!(spans.len(), 2, "{line}");
        let (batch, sink) = (&spans[0], &spans[1]);
        assert_eq!(batch["name"], "batch");
        assert!(batch["partitions"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{TOPIC}/")));
        assert!(batch["first_offset"].as_i64() <= batch["last_offset"].as_i64());
        assert_eq!(batch["events"], line["fields"]["events"]);
        assert_eq!(sink["name"], "sink");
        assert_eq!(sink["sink"], "demo-file");
        events += line["fields"]["events"].as_u64().unwrap();
    }
    let forwarded = std::fs::read_to_string(dir.path().join("demo/events.ndjson"))
        .map(|t| t.lines().count() as u64)
        .unwrap_or_default();
    assert_eq!(
        events, forwarded,
        "every delivered event was in a logged send"
    );
}
