//! `siem-bridge inspect` as a user runs it: the binary, a file, stdout.

use std::process::Command;

use crate::support::{repo, sample_jsonl};

fn inspect(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .arg("inspect")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn json_output_has_one_line_per_input_line() {
    let policy = repo().join("examples/policy/reference.toml");
    let (code, out, err) = inspect(&[
        "--config",
        policy.to_str().unwrap(),
        sample_jsonl().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 83);
    for (i, v) in lines.iter().enumerate() {
        assert_eq!(v["line"], i + 1);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 4, "{keys:?}");
    }
    let l18 = &lines[17];
    assert_eq!(l18["disposition"], "drop");
    assert_eq!(l18["reason"], "F3-internal-granted");
    assert_eq!(l18["enrichment"]["verdict"], "allowed");
    let l9 = &lines[8];
    assert_eq!(l9["disposition"], "dead_letter");
    assert!(l9["reason"].as_str().unwrap().starts_with("not_json: "));
    assert!(l9["enrichment"].is_null());
    let l7 = &lines[6];
    assert_eq!(l7["disposition"], "forward");
    assert!(l7["reason"].is_null());
    assert_eq!(
        l7["enrichment"]["principal"]["normalized"],
        "User:sa-7tz2pl"
    );
    assert_eq!(l7["enrichment"]["failed_auth"], true);
}

#[test]
fn gzip_and_stdin_inputs() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("sample.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&std::fs::read(sample_jsonl()).unwrap())
        .unwrap();
    enc.finish().unwrap();
    let (code, out, _) = inspect(&["--no-filter", gz.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 83);
    assert_eq!(out.matches("\"disposition\":\"forward\"").count(), 72);

    let mut child = Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .args(["inspect", "--format", "table", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"not json\n{\"id\":1}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("not_json"), "{text}");
    assert!(
        text.contains("2 lines: 0 forward, 0 drop, 2 dead_letter"),
        "{text}"
    );
}

#[test]
fn preset_keeps_only_failures_on_sensitive_resources() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let ev = |id: &str, granted: bool, topic: &str| {
        format!(
            r#"{{"id":"{id}","source":"crn://confluent.cloud/","specversion":"1.0","type":"io.confluent.kafka.server/authorization","data":{{"methodName":"kafka.Metadata","resourceName":"crn://confluent.cloud/kafka=lkc-1/topic={topic}","authenticationInfo":{{"principal":"User:sa-1"}},"authorizationInfo":{{"granted":{granted},"operation":"Describe","resourceType":"Topic","resourceName":"{topic}"}}}}}}"#
        )
    };
    let text = [
        ev("a", false, "sensitive-pii"),
        ev("b", true, "sensitive-pii"),
        ev("c", false, "orders"),
    ]
    .join("\n");
    std::fs::write(&input, text).unwrap();
    let preset = repo().join("examples/policy/failed-on-sensitive.toml");
    let (code, out, err) = inspect(&[
        "--config",
        preset.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let d: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(d[0]["disposition"], "forward");
    assert_eq!(d[0]["enrichment"]["severity"], "high");
    assert_eq!(d[1]["disposition"], "drop");
    assert_eq!(d[1]["reason"], "not-in-allow-list");
    assert_eq!(d[2]["disposition"], "drop");
}

#[test]
fn bad_policy_lists_every_problem_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[severity]\nsensitive_resources = [\"x\"]\n\n[[severity.rules]]\nmethod = \"x\"\n\n[[filter.drop]]\nname = \"a\"\nverdict = \"maybe\"\n",
    )
    .unwrap();
    let (code, _, err) = inspect(&[
        "--config",
        cfg.to_str().unwrap(),
        sample_jsonl().to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 9: `filter.drop[0].verdict`: unknown variant `maybe`"),
        "{err}"
    );
    assert!(err.contains("severity"), "{err}");
}
