//! The webhook table of `config.example.toml` loads, and the whole-config
//! rule: a webhook sink receives only alerts, so `[detect]` must be on
//! and, when `[detect] sinks` is given, name it.

use siem_bridge::config::{load, ConfigError};

const KAFKA: &str = "[kafka]\nbootstrap_servers = \"localhost:9092\"\n\n";

fn problems(text: &str) -> Vec<(String, Option<usize>, String)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, text).unwrap();
    let env =
        |k: &str| (k == "PD_ROUTING_KEY").then(|| "R0123456789abcdef0123456789abcde".to_owned());
    match load(Some(&path), &env) {
        Ok(_) => Vec::new(),
        Err(ConfigError::Invalid { problems, .. }) => problems
            .into_iter()
            .map(|p| (p.key, p.line, p.message))
            .collect(),
        Err(e) => panic!("{e}"),
    }
}

fn webhook_snippet() -> String {
    let doc = std::fs::read_to_string(crate::support::repo().join("config.example.toml")).unwrap();
    let start = doc
        .find("[[sinks]]\ntype = \"webhook\"")
        .expect("a webhook table in config.example.toml");
    let len = doc[start..]
        .find("\n# ---")
        .expect("the table ends before the next section comment");
    doc[start..start + len].to_owned()
}

#[test]
fn config_example_snippet_loads_with_detect() {
    let snippet = webhook_snippet();
    assert_eq!(problems(&format!("{KAFKA}{snippet}\n[detect]\n")), []);
}

#[test]
fn a_webhook_without_detect_is_a_problem_at_its_type() {
    let text = format!(
        "{KAFKA}[[sinks]]\ntype = \"stdout\"\n\n[[sinks]]\ntype = \"webhook\"\nurl = \"https://hooks.example.com/a\"\n"
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "sinks[1].type");
    assert_eq!(p[0].1, Some(8));
    assert!(p[0].2.contains("enable [detect]"), "{p:?}");

    let off = format!("{text}\n[detect]\nenabled = false\n");
    assert_eq!(problems(&off)[0].0, "sinks[1].type");

    assert_eq!(problems(&format!("{text}\n[detect]\n")), []);
}

#[test]
fn detect_sinks_must_name_the_webhook() {
    let base = format!(
        "{KAFKA}[[sinks]]\ntype = \"stdout\"\n\n[[sinks]]\ntype = \"webhook\"\nname = \"pager\"\nurl = \"https://hooks.example.com/a\"\n"
    );
    let p = problems(&format!("{base}\n[detect]\nsinks = [\"stdout\"]\n"));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "sinks[1].type");
    assert!(p[0].2.contains("`pager`"), "{p:?}");
    assert_eq!(
        problems(&format!("{base}\n[detect]\nsinks = [\"pager\"]\n")),
        []
    );
}

#[test]
fn problems_name_their_keys_and_never_the_routing_key() {
    let text = format!(
        "{KAFKA}[[sinks]]\ntype = \"webhook\"\nformat = \"pagerduty\"\nrouting_key = \"short-secret\"\ntimeout_secs = 0\nurl = \"ftp://x\"\n\n[detect]\n"
    );
    let p = problems(&text);
    let keys: Vec<&str> = p.iter().map(|(k, _, _)| k.as_str()).collect();
    // In the file's order.
    assert_eq!(
        keys,
        [
            "sinks[0].routing_key",
            "sinks[0].timeout_secs",
            "sinks[0].url"
        ],
        "{p:?}"
    );
    assert!(!format!("{p:?}").contains("short-secret"));
}
