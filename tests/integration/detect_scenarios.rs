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

/// The scenario's input: `NAME.jsonl.gz`, or its partitions'
/// `NAME.p0.jsonl.gz`, `NAME.p1.jsonl.gz`, … given as one file each.
fn inputs(name: &str) -> Vec<PathBuf> {
    let one = dir().join(format!("{name}.jsonl.gz"));
    if one.exists() {
        return vec![one];
    }
    let prefix = format!("{name}.p");
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let f = p.file_name().unwrap().to_string_lossy();
            f.strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".jsonl.gz"))
                .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .collect();
    parts.sort();
    assert!(!parts.is_empty(), "no input for {name}");
    parts
}

/// `siem-bridge detect` over the scenario: its alerts, or why it failed.
fn alerts(name: &str, s: &Scenario, tmp: &Path) -> Result<Vec<Value>, String> {
    let mut args: Vec<String> = vec!["detect".into()];
    if let Some(c) = &s.config {
        let path = tmp.join(format!("{name}.toml"));
        std::fs::write(&path, format!("[detect]\n{c}")).unwrap();
        args.extend(["--config".into(), path.display().to_string()]);
    }
    if let Some(r) = s.reorder {
        args.extend(["--reorder-mib".into(), r.to_string()]);
    }
    args.extend(inputs(name).iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = crate::support::cli::siem_bridge(&args, None);
    if code != 0 {
        return Err(format!("exit {code}: {stderr}"));
    }
    Ok(stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON alert per line"))
        .collect())
}

fn scenario(name: &str) -> Scenario {
    let text = std::fs::read(dir().join(format!("{name}.expected.json"))).unwrap();
    serde_json::from_slice(&text).unwrap()
}

/// An alert's event ids, sorted.
fn event_ids(a: &Value) -> Vec<String> {
    let ids = a["event_ids"].as_array().unwrap().iter();
    let mut ids: Vec<String> = ids.map(|v| v.as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

/// How one scenario differs from what it expects (empty: it passed).
fn differences(name: &str, s: &Scenario, tmp: &Path) -> Vec<String> {
    let alerts = match alerts(name, s, tmp) {
        Ok(a) => a,
        Err(e) => return vec![e],
    };
    let mut got: BTreeMap<Key, Vec<u64>> = BTreeMap::new();
    for a in &alerts {
        let k = (a["rule"].as_str().unwrap().to_owned(), event_ids(a));
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
    assert_eq!(names.len(), 1849, "the scenarios under {}", dir().display());
    let mut failed = Vec::new();
    for name in &names {
        let s = scenario(name);
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

/// An alert as the id groups compare it: rule, id, events, first time.
type Compared = (String, String, Vec<String>, String);

/// `ID_EQUIV.json`: groups of scenarios that hold the same events in
/// another arrival order (swapped, split into partitions, with and
/// without the read-ahead). Each group's alerts must be the same,
/// ids and first times included: an id is a hash of rule, group key and
/// window start (docs/detect.md), whatever order the events came in.
#[test]
fn the_same_events_in_any_order_give_the_same_alert_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read(dir().join("ID_EQUIV.json")).unwrap();
    let groups: BTreeMap<String, Vec<String>> = serde_json::from_slice(&text).unwrap();
    assert!(groups.len() >= 15, "{} groups", groups.len());
    let mut failed = Vec::new();
    for (group, names) in &groups {
        let mut seen: Vec<(String, Vec<Compared>)> = Vec::new();
        for name in names {
            let mut got: Vec<_> = alerts(name, &scenario(name), tmp.path())
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .iter()
                .map(|a| {
                    let s = |k: &str| a[k].as_str().unwrap().to_owned();
                    (s("rule"), s("id"), event_ids(a), s("first_time"))
                })
                .collect();
            got.sort();
            assert!(!got.is_empty(), "{name} raised nothing");
            seen.push((name.clone(), got));
        }
        if seen.iter().any(|(_, g)| *g != seen[0].1) {
            failed.push(format!("{group}: {seen:#?}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
