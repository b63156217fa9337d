//! `siem-bridge detect` over the detection scenarios under
//! `tests/data/detect/scenarios/` (their README says how they were
//! written): every scenario must raise exactly its expected alerts, each
//! made of exactly its expected events. Every mismatch is listed, not the
//! first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Scenario {
    desc: String,
    config: Option<String>,
    reorder: Option<u32>,
    expected: Vec<Expected>,
}

#[derive(Deserialize)]
struct Expected {
    rule: String,
    event_ids: Vec<String>,
    event_count: Option<u64>,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/detect/scenarios")
}

/// An alert as compared: its rule and its events, sorted.
type Key = (String, Vec<String>);

fn key(rule: &str, ids: impl IntoIterator<Item = String>) -> Key {
    let mut ids: Vec<String> = ids.into_iter().collect();
    ids.sort();
    (rule.to_owned(), ids)
}

/// How one scenario differs from what it expects (empty: it passed).
fn differences(name: &str, s: &Scenario, tmp: &Path) -> Vec<String> {
    let input = dir().join(format!("{name}.jsonl.gz"));
    let mut args: Vec<String> = vec!["detect".into()];
    if let Some(c) = &s.config {
        let path = tmp.join(format!("{name}.toml"));
        std::fs::write(&path, format!("[detect]\n{c}")).unwrap();
        args.extend(["--config".into(), path.display().to_string()]);
    }
    if let Some(r) = s.reorder {
        args.extend(["--reorder-mib".into(), r.to_string()]);
    }
    args.push(input.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = crate::support::cli::siem_bridge(&args, None);
    if code != 0 {
        return vec![format!("exit {code}: {stderr}")];
    }
    let mut got: BTreeMap<Key, Vec<u64>> = BTreeMap::new();
    for line in stdout.lines() {
        let a: Value = serde_json::from_str(line).expect("one JSON alert per line");
        let ids = a["event_ids"].as_array().unwrap().iter();
        let k = key(
            a["rule"].as_str().unwrap(),
            ids.map(|v| v.as_str().unwrap().to_owned()),
        );
        got.entry(k)
            .or_default()
            .push(a["event_count"].as_u64().unwrap());
    }
    let mut out = Vec::new();
    for e in &s.expected {
        let k = key(&e.rule, e.event_ids.iter().cloned());
        match got.get_mut(&k).and_then(Vec::pop) {
            None => out.push(format!("missing: {} {:?}", k.0, k.1)),
            Some(count) => {
                if e.event_count.is_some_and(|c| c != count) {
                    out.push(format!(
                        "{} {:?}: event_count {count}, not {:?}",
                        k.0, k.1, e.event_count
                    ));
                }
            }
        }
    }
    for (k, left) in got {
        for _ in left {
            out.push(format!("extra: {} {:?}", k.0, k.1));
        }
    }
    out
}

#[test]
fn every_scenario_raises_exactly_its_alerts() {
    let tmp = tempfile::tempdir().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".expected.json").map(str::to_owned)
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 169, "the scenarios under {}", dir().display());
    let mut failed = Vec::new();
    for name in &names {
        let text = std::fs::read(dir().join(format!("{name}.expected.json"))).unwrap();
        let s: Scenario = serde_json::from_slice(&text).unwrap();
        let diff = differences(name, &s, tmp.path());
        if !diff.is_empty() {
            failed.push(format!("{name} ({}):\n  {}", s.desc, diff.join("\n  ")));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failed.len(),
        names.len(),
        failed.join("\n")
    );
}
