//! `siem-bridge detect` as a user runs it: the incident scenario under
//! `tests/data/detect/` (made by its `make_incident.py`) must raise exactly
//! its expected alerts, each made of exactly its expected events.

use std::collections::BTreeMap;

use serde_json::Value;

fn data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/detect")
        .join(name)
}

fn detect(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut all = vec!["detect"];
    all.extend_from_slice(args);
    crate::support::cli::siem_bridge(&all, stdin)
}

fn alerts(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON alert per line"))
        .collect()
}

#[test]
fn incident_raises_exactly_its_alerts() {
    let (code, stdout, stderr) = detect(&[data("incident.jsonl").to_str().unwrap()], None);
    assert_eq!(code, 0, "{stderr}");
    let expected: BTreeMap<String, Vec<Vec<String>>> =
        serde_json::from_slice(&std::fs::read(data("incident.expected.json")).unwrap()).unwrap();
    let mut got: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for a in alerts(&stdout) {
        let mut ids: Vec<String> = a["event_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            a["event_count"].as_u64().unwrap() as usize,
            ids.len(),
            "{a}"
        );
        // Alert fields a SOC reads are there.
        for k in [
            "id",
            "severity",
            "summary",
            "first_time",
            "last_time",
            "group_key",
        ] {
            assert!(!a[k].is_null(), "{k} missing in {a}");
        }
        ids.sort();
        got.entry(a["rule"].as_str().unwrap().to_owned())
            .or_default()
            .push(ids);
    }
    for v in got.values_mut() {
        v.sort();
    }
    let mut expected = expected;
    for v in expected.values_mut() {
        v.sort();
    }
    assert_eq!(got, expected);
}

#[test]
fn alert_ids_are_the_same_on_every_run() {
    let a = detect(&[data("incident.jsonl").to_str().unwrap()], None).1;
    let b = detect(&[data("incident.jsonl").to_str().unwrap()], None).1;
    let ids = |s: &str| {
        alerts(s)
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert!(!ids(&a).is_empty());
    assert_eq!(ids(&a), ids(&b));
}

#[test]
fn files_exported_one_per_partition_are_merged_by_event_time() {
    // The incident split in two, as if exported partition by partition:
    // read one file after the other, the second file's events would all
    // be later than the allowed lateness.
    let whole = std::fs::read_to_string(data("incident.jsonl")).unwrap();
    let lines: Vec<&str> = whole.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for part in 0..2 {
        let path = dir.path().join(format!("p{part}.jsonl"));
        let text: Vec<&str> = lines.iter().skip(part).step_by(2).copied().collect();
        std::fs::write(&path, text.join("\n") + "\n").unwrap();
        paths.push(path.to_str().unwrap().to_owned());
    }
    let (code, split, stderr) = detect(&[&paths[0], &paths[1]], None);
    assert_eq!(code, 0, "{stderr}");
    let (_, one, _) = detect(&[data("incident.jsonl").to_str().unwrap()], None);
    assert_eq!(alerts(&split).len(), 8, "{split}");
    assert_eq!(alerts(&split), alerts(&one));
}

#[test]
fn a_byte_order_mark_before_the_first_line_is_not_a_bad_line() {
    let mut input = b"\xEF\xBB\xBF".to_vec();
    input.extend(std::fs::read(data("incident.jsonl")).unwrap());
    let (code, stdout, stderr) = detect(&["-"], Some(&input));
    assert_eq!(code, 0);
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(alerts(&stdout).len(), 8);
}

#[test]
fn stdin_bad_lines_are_reported_and_skipped() {
    let good = std::fs::read_to_string(data("incident.jsonl")).unwrap();
    let mut input = String::from("not json\n\n[1,2]\n");
    input.push_str(&good);
    let (code, stdout, stderr) = detect(&["-"], Some(input.as_bytes()));
    assert_eq!(code, 0);
    assert!(stderr.contains("-:1: skipped: not_json"), "{stderr}");
    assert!(stderr.contains("-:3: skipped: not_object"), "{stderr}");
    assert!(
        !stderr.contains("-:2:"),
        "a blank line is not a problem: {stderr}"
    );
    assert_eq!(alerts(&stdout).len(), 8, "the incident's eight alerts");
}

#[test]
fn bad_detect_config_exits_2_with_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[detect]\nallowed_lateness_secs = 10\n[detect.rules.denial_burst]\nthreshold = 0\n[detect.rules.nope]\n").unwrap();
    let (code, _, stderr) = detect(&["--config", cfg.to_str().unwrap(), "-"], Some(b""));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("detect.rules.denial_burst.threshold"),
        "{stderr}"
    );
    assert!(stderr.contains("detect.rules.nope"), "{stderr}");
}

/// The incident's lines with every other line moved to the end, as one
/// file exported partition after partition: half its events are minutes
/// older than the ones read before them.
fn partition_after_partition() -> String {
    let whole = std::fs::read_to_string(data("incident.jsonl")).unwrap();
    let lines: Vec<&str> = whole.lines().collect();
    let mut text: Vec<&str> = lines.iter().step_by(2).copied().collect();
    text.extend(lines.iter().skip(1).step_by(2));
    text.join("\n") + "\n"
}

#[test]
fn one_file_exported_partition_after_partition_is_read_in_event_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.jsonl");
    std::fs::write(&path, partition_after_partition()).unwrap();
    let path = path.to_str().unwrap();
    let (code, mixed, stderr) = detect(&[path], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let (_, one, _) = detect(&[data("incident.jsonl").to_str().unwrap()], None);
    assert_eq!(alerts(&mixed), alerts(&one));
    // Read in file order, the late half is missed (the read-ahead is what
    // makes the difference), and standard error says so.
    let (code, in_file_order, stderr) = detect(&["--reorder-mib", "0", path], None);
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(alerts(&in_file_order), alerts(&one), "{in_file_order}");
    assert!(
        stderr.contains("events came more than the allowed lateness (30 s)")
            && stderr.contains("raise --reorder-mib (now 0 MiB)"),
        "{stderr}"
    );
}

#[test]
fn quiet_standard_input_gives_its_alerts_without_waiting_for_its_end() {
    use std::io::{BufRead, Write};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .args(["detect", "-"])
        .env("SIEM_BRIDGE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(&std::fs::read(data("incident.jsonl")).unwrap())
        .unwrap();
    // A later event ends every incident's keep-alive in event time.
    let last = std::fs::read_to_string(data("incident.jsonl")).unwrap();
    let mut later: Value = serde_json::from_str(last.lines().last().unwrap()).unwrap();
    later["id"] = "later".into();
    later["time"] = "2025-06-10T16:00:00Z".into();
    writeln!(stdin, "{later}").unwrap();
    stdin.flush().unwrap();
    // Standard input stays open: the alerts come when it goes quiet.
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    let mut got = Vec::new();
    while got.len() < 8 {
        match rx.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(line) => got.push(line),
            Err(_) => panic!("{} alerts while standard input is open", got.len()),
        }
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    let (_, one, _) = detect(&[data("incident.jsonl").to_str().unwrap()], None);
    assert_eq!(alerts(&got.join("\n")), alerts(&one));
}
