//! The Splunk HEC sink against the fake HEC (`support::hec`): test cases
//! H1–H19 of `shared/docs/sinks.md` §6.2, at the sink level (the
//! pipeline's backoff, dead-letter writes and offsets are tested with the
//! pipeline).

mod acks;
mod config_file;
mod events;
mod limits;
mod pipeline;
mod tls;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use siem_bridge::event::{Disposition, Event};
use siem_bridge::process::Processor;
use siem_bridge::sink::splunk_hec::{SplunkHec, SplunkHecConfig};
use siem_bridge::sink::{Outcome, Sink};

use crate::support::hec::FakeHec;
use crate::support::sample_lines;

/// `n` enriched events with ids `evt-00000`, `evt-00001`, … made from the
/// forwarded events of the shared fixture (small ones only).
pub fn events(n: usize) -> Vec<Arc<Event>> {
    let p = Processor::default();
    let templates: Vec<serde_json::Value> = sample_lines()
        .into_iter()
        .filter(|l| l.len() < 20_000)
        .filter(|l| matches!(p.process(l, None, 0), Disposition::Forward(_)))
        .map(|l| serde_json::from_slice(&l).unwrap())
        .collect();
    assert!(templates.len() > 50, "fixture events");
    (0..n)
        .map(|i| {
            let mut v = templates[i % templates.len()].clone();
            v["id"] = serde_json::json!(format!("evt-{i:05}"));
            match p.process(v.to_string().as_bytes(), None, 0) {
                Disposition::Forward(e) => Arc::new(e),
                other => panic!("template {i}: {}", other.label()),
            }
        })
        .collect()
}

pub fn ids(events: &[Arc<Event>]) -> Vec<String> {
    events.iter().map(|e| e.id().to_owned()).collect()
}

/// How many times each id was indexed.
pub fn counts(ids: &[String]) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for id in ids {
        *m.entry(id.clone()).or_default() += 1;
    }
    m
}

/// The sink's configuration for `hec` with quick timeouts; keys in
/// `extra` (TOML) override.
pub fn config(hec: &FakeHec, extra: &str) -> SplunkHecConfig {
    let mut table: toml::Table = format!(
        "endpoint = \"{}\"\ntoken = \"{}\"\nhost = \"bridge-test\"\nrequest_timeout_ms = 2000\nack_poll_interval_ms = 20",
        hec.url(),
        hec.token()
    )
    .parse()
    .unwrap();
    let extra: toml::Table = extra.parse().unwrap_or_else(|e| panic!("{e}\n{extra}"));
    table.extend(extra);
    toml::Value::Table(table).try_into().unwrap()
}

pub fn sink(hec: &FakeHec, extra: &str) -> SplunkHec {
    let c = config(hec, extra);
    assert!(c.check().is_empty(), "{:?}", c.check());
    SplunkHec::new("hec".to_owned(), &c).unwrap()
}

/// What the pipeline does with one sink, without backoff: resend the
/// events whose outcome is not final until all are (at most `rounds`).
/// Returns the final outcomes and the number of `send` calls.
pub async fn deliver(
    sink: &SplunkHec,
    events: &[Arc<Event>],
    rounds: usize,
) -> (Vec<Outcome>, usize) {
    let mut outcomes: Vec<Option<Outcome>> = vec![None; events.len()];
    for round in 1..=rounds {
        let open: Vec<usize> = (0..events.len())
            .filter(|&i| !outcomes[i].as_ref().is_some_and(Outcome::is_final))
            .collect();
        let batch: Vec<Arc<Event>> = open.iter().map(|&i| events[i].clone()).collect();
        let report = sink.send(&batch).await;
        assert_eq!(report.outcomes.len(), batch.len(), "one outcome per event");
        for (o, i) in report.outcomes.into_iter().zip(&open) {
            outcomes[*i] = Some(o);
        }
        if outcomes
            .iter()
            .all(|o| o.as_ref().is_some_and(Outcome::is_final))
        {
            return (outcomes.into_iter().map(Option::unwrap).collect(), round);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    (outcomes.into_iter().map(Option::unwrap).collect(), rounds)
}

pub fn all_accepted(outcomes: &[Outcome]) -> bool {
    outcomes.iter().all(|o| *o == Outcome::Accepted)
}

/// Waits (up to 10 s) until `cond` holds, instead of guessing a sleep.
pub async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn sink_config_type_splunk_hec_builds_and_checks() {
    use siem_bridge::sink::SinkConfig;
    let text = "type = \"splunk_hec\"\nendpoint = \"https://splunk.example.com:8088\"\ntoken = \"abc\"\n[tls]\nverify = true\n";
    let c: SinkConfig = toml::from_str(text).unwrap();
    assert_eq!(c.name(), "splunk_hec");
    assert!(c.check().is_empty(), "{:?}", c.check());
    assert_eq!(c.build().unwrap().name(), "splunk_hec");
    let bad: SinkConfig =
        toml::from_str("type = \"splunk_hec\"\nendpoint = \"ftp://x\"\n").unwrap();
    let keys: Vec<String> = bad.check().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["endpoint", "token"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "from-file\n").unwrap();
    let c: SinkConfig = toml::from_str(&format!(
        "type = \"splunk_hec\"\nendpoint = \"http://127.0.0.1:1\"\ntoken_file = \"{}\"\n",
        file.display()
    ))
    .unwrap();
    assert!(c.check().is_empty());
    assert!(c.build().is_ok());
}

#[tokio::test]
async fn token_from_a_file_authorizes_requests() {
    let hec = FakeHec::start(crate::support::hec::HecOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hec_token");
    std::fs::write(&file, format!("{}\n", hec.token())).unwrap();
    let mut c = config(&hec, &format!("token_file = \"{}\"", file.display()));
    c.token = None;
    let s = SplunkHec::new("hec".into(), &c).unwrap();
    assert!(all_accepted(&s.send(&events(2)).await.outcomes));
    let auth = hec.received()[0].authorization.clone().unwrap();
    assert_eq!(auth, format!("Splunk {}", hec.token()));
}
