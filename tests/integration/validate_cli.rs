//! `siem-bridge validate`: the exact messages and exit codes an operator
//! sees (0 valid, 1 unreachable, 2 invalid).

use std::path::Path;
use std::process::Command;

use siem_bridge::mock::MockKafka;

/// Runs `validate` on `toml`; returns (exit code, stdout with the temp
/// path replaced by `CONFIG`).
fn validate(toml: &str, args: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, toml).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .args([
            "validate",
            "--config",
            path.to_str().unwrap(),
            "--log",
            "off",
        ])
        .args(args)
        .env_remove("SIEM_BRIDGE_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    (
        out.status.code().unwrap(),
        stdout.replace(path.to_str().unwrap(), "CONFIG"),
    )
}

/// A TCP port nobody listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn dl(dir: &Path) -> String {
    dir.join("dl.ndjson").display().to_string()
}

#[test]
fn every_problem_is_listed_with_key_and_line_and_exit_2() {
    let toml = r#"[kafka]
bootstrap_servers = "k:9092"
session_timeout_ms = "fast"

[pipeline]
batch_max_events = 0

[observability]
listen = "localhost:9464"
retention_hours = 0

[[sinks]]
type = "file"

[[sinks]]
type = "syslog"
name = "siem"

[metrics]
port = 1
"#;
    let (code, out) = validate(toml, &["--no-network"]);
    assert_eq!(code, 2, "{out}");
    assert_eq!(
        out,
        "CONFIG is invalid:
  - line 3: `kafka.session_timeout_ms`: invalid type: string \"fast\", expected u64
  - line 6: `pipeline.batch_max_events`: must be positive
  - line 9: `observability.listen`: `localhost:9464` is not an IP address and port such as 127.0.0.1:9464
  - line 10: `observability.retention_hours`: must be positive
  - line 12: `sinks[0].path`: missing field `path`
  - line 15: `sinks[1].address`: missing field `address`
  - line 19: `metrics`: unknown section, expected one of: kafka, pipeline, dead_letter, sinks, filter, severity, observability, detect
"
    );
}

#[test]
fn a_toml_syntax_error_is_reported_with_its_line() {
    let (code, out) = validate("[kafka]\nbootstrap_servers = \n", &["--no-network"]);
    assert_eq!(code, 2);
    assert_eq!(
        out,
        "CONFIG is invalid:\n  - line 2: invalid string; expected `\"`, `'`\n"
    );
}

#[test]
fn detect_rules_are_checked_with_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[kafka]\nbootstrap_servers = \"127.0.0.1:{}\"\n[dead_letter]\npath = \"{}\"\n[[sinks]]\ntype = \"stdout\"\n[detect]\ntrusted_networks = [\"10.0.0.0/99\"]\nmax_state_bytes = 0\nmax_open_alert_bytes = 5\n[detect.rules.denial_burst]\nthreshold = 0\n[[detect.custom]]\nname = \"seq\"\nkind = \"sequence\"\n",
        closed_port(),
        dl(dir.path()),
    );
    let (code, out) = validate(&toml, &["--no-network"]);
    assert_eq!(code, 2, "{out}");
    for want in [
        "line 12: `detect.rules.denial_burst.threshold`: must be at least 1",
        "line 8: `detect.trusted_networks[0]`: \"10.0.0.0/99\" is not a network",
        "line 9: `detect.max_state_bytes`: must be between 1048576 (1 MiB) and 68719476736 (64 GiB) bytes",
        "line 10: `detect.max_open_alert_bytes`: must be between 1048576 (1 MiB) and 68719476736 (64 GiB) bytes",
        "`detect.custom[0].then`: a sequence rule needs its second step",
    ] {
        assert!(out.contains(want), "{want:?} missing in:\n{out}");
    }
}

/// A user-defined rule without `kind` or `name`, or of an unknown kind,
/// is one more problem: the other rules and settings of `[detect]` are
/// still checked and listed, each with its key and line (red-team probe
/// `min_custom_hides.toml`, `bad1.toml`: only the kind was listed).
#[test]
fn a_custom_rule_without_kind_hides_no_other_problem() {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        r#"[kafka]
bootstrap_servers = "127.0.0.1:{}"
[dead_letter]
path = "{}"
[[sinks]]
type = "stdout"
[detect]
max_state_bytes = 100
[[detect.custom]]
name = "x"
match = {{ verdict = "denied" }}
[[detect.custom]]
name = "y"
kind = "counter"
[[detect.custom]]
kind = "count"
field = "method"
[detect.rules.denial_burst]
threshold = 0
"#,
        closed_port(),
        dl(dir.path()),
    );
    let (code, out) = validate(&toml, &["--no-network"]);
    assert_eq!(code, 2, "{out}");
    let kinds = "expected one of `count`, `distinct`, `new_value`, `sequence`";
    let expected = [
        "CONFIG is invalid:".to_owned(),
        "  - line 8: `detect.max_state_bytes`: must be between 1048576 (1 MiB) and 68719476736 (64 GiB) bytes".to_owned(),
        format!("  - line 9: `detect.custom[0].kind`: missing field `kind`, {kinds}"),
        format!("  - line 14: `detect.custom[1].kind`: unknown variant `counter`, {kinds}"),
        "  - line 15: `detect.custom[2].name`: missing field `name` (the alerts' `rule`)".to_owned(),
        "  - line 17: `detect.custom[2].field`: not used by kind = \"count\"".to_owned(),
        "  - line 19: `detect.rules.denial_burst.threshold`: must be at least 1".to_owned(),
    ];
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines, expected, "{out}");
}

/// The newcomer's file (issue 14): a misspelt key and a wrong type in one
/// section no longer hide the rest of it, nor its semantic checks, and a
/// problem inside a sink is at the key's own line with its path.
#[test]
fn every_problem_of_a_section_at_its_own_key_and_line() {
    let toml = r#"[kafka]
bootstrap_servers = "k:9092"
topics = []
sesion_timeout_ms = 5000
session_timeout_ms = "fast"

[pipeline]
batch_max_events = 0
lingr_ms = 5

[[sinks]]
type = "file"
path = "/tmp/out.ndjson"
name = "archive"
colour = "blue"
fsync = "sometimes"

[[sinks]]
type = "splunk"
"#;
    let (code, out) = validate(toml, &["--no-network"]);
    assert_eq!(code, 2, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "CONFIG is invalid:");
    let expected = [
        "  - line 3: `kafka.topics`: must name at least one non-empty topic",
        "  - line 4: `kafka.sesion_timeout_ms`: unknown field `sesion_timeout_ms`, expected one of",
        "  - line 5: `kafka.session_timeout_ms`: invalid type: string \"fast\", expected u64",
        "  - line 8: `pipeline.batch_max_events`: must be positive",
        "  - line 9: `pipeline.lingr_ms`: unknown field `lingr_ms`, expected one of",
        "  - line 15: `sinks[0].colour`: unknown field `colour`, expected one of",
        "  - line 16: `sinks[0].fsync`: unknown variant `sometimes`, expected `batch` or `never`",
        "  - line 19: `sinks[1].type`: unknown variant `splunk`, expected one of `elasticsearch`, `file`, `stdout`, `syslog`, `splunk_hec`",
    ];
    assert_eq!(lines.len(), expected.len() + 1, "{out}");
    for (line, want) in lines[1..].iter().zip(expected) {
        assert!(
            line.starts_with(want),
            "{line:?} should start with {want:?}\n{out}"
        );
    }
}

#[test]
fn a_file_sink_whose_directory_is_missing_or_cannot_be_made_is_unhealthy() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let toml = format!(
        "[kafka]\nbootstrap_servers = \"127.0.0.1:{}\"\n[[sinks]]\ntype = \"file\"\nname = \"archive\"\npath = \"{}/out.ndjson\"\n[[sinks]]\ntype = \"file\"\nname = \"fresh\"\npath = \"{}/new/out.ndjson\"\n",
        closed_port(),
        blocker.display(),
        dir.path().display(),
    );
    let (code, out) = validate(&toml, &["--timeout-ms", "500"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "sink `archive`: unhealthy: {} is not a directory\n",
            blocker.display()
        )),
        "{out}"
    );
    // A directory that does not exist yet: the first batch would create
    // it, but `validate` says so (a mistyped path, more often than not).
    assert!(
        out.contains(&format!(
            "sink `fresh`: unhealthy: directory {}/new does not exist",
            dir.path().display()
        )),
        "{out}"
    );
    // Once it exists, healthy.
    std::fs::create_dir(dir.path().join("new")).unwrap();
    let (_, out) = validate(&toml, &["--timeout-ms", "500"]);
    assert!(out.contains("sink `fresh`: healthy\n"), "{out}");
}

#[test]
fn a_valid_file_without_network_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[kafka]\nbootstrap_servers = \"127.0.0.1:{}\"\n[dead_letter]\npath = \"{}\"\n[[sinks]]\ntype = \"stdout\"\n[[sinks]]\ntype = \"file\"\nname = \"archive\"\npath = \"{}\"\n",
        closed_port(),
        dl(dir.path()),
        dir.path().join("out").display()
    );
    let (code, out) = validate(&toml, &["--no-network"]);
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "CONFIG: configuration is valid (2 sinks: stdout, archive).\n"
        )
    );
}

#[test]
fn with_network_kafka_topics_and_sinks_are_checked() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic("audit", 3).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[kafka]\nbootstrap_servers = \"{}\"\ntopics = [\"audit\"]\n[dead_letter]\npath = \"{}\"\n[[sinks]]\ntype = \"file\"\nname = \"archive\"\npath = \"{}\"\n",
        kafka.bootstrap_servers(),
        dl(dir.path()),
        dir.path().join("out").display()
    );
    let (code, out) = validate(&toml, &["--timeout-ms", "5000"]);
    assert_eq!(
        out,
        "CONFIG: configuration is valid (1 sink: archive).
kafka: topic `audit`: 3 partitions
sink `archive`: healthy
"
    );
    assert_eq!(code, 0);
}

#[test]
fn a_missing_topic_and_a_refusing_sink_exit_1() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic("audit", 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let toml = format!(
        "[kafka]\nbootstrap_servers = \"{}\"\ntopics = [\"audit\", \"missing\"]\n[dead_letter]\npath = \"{}\"\n[[sinks]]\ntype = \"syslog\"\nname = \"siem\"\naddress = \"127.0.0.1:{port}\"\nprotocol = \"tcp\"\n",
        kafka.bootstrap_servers(),
        dl(dir.path()),
    );
    let (code, out) = validate(&toml, &["--timeout-ms", "5000"]);
    assert_eq!(
        out,
        format!(
            "CONFIG: configuration is valid (1 sink: siem).
kafka: topic `audit`: 1 partition
kafka: unreachable: topic `missing`: UnknownTopicOrPartition (Broker: Unknown topic or partition)
sink `siem`: unhealthy: cannot connect to 127.0.0.1:{port}: Connection refused (os error 111)
"
        )
    );
    assert_eq!(code, 1);
}

#[test]
fn an_unreachable_kafka_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let toml = format!(
        "[kafka]\nbootstrap_servers = \"127.0.0.1:{port}\"\n[dead_letter]\npath = \"{}\"\n[[sinks]]\ntype = \"stdout\"\n",
        dl(dir.path()),
    );
    let (code, out) = validate(&toml, &["--timeout-ms", "1500"]);
    assert_eq!(
        out,
        format!(
            "CONFIG: configuration is valid (1 sink: stdout).
kafka: unreachable: metadata for topic `confluent-audit-log-events` from 127.0.0.1:{port}: Meta data fetch error: BrokerTransportFailure (Local: Broker transport failure)
sink `stdout`: healthy
"
        )
    );
    assert_eq!(code, 1);
}
