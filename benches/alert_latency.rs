//! Alert latency in `run`: from the moment the event that completes an
//! incident is produced to Kafka to the moment its alert reaches the sink.
//!
//! Run: `cargo bench --bench alert_latency`. An in-process mock Kafka
//! (4 partitions) and the pipeline with `[detect]` (defaults) and a sink
//! that notes when each alert arrives. A producer keeps a steady stream
//! of routine granted reads (`RATE` events/s, default 2,000) and, every
//! 100 ms, a brute force from a new address: five failed logins produced
//! together, spread over the partitions, the fifth completing
//! `auth_bruteforce`. `INCIDENTS` (default 200) of them. Prints p50, p99
//! and the maximum over the incidents, and the pipeline's own
//! `siem_bridge_alert_delivery_seconds` view (from reading the record to
//! delivery).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use siem_bridge::detect::DetectConfig;
use siem_bridge::event::time::format_rfc3339_nanos;
use siem_bridge::event::validate::ALERT_TYPE;
use siem_bridge::event::{now_nanos, Event};
use siem_bridge::kafka::KafkaConfig;
use siem_bridge::pipeline::{self, dead_letter::DeadLetterConfig, DetectParts, Parts};
use siem_bridge::sink::{SendReport, Sink};
use tokio_util::sync::CancellationToken;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TOPIC: &str = "confluent-audit-log-events";

/// Notes when each alert (by its group key) arrived.
#[derive(Default)]
struct Arrivals(Mutex<HashMap<String, Instant>>);

impl Sink for Arrivals {
    fn name(&self) -> &str {
        "timing"
    }
    fn send<'a>(&'a self, events: &'a [Arc<Event>]) -> BoxFuture<'a, SendReport> {
        Box::pin(async move {
            let now = Instant::now();
            for e in events
                .iter()
                .filter(|e| e.enrichment.event_type() == ALERT_TYPE)
            {
                let v: serde_json::Value = serde_json::from_str(&e.json).expect("alert JSON");
                if let Some(key) = v["data"]["group_key"].as_str() {
                    self.0.lock().unwrap().entry(key.to_owned()).or_insert(now);
                }
            }
            SendReport::accepted(events.len())
        })
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn read_event(n: u64) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"r-{n}","source":"crn:///kafka=C1","type":"io.confluent.kafka.server/authorization","time":"{t}","data":{{"methodName":"kafka.FetchConsumer","resourceName":"crn:///kafka=C1/topic=orders","authenticationInfo":{{"principal":"User:app-{p}"}},"authorizationInfo":{{"granted":true,"operation":"Read","resourceType":"Topic","resourceName":"orders"}},"requestMetadata":{{"client_address":"/10.0.0.{p}"}}}}}}"#,
        t = format_rfc3339_nanos(now_nanos()),
        p = n % 50 + 1
    )
}

fn failed_login(incident: u64, i: u64) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"f-{incident}-{i}","source":"crn:///kafka=C1","type":"io.confluent.kafka.server/authentication","time":"{t}","data":{{"methodName":"kafka.Authentication","authenticationInfo":{{"principal":"None:UNKNOWN_USER","metadata":{{"identifier":"user-{incident}"}}}},"requestMetadata":{{"client_address":"/198.51.{a}.{b}"}},"result":{{"status":"UNAUTHENTICATED"}}}}}}"#,
        t = format_rfc3339_nanos(now_nanos()),
        a = incident / 250,
        b = incident % 250 + 1
    )
}

fn main() {
    let rate = env("RATE", 2_000);
    let incidents = env("INCIDENTS", 200);
    let kafka = siem_bridge::mock::MockKafka::start(1).expect("mock cluster");
    kafka.create_topic(TOPIC, 4).expect("topic");
    let bs = kafka.bootstrap_servers();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(Arrivals::default());
    let parts = Parts {
        kafka: KafkaConfig {
            bootstrap_servers: bs.clone(),
            group_id: "alert-latency".into(),
            topics: vec![TOPIC.into()],
            ..Default::default()
        },
        settings: Default::default(),
        dead_letter: DeadLetterConfig {
            path: Some(dir.path().join("dl.ndjson").display().to_string()),
            ..Default::default()
        },
        policy: Default::default(),
        sinks: vec![sink.clone() as Arc<dyn Sink>],
        detect: Some(DetectParts {
            config: DetectConfig::default(),
            sinks: vec![sink.clone() as Arc<dyn Sink>],
        }),
    };
    let shutdown = CancellationToken::new();
    let handle: Arc<Mutex<Option<pipeline::Handle>>> = Arc::default();
    let h = handle.clone();
    let run = rt.spawn(pipeline::run(parts, shutdown.clone(), move |x| {
        *h.lock().unwrap() = Some(x)
    }));
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &bs)
        .set("linger.ms", "0")
        .create()
        .unwrap();
    let produced: HashMap<String, Instant> = rt.block_on(async {
        // Let the group form and the routine stream start.
        let mut n = 0u64;
        let mut produced = HashMap::new();
        let per_tick = (rate / 100).max(1); // every 10 ms
        let start = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        let warmup = 300; // 3 s
        for t in 0..(warmup + incidents * 10) {
            tick.tick().await;
            for _ in 0..per_tick {
                let v = read_event(n);
                let key = n.to_string();
                let _ = producer.send_result(FutureRecord::to(TOPIC).payload(&v).key(&key));
                n += 1;
            }
            if t >= warmup && (t - warmup) % 10 == 0 {
                let k = (t - warmup) / 10;
                let mut last = None;
                for i in 0..5 {
                    let v = failed_login(k, i);
                    let f = producer
                        .send_result(
                            FutureRecord::<(), _>::to(TOPIC)
                                .payload(&v)
                                .partition((i % 4) as i32),
                        )
                        .ok();
                    last = f.or(last);
                }
                if let Some(f) = last {
                    let _ = f.await;
                }
                let b = k % 250 + 1;
                let key = format!("source_ip=198.51.{}.{b}", k / 250);
                produced.insert(key, Instant::now());
            }
        }
        eprintln!(
            "produced {n} routine events and {incidents} incidents in {:?}",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
        produced
    });
    let arrived = sink.0.lock().unwrap().clone();
    let text = handle
        .lock()
        .unwrap()
        .as_ref()
        .map(|h| siem_bridge::observe::metrics::render(h, Duration::from_secs(3600)))
        .unwrap_or_default();
    shutdown.cancel();
    rt.block_on(run).unwrap().unwrap();
    let mut ms: Vec<f64> = produced
        .iter()
        .filter_map(|(k, t)| {
            Some(arrived.get(k)?.saturating_duration_since(*t).as_secs_f64() * 1e3)
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let q = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "alert latency, produce → sink, {} of {} incidents alerted: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms.len(),
        produced.len(),
        q(0.5),
        q(0.99),
        ms.last().copied().unwrap_or(f64::NAN)
    );
    for l in text
        .lines()
        .filter(|l| l.starts_with("siem_bridge_alert_delivery_seconds"))
    {
        println!("  {l}");
    }
}
