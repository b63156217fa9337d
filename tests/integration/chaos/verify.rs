//! Verification by ids: the guarantee says a committed offset lies only
//! past records every sink has (or the dead-letter store has, for
//! invalid ones); at the end every id is everywhere, duplicates counted.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::kafka::{committed, TOPIC};

use super::load::Produced;
use super::procs::Bridge;
use super::world::{Seen, World, GROUP, PARTITIONS};

/// Committed offsets per partition (blocking client, off the runtime).
pub async fn committed_now(bootstrap: &str) -> Vec<i64> {
    let b = bootstrap.to_owned();
    tokio::task::spawn_blocking(move || {
        committed(&b, GROUP, TOPIC, PARTITIONS)
            .values()
            .map(|o| o.unwrap_or(0))
            .collect()
    })
    .await
    .unwrap()
}

/// Records below a committed offset that a sink (or the dead-letter store)
/// lacks: each one a broken guarantee. Committed offsets are read first,
/// sinks after (they only grow), so a hit is never a race of the check.
pub async fn committed_but_missing(w: &World, p: &Produced) -> Vec<String> {
    let committed = committed_now(w.kafka.bootstrap()).await;
    let seen = w.seen().await;
    let dl = w.dead_lettered();
    let mut out = Vec::new();
    for (n, l) in p.landed.iter().enumerate() {
        let Some((part, off)) = l else { continue };
        if *off >= committed[*part as usize] {
            continue;
        }
        let id = p.id(n);
        if p.is_bad(n) {
            if !dl.contains_key(&id) {
                out.push(format!("{id} (dead-letter)"));
            }
            continue;
        }
        for (name, s) in &seen {
            if !s.contains_key(&id) {
                out.push(format!("{id} ({name})"));
            }
        }
    }
    out
}

/// Waits (bounded) until the group committed everything produced; true if
/// it did. Starts a member if none is alive.
pub async fn drain(w: &mut World, p: &Produced, members: &mut Vec<Bridge>) -> bool {
    members.retain_mut(|m| m.alive());
    if members.is_empty() {
        members.push(w.spawn(None));
    }
    let ends = p.ends();
    let deadline = Instant::now() + Duration::from_secs(300);
    while Instant::now() < deadline {
        let c = committed_now(w.kafka.bootstrap()).await;
        if c.iter().zip(&ends).all(|(c, e)| c >= e) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let c = committed_now(w.kafka.bootstrap()).await;
    let alive = members
        .iter_mut()
        .filter_map(|m| m.alive().then_some(()))
        .count();
    let logs = w.logs();
    let tail: Vec<&str> = logs.lines().rev().take(40).collect();
    eprintln!(
        "chaos: not drained: committed {c:?}, ends {ends:?}, {alive} members alive; log tail (newest first):\n{}",
        tail.join("\n")
    );
    false
}

/// The final count for one destination.
pub struct SinkTally {
    pub name: &'static str,
    pub missing: Vec<String>,
    pub duplicates: usize,
}

/// Missing and duplicate ids at every destination.
pub async fn tally(w: &World, p: &Produced) -> Vec<SinkTally> {
    let mut want_good = Vec::new();
    let mut want_bad = Vec::new();
    for (n, l) in p.landed.iter().enumerate() {
        if l.is_some() {
            match p.is_bad(n) {
                true => want_bad.push(p.id(n)),
                false => want_good.push(p.id(n)),
            }
        }
    }
    let count = |name, seen: &Seen, want: &[String]| SinkTally {
        name,
        missing: want
            .iter()
            .filter(|id| !seen.contains_key(*id))
            .cloned()
            .collect(),
        duplicates: seen.values().map(|c| c.saturating_sub(1)).sum(),
    };
    let mut out: Vec<SinkTally> = w
        .seen()
        .await
        .iter()
        .map(|(name, s)| count(name, s, &want_good))
        .collect();
    if p.bad_every.is_some() {
        out.push(count("dead-letter", &w.dead_lettered(), &want_bad));
    }
    out
}

/// Prints the figures and appends them to `target/chaos/results.ndjson`
/// (RELIABILITY.md quotes them).
pub fn report(
    scenario: &str,
    p: &Produced,
    tallies: &[SinkTally],
    violations: usize,
    max_rss_kb: u64,
    extra: serde_json::Value,
) {
    let sinks: serde_json::Map<_, _> = tallies
        .iter()
        .map(|t| {
            (
                t.name.to_owned(),
                json!({"missing": t.missing.len(), "duplicates": t.duplicates}),
            )
        })
        .collect();
    let line = json!({
        "scenario": scenario,
        "bridge": super::procs::bridge_bin().display().to_string(),
        "produced": p.landed.len(),
        "unsent_by_producer": p.unsent(),
        "committed_but_missing": violations,
        "max_rss_kb": max_rss_kb,
        "sinks": sinks,
        "extra": extra,
    });
    eprintln!("chaos: {line}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/chaos");
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("results.ndjson"))
    {
        use std::io::Write;
        let _ = writeln!(f, "{line}");
    }
}

/// Asserts the guarantee on the final tallies.
pub fn assert_nothing_lost(scenario: &str, tallies: &[SinkTally], violations: &[String]) {
    assert!(
        violations.is_empty(),
        "{scenario}: committed past records a sink lacks: {:?}",
        &violations[..violations.len().min(20)]
    );
    for t in tallies {
        assert!(
            t.missing.is_empty(),
            "{scenario}: {} missing at {}: {:?}",
            t.missing.len(),
            t.name,
            &t.missing[..t.missing.len().min(20)]
        );
    }
}

/// The end every membership scenario shares: stop the load, wait until
/// the group committed everything, check nothing was committed past a
/// missing id, stop the members (SIGTERM), count, report, assert; returns
/// whether every member exited cleanly.
pub async fn finish(
    scenario: &str,
    w: &mut World,
    load: super::load::Load,
    mut members: Vec<Bridge>,
    mut violations: Vec<String>,
    mut rss: u64,
    mut extra: serde_json::Value,
) -> bool {
    let p = load.stop(PARTITIONS).await;
    let drained = drain(w, &p, &mut members).await;
    violations.extend(committed_but_missing(w, &p).await);
    for m in &members {
        rss = rss.max(m.rss_kb().unwrap_or(0));
    }
    let clean = members.iter_mut().all(Bridge::term);
    let t = tally(w, &p).await;
    extra["drained"] = json!(drained);
    extra["clean_exit"] = json!(clean);
    report(scenario, &p, &t, violations.len(), rss, extra);
    assert_nothing_lost(scenario, &t, &violations);
    assert!(drained, "the group never committed everything");
    clean
}
