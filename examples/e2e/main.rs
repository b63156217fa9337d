//! What a user pays, end to end: the release `siem-bridge run` binary as
//! its own process, Kafka in another (the `mock-kafka` helper), and the
//! in-repo fake receivers (HEC with acks, `_bulk`, syslog TCP) in this one,
//! with the producer. Per sink: steady events/s, CPU per event of the
//! bridge process (utime + stime from `/proc/<pid>/stat`), peak RSS
//! (`VmHWM`), and for HEC the latency from produce to indexing.
//!
//! Run: `scripts/bench_e2e.sh` (builds the release binaries, then runs
//! this). Knobs: `EVENTS` (100,000), `SINKS` (`hec,es,syslog`),
//! `PARTITIONS` (64; the mock keeps ~5 MiB per partition, so a producer
//! far ahead of the bridge loses data past ~200k events: use `RATE`),
//! `RATE` (events/s produced, 0 = as fast as the producer goes),
//! `BUCKETS=1` (events/s in 100 ms buckets), `KAFKA_TOML` and
//! `PIPELINE_TOML` (`key = value;…` added to `[kafka]`, `[pipeline]`), `SINK_TOML` (the
//! same, added to the sink's table: `SINK_TOML='compression = "none"'`), `HEC_ACKS=0` (HEC
//! without indexer acknowledgements, its default), `PERF=prefix` (`perf record
//! -g` on the bridge into `prefix.<sink>.data`), `CALLGRIND=prefix` (the bridge
//! under `valgrind --tool=callgrind`, into `prefix.<sink>.out`: instructions per
//! event whatever the load; use `EVENTS=20000`), `DETECT_TOML` (`key = value;…`: a
//! `[detect]` section, the detector on; its alerts reach the sink too and count
//! as deliveries, so the run ends a little early), `WRITE_EVENTS=path` (only write the
//! `EVENTS` events to `path` as JSON Lines, for `siem-bridge detect`), `BRIDGE`, `MOCK_KAFKA`.
//!
//! The steady window runs from 10 % to 90 % of the events delivered.

mod receiver;
#[path = "../../benches/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::ClientConfig;

use receiver::Receiver;

const TOPIC: &str = "confluent-audit-log-events";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn repo_path(env: &str, rel: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| format!("{}/{rel}", env!("CARGO_MANIFEST_DIR")))
}

/// `key = value;…` from the environment as TOML lines (A/B runs of a
/// setting: `KAFKA_TOML`, `PIPELINE_TOML`, `SINK_TOML`).
fn toml_lines(name: &str) -> String {
    std::env::var(name).unwrap_or_default().replace(';', "\n")
}

/// A 1.4 KB authorization event (as `benches/core.rs`), id `e2e-<n>`.
fn event(n: u64) -> String {
    let scope = format!("crn://confluent.cloud/organization=org-{}", n % 7);
    format!(
        r#"{{"specversion":"1.0","id":"e2e-{n}","confluentRouting":{{"route":"confluent-audit-log-events"}},"source":"{scope}","type":"io.confluent.kafka.server/authorization","datacontenttype":"application/json","subject":"{scope}/kafka=lkc-a1b2c/topic=sensitive-payments","time":"2025-01-15T10:31:00.{ms:03}Z","data":{{"serviceName":"{scope}","methodName":"kafka.Produce","resourceName":"{scope}/kafka=lkc-a1b2c/topic=sensitive-payments","authenticationInfo":{{"principal":"User:CN=sa-{p:05},OU=payments,O=Example Corp,L=Zurich,C=CH","identity":"crn://confluent.cloud/organization=org-{o}/service-account=sa-{p:05}"}},"authorizationInfo":{{"granted":false,"operation":"Write","resourceType":"Topic","resourceName":"sensitive-payments","patternType":"LITERAL","aclAuthorization":{{"permissionType":"DENY","host":"*"}}}},"request":{{"correlationId":"{n}","clientId":"payments-producer-{p}-7f2c1a9e-4b1f-9c2e","connectionId":"203.0.113.{ip}:51234-10.0.7.12:9092-{n}"}},"requestMetadata":{{"clientAddress":[{{"ip":"203.0.113.{ip}","port":51234}}]}},"result":{{"status":"PERMISSION_DENIED","message":"Principal = User:sa-{p:05} is Denied Operation = Write from host = 203.0.113.{ip} on resource = Topic:LITERAL:sensitive-payments"}}}}}}"#,
        ms = n % 1000,
        p = n % 5000,
        o = n % 7,
        ip = n % 250 + 1
    )
}

/// The `mock-kafka` helper process; killed on drop.
struct Kafka {
    child: Child,
    bootstrap: String,
}

impl Kafka {
    fn start(partitions: u64) -> Kafka {
        let mut child = Command::new(repo_path("MOCK_KAFKA", "target/release/mock-kafka"))
            .args(["1", &format!("{TOPIC}:{partitions}")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("mock-kafka (build it: scripts/bench_e2e.sh)");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let bootstrap = line.trim().strip_prefix("BOOTSTRAP=").unwrap().to_owned();
        Kafka { child, bootstrap }
    }
}

impl Drop for Kafka {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bridge process; killed on drop (a failed run leaves none behind).
struct Bridge(Child);

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// (utime + stime in clock ticks, minor page faults) of `pid`.
fn cpu_ticks(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|w| w.parse().unwrap_or(0))
        .collect();
    let at = |i: usize| f.get(i).copied().unwrap_or(0);
    (at(11) + at(12), at(7))
}

fn status_kb(pid: u32, key: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn producer(bootstrap: &str) -> ThreadedProducer<DefaultProducerContext> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "200000")
        .set("queue.buffering.max.kbytes", "1048576")
        .create()
        .unwrap()
}

fn send(p: &ThreadedProducer<DefaultProducerContext>, key: &str, payload: &str) {
    let mut rec = BaseRecord::to(TOPIC).key(key).payload(payload);
    loop {
        match p.send(rec) {
            Ok(()) => return,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                rec = r;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err((e, _)) => panic!("produce: {e}"),
        }
    }
}

struct Sample {
    t: f64,
    delivered: usize,
    ticks: u64,
    faults: u64,
}

async fn run(kind: &str, n: u64, partitions: u64, rate: u64) {
    let kafka = Kafka::start(partitions);
    let rx = Receiver::start(kind).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[kafka]\nbootstrap_servers = \"{}\"\ngroup_id = \"e2e\"\nauto_offset_reset = \"earliest\"\n{}\n[pipeline]\n{}\n[dead_letter]\npath = \"{}\"\n\n[observability]\nlisten = \"127.0.0.1:0\"\n\n[[sinks]]\nname = \"{kind}\"\n{}{}\n{}",
            kafka.bootstrap,
            toml_lines("KAFKA_TOML"),
            toml_lines("PIPELINE_TOML"),
            dir.path().join("dl.ndjson").display(),
            rx.sink_toml(),
            // SINK_TOML: settings added to the sink's table (A/B runs:
            // `compression = "none"` for `_bulk`).
            toml_lines("SINK_TOML"),
            // DETECT_TOML: the detector on, with these settings (its alerts
            // go to the sink too, and count there as deliveries).
            std::env::var_os("DETECT_TOML")
                .map(|_| format!("[detect]\n{}", toml_lines("DETECT_TOML")))
                .unwrap_or_default()
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("bridge.log")).unwrap();
    let binary = repo_path("BRIDGE", "target/release/siem-bridge");
    // CALLGRIND=prefix: the bridge under callgrind (same pid: valgrind runs
    // the program in its own process), for instruction counts that do not
    // depend on the machine's load.
    let mut command = match std::env::var("CALLGRIND") {
        Ok(prefix) => {
            let mut c = Command::new("valgrind");
            c.args([
                "--tool=callgrind",
                &format!("--callgrind-out-file={prefix}.{kind}.out"),
            ])
            .arg(&binary);
            c
        }
        Err(_) => Command::new(&binary),
    };
    let mut bridge = Bridge(
        command
            .args(["run", "--config", cfg.to_str().unwrap(), "--log", "warn"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("siem-bridge (build it: scripts/bench_e2e.sh)"),
    );
    let pid = bridge.0.id();
    let p = producer(&kafka.bootstrap);
    // One event first: the group has formed once it arrives.
    send(&p, "w", &event(u64::MAX));
    let start = Instant::now();
    while rx.count() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no warm-up event"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let perf = std::env::var("PERF").ok().map(|prefix| {
        Command::new("perf")
            .args([
                "record",
                "--call-graph",
                &std::env::var("PERF_CALLGRAPH").unwrap_or("fp".into()),
                "-F",
                "999",
                "-p",
                &pid.to_string(),
                "-o",
            ])
            .arg(format!("{prefix}.{kind}.data"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("perf")
    });
    let t0 = Instant::now();
    let produced: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    let at = produced.clone();
    let producing = std::thread::spawn(move || {
        for i in 0..n {
            if rate > 0 {
                let due = Duration::from_secs_f64(i as f64 / rate as f64);
                if let Some(wait) = due.checked_sub(t0.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
            send(&p, &i.to_string(), &event(i));
            at[i as usize].store(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
        }
        p.flush(Duration::from_secs(120)).unwrap();
    });
    let target = n as usize + 1;
    let (mut samples, mut latencies, mut seen) = (Vec::new(), Vec::new(), 1);
    let mut last_progress = Instant::now();
    loop {
        let delivered = match &rx {
            Receiver::Hec(h) => {
                let new = h.indexed_since(seen);
                let now = t0.elapsed().as_nanos() as u64;
                for id in &new {
                    if let Some(i) = id
                        .strip_prefix("e2e-")
                        .and_then(|i| i.parse::<usize>().ok())
                    {
                        let p = produced.get(i).map_or(0, |a| a.load(Ordering::Relaxed));
                        latencies.push(now.saturating_sub(p) as f64 / 1e6);
                    }
                }
                seen += new.len();
                seen
            }
            other => other.count(),
        };
        let t = t0.elapsed().as_secs_f64();
        if samples
            .last()
            .is_none_or(|s: &Sample| s.delivered != delivered)
        {
            last_progress = Instant::now();
        }
        let (ticks, faults) = cpu_ticks(pid);
        samples.push(Sample {
            t,
            delivered,
            ticks,
            faults,
        });
        if delivered >= target {
            break;
        }
        if last_progress.elapsed() > Duration::from_secs(30) {
            let log = std::fs::read_to_string(dir.path().join("bridge.log")).unwrap_or_default();
            panic!("{kind}: stuck at {delivered} of {target}; bridge log:\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let hwm = status_kb(pid, "VmHWM:");
    producing.join().unwrap();
    if let Some(mut perf) = perf {
        unsafe { libc::kill(perf.id() as i32, libc::SIGINT) };
        let _ = perf.wait();
    }
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let _ = bridge.0.wait();
    report(kind, n, &samples, hwm, &mut latencies);
}

fn report(kind: &str, n: u64, samples: &[Sample], hwm_kb: u64, lat: &mut [f64]) {
    let tck = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let at = |frac: f64| {
        samples
            .iter()
            .find(|s| s.delivered as f64 >= 1.0 + frac * n as f64)
            .unwrap()
    };
    let (a, b) = (at(0.1), at(0.9));
    let (first, last) = (&samples[0], samples.last().unwrap());
    let events = (b.delivered - a.delivered) as f64;
    let steady_rate = events / (b.t - a.t);
    let steady_us = (b.ticks - a.ticks) as f64 / tck / events * 1e6;
    let faults = (b.faults - a.faults) as f64 / events;
    let whole_us = (last.ticks - first.ticks) as f64 / tck / n as f64 * 1e6;
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    let latency = if lat.is_empty() {
        String::new()
    } else {
        format!(
            "  produce→indexed p50 {:.0} ms p99 {:.0} ms",
            q(0.5),
            q(0.99)
        )
    };
    println!(
        "{kind:<7} {n} events in {:.2} s: steady {steady_rate:.0} events/s, CPU {steady_us:.2} µs/event steady ({whole_us:.2} whole run), {faults:.2} page faults/event, peak RSS {:.0} MB{latency}",
        last.t,
        hwm_kb as f64 / 1024.0
    );
    if std::env::var("BUCKETS").is_ok_and(|v| v == "1") {
        let mut i = 0;
        let mut prev = 0;
        let mut edge = 0.1;
        while edge < last.t + 0.1 {
            while i + 1 < samples.len() && samples[i + 1].t <= edge {
                i += 1;
            }
            let d = samples[i].delivered;
            println!("  {:>6.1} s {:>8} events/s", edge, (d - prev) * 10);
            prev = d;
            edge += 0.1;
        }
    }
}

fn main() {
    let n = env_num("EVENTS", 100_000);
    if let Some(path) = std::env::var_os("WRITE_EVENTS") {
        // The events as JSON Lines, for `siem-bridge detect` or `investigate`.
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("WRITE_EVENTS"));
        for i in 0..n {
            writeln!(out, "{}", event(i)).expect("WRITE_EVENTS");
        }
        out.flush().expect("WRITE_EVENTS");
        return;
    }
    let partitions = env_num("PARTITIONS", 64);
    let rate = env_num("RATE", 0);
    let sinks = std::env::var("SINKS").unwrap_or_else(|_| "hec,es,syslog".into());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{n} events of {} bytes, {partitions} partitions, rate {}; load average {}",
        event(0).len(),
        if rate == 0 {
            "unlimited".into()
        } else {
            format!("{rate}/s")
        },
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let rt = support::runtime();
    for kind in sinks.split(',') {
        rt.block_on(run(kind, n, partitions, rate));
    }
}
