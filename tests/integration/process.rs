//! The `siem-bridge run` binary as a separate process against a Kafka that
//! outlives it (the `mock-kafka` helper process): kill -9 at random points
//! (K4), SIGTERM while a sink fails forever (K5) and after Kafka went away;
//! the K cases are in `docs/sinks.md` §6.1.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::kafka::Sending::Pipelined;
use crate::support::kafka::*;
use crate::support::wait::{secs, wait_until, KAFKA_POLL};

/// The mock cluster in its own process; killed on drop.
pub struct KafkaProcess {
    child: Child,
    pub bootstrap: String,
}

impl KafkaProcess {
    pub fn start(partitions: i32) -> KafkaProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mock-kafka"))
            .args(["1", &format!("{TOPIC}:{partitions}")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let bootstrap = line
            .trim()
            .strip_prefix("BOOTSTRAP=")
            .expect("bootstrap line")
            .to_owned();
        KafkaProcess { child, bootstrap }
    }
}

impl Drop for KafkaProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_config(dir: &Path, bootstrap: &str, group: &str, sink_path: &Path) -> std::path::PathBuf {
    write_config_with(dir, bootstrap, group, sink_path, "")
}

/// [`write_config`] with `extra` TOML appended (a `[detect]` section).
pub fn write_config_with(
    dir: &Path,
    bootstrap: &str,
    group: &str,
    sink_path: &Path,
    extra: &str,
) -> std::path::PathBuf {
    let cfg = dir.join("config.toml");
    let mut f = std::fs::File::create(&cfg).unwrap();
    write!(
        f,
        r#"
[kafka]
bootstrap_servers = "{bootstrap}"
group_id = "{group}"
session_timeout_ms = 3000
commit_interval_ms = 100
auto_offset_reset = "earliest"

[pipeline]
batch_max_events = 100
batch_linger_ms = 20
shutdown_timeout_ms = 2000
retry_initial_ms = 20
retry_max_ms = 200

[dead_letter]
path = "{dl}"

# Several runs at once: an ephemeral port each.
[observability]
listen = "127.0.0.1:0"

[[sinks]]
type = "file"
name = "out"
path = "{sink}"
{extra}
"#,
        dl = dir.join("dl.ndjson").display(),
        sink = sink_path.display()
    )
    .unwrap();
    cfg
}

pub fn spawn_run(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .args(["run", "--config", config.to_str().unwrap(), "--log", "warn"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn delivered_ids(path: &Path) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let Ok(text) = std::fs::read_to_string(path) else {
        return out;
    };
    for line in text.lines() {
        // A kill can cut the last line short: such a line is re-delivered.
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
            *out.entry(v["id"].as_str().unwrap().to_owned()).or_default() += 1;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k4_kill_9_at_random_points_then_restart_loses_nothing() {
    let kafka = KafkaProcess::start(8);
    let n = 20_000;
    produce(
        &kafka.bootstrap,
        TOPIC,
        &round_robin(8, &records(0..n)),
        Pipelined,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let sink = dir.path().join("events.ndjson");
    let cfg = write_config(dir.path(), &kafka.bootstrap, "g-k4", &sink);
    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    eprintln!("k4: seed {seed}");
    let mut mid_stream_kills = 0;
    for round in 0..8 {
        let before = std::fs::metadata(&sink).map_or(0, |m| m.len());
        let mut child = spawn_run(&cfg);
        // Wait until this run is delivering (the group first waits out the
        // killed member's session), then kill at a random point.
        let start = Instant::now();
        while std::fs::metadata(&sink).map_or(0, |m| m.len()) == before
            && start.elapsed() < Duration::from_secs(20)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        let wait = Duration::from_millis(rng.u64(0..250));
        std::thread::sleep(wait);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let so_far = delivered_ids(&sink).len();
        if so_far > 0 && so_far < n {
            mid_stream_kills += 1;
        }
        eprintln!("k4: round {round}: killed {wait:?} after delivery began, {so_far} ids so far");
    }
    assert!(
        mid_stream_kills >= 2,
        "kills must land while records are in flight"
    );
    // Last run: until every offset is committed, then SIGTERM.
    let mut child = spawn_run(&cfg);
    let deadline = Instant::now() + Duration::from_secs(120);
    while committed_total(&kafka.bootstrap, "g-k4", TOPIC, 8) < n as i64
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
    let got = delivered_ids(&sink);
    let missing: Vec<usize> = (0..n)
        .filter(|i| !got.contains_key(&format!("evt-{i}")))
        .collect();
    let dups: usize = got.values().map(|c| c - 1).sum();
    eprintln!(
        "k4: {} delivered, {} missing, {dups} duplicates",
        got.len(),
        missing.len()
    );
    assert!(
        missing.is_empty(),
        "missing ids: {:?}",
        &missing[..missing.len().min(20)]
    );
    assert_eq!(
        committed_total(&kafka.bootstrap, "g-k4", TOPIC, 8),
        n as i64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k5_sigterm_while_the_sink_fails_forever_exits_in_time_and_commits_nothing() {
    let kafka = KafkaProcess::start(2);
    produce(
        &kafka.bootstrap,
        TOPIC,
        &round_robin(2, &records(0..200)),
        Pipelined,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    // The sink's directory is a regular file: every write fails
    // (retryable) until the file is removed.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"").unwrap();
    let sink = blocker.join("events.ndjson");
    let cfg = write_config(dir.path(), &kafka.bootstrap, "g-k5", &sink);
    let mut child = spawn_run(&cfg);
    std::thread::sleep(Duration::from_secs(3));
    let start = Instant::now();
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    let took = start.elapsed();
    assert!(status.success(), "{status:?}");
    // shutdown_timeout_ms = 2000, below the 3000 ms session timeout.
    assert!(took < Duration::from_millis(2900), "took {took:?}");
    assert!(
        committed(&kafka.bootstrap, "g-k5", TOPIC, 2)
            .values()
            .all(|o| o.is_none()),
        "nothing unresolved may be committed"
    );
    // Once the sink works, a restart delivers everything.
    std::fs::remove_file(&blocker).unwrap();
    let mut child = spawn_run(&cfg);
    let deadline = Instant::now() + Duration::from_secs(60);
    while committed_total(&kafka.bootstrap, "g-k5", TOPIC, 2) < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
    assert_eq!(delivered_ids(&sink).len(), 200);
}

/// SIGTERM after Kafka went away, with delivered records whose offsets are
/// stored but not committed yet: the final commit cannot reach a
/// coordinator, and the shutdown must still end within its bound (the
/// records are re-read after a restart: duplicates, no loss). On the mock
/// cluster's process and on tansu.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_with_kafka_gone_exits_within_its_bound() {
    let kafka = KafkaProcess::start(2);
    let bootstrap = kafka.bootstrap.clone();
    sigterm_with_kafka_gone(&bootstrap, "g-gone", move || drop(kafka)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_with_tansu_gone_exits_within_its_bound() {
    let mut tansu = crate::support::tansu::Tansu::start();
    tansu.create_topic(TOPIC, 2);
    let bootstrap = tansu.bootstrap.clone();
    sigterm_with_kafka_gone(&bootstrap, "g-gone-tansu", move || tansu.kill()).await;
}

async fn sigterm_with_kafka_gone(bootstrap: &str, group: &str, kill_kafka: impl FnOnce()) {
    produce(
        bootstrap,
        TOPIC,
        &round_robin(2, &records(0..200)),
        Pipelined,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let sink = dir.path().join("events.ndjson");
    let cfg = write_config(dir.path(), bootstrap, group, &sink);
    // Stored offsets stay uncommitted until the final commit.
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace("commit_interval_ms = 100", "commit_interval_ms = 600000"),
    )
    .unwrap();
    let mut child = spawn_run(&cfg);
    wait_until(secs(60), KAFKA_POLL, async || {
        delivered_ids(&sink).len() >= 200
    })
    .await;
    assert_eq!(delivered_ids(&sink).len(), 200);
    kill_kafka();
    std::thread::sleep(Duration::from_secs(1));
    let start = Instant::now();
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = start.elapsed();
    eprintln!("exited {took:?} after SIGTERM: {exit:?}");
    // shutdown_timeout_ms (2 s) + the final commit and the group's leave
    // failing against no broker (≈ 4.7 s measured on the mock: 6.7 s in
    // all) + margin for a loaded machine. A shutdown that waits for the
    // broker to come back runs into the 60 s above.
    assert!(exit.is_some(), "still running 60 s after SIGTERM");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}
