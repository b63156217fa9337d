//! The sink's section of a real configuration file: `${VAR}` for the
//! token, and problems listed with key and line.

use std::collections::HashMap;

use siem_bridge::config::{self, ConfigError};
use siem_bridge::sink::SinkConfig;

fn load(text: &str, vars: &[(&str, &str)]) -> Result<config::Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, text).unwrap();
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    config::load(Some(&path), &move |k: &str| vars.get(k).cloned())
}

const KAFKA: &str =
    "[kafka]\nbootstrap_servers = \"localhost:9092\"\nsecurity_protocol = \"plaintext\"\n";

#[test]
fn token_from_the_environment_and_never_printed() {
    let text = format!("{KAFKA}\n[[sinks]]\ntype = \"splunk_hec\"\nendpoint = \"https://splunk.example.com:8088\"\ntoken = \"${{SPLUNK_HEC_TOKEN}}\"\nacknowledgements = true\n[sinks.index_by_severity]\ncritical = \"sec_critical\"\n");
    let c = load(&text, &[("SPLUNK_HEC_TOKEN", "0f1e2d3c-secret-token")]).unwrap();
    let SinkConfig::SplunkHec(hec) = &c.sinks[0] else {
        panic!("{:?}", c.sinks[0])
    };
    assert_eq!(
        hec.token.as_ref().unwrap().expose(),
        "0f1e2d3c-secret-token"
    );
    assert!(hec.acknowledgements);
    assert!(
        !format!("{c:?}").contains("0f1e2d3c-secret-token"),
        "the token never appears in Debug output"
    );
}

#[test]
fn problems_are_listed_with_key_and_line() {
    let text = format!("{KAFKA}\n[[sinks]]\ntype = \"splunk_hec\"\nendpoint = \"splunk:8088\"\nmax_batch_bytes = 0\n");
    let problems = match load(&text, &[]) {
        Err(ConfigError::Invalid { problems, .. }) => {
            problems.iter().map(|p| p.to_string()).collect::<Vec<_>>()
        }
        other => panic!("expected problems, got {other:?}"),
    };
    let all = problems.join("\n");
    for expected in [
        "line 7: `sinks[0].endpoint`",
        "`sinks[0].token`",
        "line 8: `sinks[0].max_batch_bytes`: must be greater than 0",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
}
