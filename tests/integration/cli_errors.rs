//! Errors that name the thing (issue 14): the exact texts and exit codes a
//! newcomer sees for the usual first mistakes.

use std::process::{Command, Output};

fn bridge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .args(args)
        .env_remove("SIEM_BRIDGE_CONFIG")
        .env_remove("CONFLUENT_BOOTSTRAP_SERVERS")
        .env_remove("CONFLUENT_API_KEY")
        .env_remove("CONFLUENT_API_SECRET")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn inspect_on_a_directory_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let out = bridge(&["inspect", &d]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("siem-bridge: cannot read {d}: is a directory; give a JSON Lines file (`.gz` too) or `-` for standard input\n")
    );
}

#[test]
fn a_truncated_gz_names_the_file_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, br#"{"specversion":"1.0"}"#).unwrap();
    let bytes = gz.finish().unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let p = path.display().to_string();
    let out = bridge(&["inspect", &p]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("siem-bridge: cannot read {p}: gzip: ")),
        "{err}"
    );
    assert!(
        err.ends_with(" (is the file complete, and gzip at all?)\n"),
        "{err}"
    );
}

#[test]
fn a_missing_config_file_says_the_os_error_once() {
    let out = bridge(&["run", "--config", "missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "siem-bridge: cannot read missing.toml: No such file or directory (os error 2)\n"
    );
}

#[test]
fn blank_lines_are_skipped_but_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.jsonl");
    std::fs::write(&path, "\n{}\n   \n\n{}\n").unwrap();
    let out = bridge(&["inspect", path.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<u64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["line"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(lines, vec![2, 5], "{text}");
    assert!(!text.contains("not_json"), "{text}");
}

#[test]
fn es_template_checks_the_index_pattern_like_elasticsearch() {
    let out = bridge(&["es-template", "--index-pattern", "Bad Pattern"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "siem-bridge: index pattern `Bad Pattern` contains ' ', which index names may not contain (space , \" \\ / ? < > | # :)\n"
    );
    assert!(out.stdout.is_empty());
    let out = bridge(&["es-template", "--index-pattern", "audit-*"]);
    assert!(out.status.success());
}

#[test]
fn zero_config_with_a_key_but_no_secret_is_refused_naming_it() {
    for (set, missing) in [
        ("CONFLUENT_API_KEY", "CONFLUENT_API_SECRET"),
        ("CONFLUENT_API_SECRET", "CONFLUENT_API_KEY"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
            .arg("run")
            .env_remove("SIEM_BRIDGE_CONFIG")
            .env_remove(missing)
            .env("CONFLUENT_BOOTSTRAP_SERVERS", "127.0.0.1:1")
            .env(set, "the-value-never-printed")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "`kafka.sasl_password`: {set} is set but {missing} is not (or is empty): set both to connect with SASL_SSL, or neither"
            )),
            "{err}"
        );
        assert!(!err.contains("the-value-never-printed"), "{err}");
    }
}
