//! The binary's commands (`run`, `validate`, `watch`) and their error
//! paths, at `--log trace`, in text and JSON log formats, with every
//! secret configured: nothing they print or store holds a secret.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::{assert_clean, secret_env};
use crate::support::es::FakeEs;
use crate::support::hec::{FakeHec, Fault, HecOptions};
use crate::support::kafka::Sending::Pipelined;
use crate::support::kafka::{event, produce, round_robin, TOPIC};

/// The mock cluster in its own process (killed on drop).
struct KafkaProcess {
    child: Child,
    bootstrap: String,
}

impl KafkaProcess {
    fn start() -> KafkaProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mock-kafka"))
            .args(["1", &format!("{TOPIC}:2")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let bootstrap = line.trim().strip_prefix("BOOTSTRAP=").unwrap().to_owned();
        KafkaProcess { child, bootstrap }
    }
}

impl Drop for KafkaProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A config naming every secret: the Kafka secret (SASL), the TLS key
/// passphrase (a librdkafka option), the HEC token, the ES password and
/// API key. `kafka` is the `[kafka]` connection part; `debug` turns on
/// librdkafka's own debug log (`debug = "all"`, which dumps its config).
fn config(dir: &Path, kafka: &str, hec: &str, es: &str, port: u16, debug: bool) -> PathBuf {
    let path = dir.join("config.toml");
    let text = format!(
        r#"
[kafka]
{kafka}
group_id = "g-secrets"
session_timeout_ms = 3000
commit_interval_ms = 100
auto_offset_reset = "earliest"

[kafka.librdkafka_options]
"ssl.key.password" = "${{SB_TEST_TLS_PASS}}"
{debug}

[pipeline]
batch_max_events = 20
batch_linger_ms = 20
shutdown_timeout_ms = 1000
retry_initial_ms = 20
retry_max_ms = 200

[dead_letter]
path = "{dl}"

[observability]
listen = "127.0.0.1:{port}"

[[sinks]]
type = "splunk_hec"
name = "hec"
endpoint = "{hec}"
token = "${{SB_TEST_HEC_TOKEN}}"

[[sinks]]
type = "elasticsearch"
name = "es-password"
endpoint = "{es}"
user = "elastic"
password = "${{SB_TEST_ES_PASSWORD}}"

[[sinks]]
type = "elasticsearch"
name = "es-api-key"
endpoint = "{es}"
api_key = "${{SB_TEST_ES_API_KEY}}"
"#,
        dl = dir.join("dl.ndjson").display(),
        debug = if debug { "\"debug\" = \"all\"" } else { "" },
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn plain_kafka(bootstrap: &str) -> String {
    format!("bootstrap_servers = \"{bootstrap}\"")
}

fn sasl_kafka(bootstrap: &str) -> String {
    format!(
        "bootstrap_servers = \"{bootstrap}\"\nsecurity_protocol = \"sasl_ssl\"\nsasl_mechanism = \"PLAIN\"\nsasl_username = \"AKEY123\"\nsasl_password = \"${{SB_TEST_KAFKA_SECRET}}\""
    )
}

fn command(args: &[&str], format: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_siem-bridge"));
    c.args(["--log", "trace", "--log-format", format])
        .args(args)
        .envs(secret_env())
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null());
    c
}

/// Runs to completion (killed after `limit`) and returns its output.
fn output(mut c: Command, limit: Duration) -> Output {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() && start.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    child.wait_with_output().unwrap()
}

fn check_output(what: &str, out: &Output) {
    assert_clean(
        &format!("{what}: stdout"),
        &String::from_utf8_lossy(&out.stdout),
    );
    assert_clean(
        &format!("{what}: stderr"),
        &String::from_utf8_lossy(&out.stderr),
    );
}

/// `GET path` on the endpoints, the whole response.
fn get(port: u16, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_validate_and_watch_never_show_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let kafka = KafkaProcess::start();
    let token = super::SECRETS[1].1;
    let hec = FakeHec::start(HecOptions {
        token: token.to_owned(),
        ..HecOptions::default()
    })
    .await;
    // One event refused for good: a sink rejection with its reason in the
    // dead-letter file.
    hec.fail_when_body_has(Some((
        "evt-3\"",
        Fault::code(400, 6, "Invalid data format"),
    )));
    let es = FakeEs::start().await;
    let mut values: Vec<Vec<u8>> = (0..20).map(|n| event(n).into_bytes()).collect();
    values.push(b"not json".to_vec());
    values.push(vec![0xff, b'{']);
    produce(&kafka.bootstrap, TOPIC, &round_robin(2, &values), Pipelined).await;

    // `run`, text logs at trace: delivers, dead-letters, serves /metrics.
    let port = free_port();
    let cfg = config(
        dir.path(),
        &plain_kafka(&kafka.bootstrap),
        &hec.url(),
        &es.url,
        port,
        false,
    );
    let mut child = command(&["run", "--config", cfg.to_str().unwrap()], "text")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let dl = dir.path().join("dl.ndjson");
    let lines = || std::fs::read_to_string(&dl).map_or(0, |t| t.lines().count());
    let start = Instant::now();
    while (lines() < 3 || hec.indexed_ids().len() < 19) && start.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(lines() >= 3, "dead-letter entries: {}", lines());
    let mut endpoints = String::new();
    for path in ["/metrics", "/health", "/ready", "/nope"] {
        endpoints.push_str(&get(port, path));
    }
    assert!(endpoints.contains("siem_bridge_"), "{endpoints}");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let run = child.wait_with_output().unwrap();
    assert!(!run.stderr.is_empty(), "trace logs were written");
    check_output("run", &run);
    assert_clean("/metrics, /health, /ready", &endpoints);
    let dead = std::fs::read_to_string(&dl).unwrap();
    assert!(dead.contains("\"sink\":\"hec\""), "{dead}");
    assert_clean("the dead-letter file", &dead);

    // `validate`, with the network checks (HEC and ES answer, with our
    // credentials), in both log formats.
    for format in ["text", "json"] {
        let out = output(
            command(
                &[
                    "validate",
                    "--config",
                    cfg.to_str().unwrap(),
                    "--timeout-ms",
                    "3000",
                ],
                format,
            ),
            Duration::from_secs(30),
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        check_output("validate", &out);
    }

    // `watch` from the beginning to now: prints the events.
    let out = output(
        command(
            &[
                "watch",
                "--config",
                cfg.to_str().unwrap(),
                "--from-beginning",
                "--until",
                "0s",
            ],
            "text",
        ),
        Duration::from_secs(30),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("User:sa-1 "));
    check_output("watch", &out);

    // Error paths: SASL over TLS to a broker that is not there (the
    // Kafka secret and the TLS passphrase in librdkafka's hands), a sink
    // that refuses the connection, an invalid file, a missing variable.
    let dead_port = free_port();
    let unreachable = format!("http://127.0.0.1:{dead_port}");
    let cfg = config(
        dir.path(),
        &sasl_kafka(&format!("127.0.0.1:{dead_port}")),
        &unreachable,
        &unreachable,
        free_port(),
        true,
    );
    for format in ["text", "json"] {
        let out = output(
            command(&["run", "--config", cfg.to_str().unwrap()], format),
            Duration::from_secs(6),
        );
        // librdkafka's config dump ran (it redacts its secrets itself).
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("sasl.password"), "{err}");
        check_output("run (unreachable)", &out);
        let out = output(
            command(
                &[
                    "validate",
                    "--config",
                    cfg.to_str().unwrap(),
                    "--timeout-ms",
                    "1500",
                ],
                format,
            ),
            Duration::from_secs(30),
        );
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        check_output("validate (unreachable)", &out);
        let out = output(
            command(
                &[
                    "watch",
                    "--config",
                    cfg.to_str().unwrap(),
                    "--from-beginning",
                ],
                format,
            ),
            Duration::from_secs(6),
        );
        check_output("watch (unreachable)", &out);
    }
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        format!("{text}\nbatch_size = \"${{SB_TEST_HEC_TOKEN}}\"\n[nope]\n"),
    )
    .unwrap();
    let out = output(
        command(
            &[
                "validate",
                "--config",
                cfg.to_str().unwrap(),
                "--no-network",
            ],
            "text",
        ),
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    check_output("validate (invalid)", &out);
    let out = output(
        command(&["run", "--config", cfg.to_str().unwrap()], "json"),
        Duration::from_secs(10),
    );
    check_output("run (invalid)", &out);
}
