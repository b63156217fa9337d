//! The configuration file: the shipped example, interpolation, secrets,
//! and the error listing (every problem, with key and line, exit code 2).

use std::collections::HashMap;

use siem_bridge::config::{self, ConfigError};

use crate::support::repo;

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

fn load_text(text: &str, vars: &[(&str, &str)]) -> Result<config::Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, text).unwrap();
    config::load(Some(&path), &env(vars))
}

fn problems(text: &str) -> Vec<String> {
    match load_text(text, &[]) {
        Err(ConfigError::Invalid { problems, .. }) => {
            problems.iter().map(|p| p.to_string()).collect()
        }
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn the_example_config_is_valid() {
    let text = std::fs::read_to_string(repo().join("config.example.toml")).unwrap();
    let c = load_text(
        &text,
        &[
            (
                "CONFLUENT_BOOTSTRAP_SERVERS",
                "pkc-1.us-west-2.aws.confluent.cloud:9092",
            ),
            ("CONFLUENT_API_KEY", "AUDITKEY"),
            ("CONFLUENT_API_SECRET", "s3cr3t-value"),
            ("ES_PASSWORD", "es-s3cr3t"),
            ("SPLUNK_HEC_TOKEN", "hec-s3cr3t"),
            ("PD_ROUTING_KEY", "R0123456789abcdef0123s3cr3tabcde"),
        ],
    )
    .unwrap();
    assert_eq!(
        c.kafka.bootstrap_servers,
        "pkc-1.us-west-2.aws.confluent.cloud:9092"
    );
    assert_eq!(c.kafka.topics, ["confluent-audit-log-events"]);
    let names: Vec<&str> = c.sinks.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        ["archive", "splunk", "elastic", "siem-syslog", "pagerduty"]
    );
    assert!(
        !format!("{c:?}").contains("s3cr3t"),
        "secrets never in Debug output"
    );
}

#[test]
fn every_problem_is_listed_with_key_and_line() {
    let p = problems(
        r#"[kafka]
bootstrap_servers = ""
group_id = 7

[pipeline]
batch_max_events = 0
max_record_bytes = 2000000000
shutdown_timeout_ms = 99999999

[kafka_typo]
x = 1

[[sinks]]
type = "file"
path = "/"

[[sinks]]
type = "carrier_pigeon"

[[filter.drop]]
verdict = "maybe"
"#,
    );
    let all = p.join("\n");
    for expected in [
        "line 3: `kafka.group_id`: invalid type: integer `7`, expected a string",
        "line 6: `pipeline.batch_max_events`: must be positive",
        "line 7: `pipeline.max_record_bytes`: must be at most 1073741824 (1 GiB)",
        "line 10: `kafka_typo`: unknown section",
        "line 15: `sinks[0].path`: / is a directory",
        "line 18: `sinks[1].type`: unknown variant `carrier_pigeon`",
        "line 21: `filter.drop[0].verdict`: unknown variant `maybe`",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
    assert!(p.len() >= 7, "{all}");
}

#[test]
fn kafka_problems_after_types_check_out() {
    let p = problems(
        "[kafka]\nbootstrap_servers = \"\"\nsecurity_protocol = \"sasl_ssl\"\n[kafka.librdkafka_options]\n\"enable.auto.commit\" = \"false\"\n[pipeline]\nshutdown_timeout_ms = 50000\n[[sinks]]\ntype = \"stdout\"\n",
    );
    let all = p.join("\n");
    assert!(
        all.contains("line 2: `kafka.bootstrap_servers`: required"),
        "{all}"
    );
    assert!(
        all.contains("`kafka.sasl_mechanism`: required with a SASL security_protocol"),
        "{all}"
    );
    assert!(all.contains("enable.auto.commit"), "{all}");
    assert!(
        all.contains("line 7: `pipeline.shutdown_timeout_ms`: must be shorter"),
        "{all}"
    );
}

#[test]
fn interpolation_and_missing_variables() {
    let c = load_text(
        "[kafka]\nbootstrap_servers = \"${BS}\"\ngroup_id = \"g-$${literal}\"\n[[sinks]]\ntype = \"stdout\"\n",
        &[("BS", "host:9092")],
    )
    .unwrap();
    assert_eq!(c.kafka.bootstrap_servers, "host:9092");
    assert_eq!(c.kafka.group_id, "g-${literal}");
    let p = problems(
        "[kafka]\nbootstrap_servers = \"${NOPE_NOT_SET}\"\n[[sinks]]\ntype = \"stdout\"\n",
    );
    assert!(
        p.iter().any(|m| m
            == "line 2: `kafka.bootstrap_servers`: environment variable NOPE_NOT_SET is not set"),
        "{p:?}"
    );
}

#[test]
fn zero_config_uses_confluent_environment_and_stdout() {
    let c = config::load(
        None,
        &env(&[
            ("CONFLUENT_BOOTSTRAP_SERVERS", "pkc-9:9092"),
            ("CONFLUENT_API_KEY", "K"),
            ("CONFLUENT_API_SECRET", "S"),
        ]),
    )
    .unwrap();
    assert_eq!(c.kafka.bootstrap_servers, "pkc-9:9092");
    assert_eq!(c.kafka.sasl_mechanism.as_deref(), Some("PLAIN"));
    assert_eq!(c.sinks[0].name(), "stdout");
    assert!(matches!(
        config::load(None, &env(&[])),
        Err(ConfigError::Invalid { .. })
    ));
}

#[test]
fn the_binary_exits_2_and_prints_every_problem_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[kafka]\nbootstrap_servers = \"x:9092\"\nsasl_password = \"${SECRET_PW}\"\nsasl_password_file = \"/x\"\n[[sinks]]\ntype = \"nope\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .args(["run", "--config", path.to_str().unwrap()])
        .env("SECRET_PW", "hunter2-very-secret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`kafka.sasl_password`: give sasl_password or sasl_password_file, not both"),
        "{err}"
    );
    assert!(
        err.contains("line 6: `sinks[0].type`: unknown variant `nope`"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}
