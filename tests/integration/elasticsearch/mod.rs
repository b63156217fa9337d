//! The Elasticsearch / OpenSearch sink, test cases E1–E16 of
//! `shared/docs/sinks.md` §6.3: error paths against the in-repo fake
//! (`support::es`), the real protocol against osmem-server
//! (`support::osmem`), and one end-to-end replay through the pipeline
//! (`pipeline`). Elsewhere [`deliver`] stands in for the pipeline by
//! resending what is not final; backoff timing, dead-letter writes and
//! offsets are the pipeline's own tests.

mod emulator;
mod items;
mod pipeline;
mod requests;
mod tls;

use std::collections::HashMap;
use std::sync::Arc;

use siem_bridge::event::{Disposition, Event, Processor};
use siem_bridge::sink::elasticsearch::{Compression, ElasticsearchConfig, ElasticsearchSink};
use siem_bridge::sink::{Outcome, SendReport, Sink};

use crate::support::sample_lines;

/// Every event of the shared fixture that is forwarded (no filter).
pub fn fixture_events() -> Vec<Arc<Event>> {
    let p = Processor {
        filtering: false,
        ..Processor::default()
    };
    sample_lines()
        .iter()
        .filter_map(|l| match p.process(l, None, 0) {
            Disposition::Forward(e) => Some(Arc::new(e)),
            _ => None,
        })
        .collect()
}

/// `n` events with ids `evt-00000`, … made from the fixture's small
/// forwarded events.
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

/// A sink on `url` with test-friendly settings (no gzip, 2 s timeout),
/// adjusted by `f`.
pub fn sink(url: &str, f: impl FnOnce(&mut ElasticsearchConfig)) -> ElasticsearchSink {
    let mut c = ElasticsearchConfig::new(url);
    c.compression = Compression::None;
    c.timeout_secs = 2;
    f(&mut c);
    ElasticsearchSink::new("es".into(), &c).unwrap()
}

/// The pipeline's contract in miniature: resend every event whose outcome
/// is not final, up to `attempts` times. Returns the final outcome of
/// each event (or its last one) and every report.
pub async fn deliver(
    sink: &ElasticsearchSink,
    events: &[Arc<Event>],
    attempts: usize,
) -> (Vec<Outcome>, Vec<SendReport>) {
    let mut last: Vec<Option<Outcome>> = vec![None; events.len()];
    let mut pending: Vec<usize> = (0..events.len()).collect();
    let mut reports = Vec::new();
    for _ in 0..attempts {
        if pending.is_empty() {
            break;
        }
        let batch: Vec<Arc<Event>> = pending.iter().map(|&i| events[i].clone()).collect();
        let report = sink.send(&batch).await;
        assert_eq!(report.outcomes.len(), batch.len(), "one outcome per event");
        let mut still = Vec::new();
        for (&i, o) in pending.iter().zip(&report.outcomes) {
            if !o.is_final() {
                still.push(i);
            }
            last[i] = Some(o.clone());
        }
        reports.push(report);
        pending = still;
    }
    (last.into_iter().map(Option::unwrap).collect(), reports)
}

/// Outcome classes, for compact assertions.
pub fn classes(outcomes: &[Outcome]) -> Vec<&'static str> {
    outcomes.iter().map(Outcome::class).collect()
}

/// Asserts every id of `events` was stored exactly once.
pub fn assert_once(writes: &HashMap<String, usize>, events: &[Arc<Event>]) {
    for id in ids(events) {
        assert_eq!(
            writes.get(&id),
            Some(&1),
            "{id} stored {:?} times",
            writes.get(&id)
        );
    }
}

/// The `config.example.toml` snippet handed to the lead parses and passes
/// the sink's checks.
#[test]
fn config_example_snippet_is_valid() {
    let doc = std::fs::read_to_string(crate::support::repo().join("docs/readme/elasticsearch.md"))
        .unwrap();
    let start = doc.find("```toml\n").expect("a toml block") + 8;
    let end = start + doc[start..].find("```").unwrap();
    let table: toml::Table = doc[start..end].parse().unwrap();
    let sinks = table["sinks"].as_array().unwrap();
    assert_eq!(sinks.len(), 1);
    let config: siem_bridge::sink::SinkConfig = sinks[0].clone().try_into().unwrap();
    assert_eq!(config.name(), "elastic");
    assert_eq!(config.check(), Vec::<(String, String)>::new());
}
