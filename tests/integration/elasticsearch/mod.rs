//! The Elasticsearch / OpenSearch sink, test cases E1–E16 of
//! `docs/sinks.md` §6.3: error paths against the in-repo fake
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

use siem_bridge::event::{Disposition, Event};
use siem_bridge::process::Processor;
use siem_bridge::sink::elasticsearch::{Compression, ElasticsearchConfig, ElasticsearchSink};
use siem_bridge::sink::{Outcome, SendReport, Sink};

use crate::support::{ids, sample_lines};

/// Every event of the audit-event fixture that is forwarded (no filter).
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

/// A sink on `url` with test-friendly settings (no gzip, 2 s timeout),
/// adjusted by `f`.
pub fn sink(url: &str, f: impl FnOnce(&mut ElasticsearchConfig)) -> ElasticsearchSink {
    let mut c = ElasticsearchConfig::new(url);
    c.compression = Compression::None;
    c.timeout_secs = 2;
    f(&mut c);
    ElasticsearchSink::new(&c, "es".into()).unwrap()
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

/// The `elasticsearch` table of `config.example.toml`, alone, loads
/// through the real config loader (with `${ES_PASSWORD}` interpolated), and
/// a broken sink table is reported key by key, with lines.
#[test]
fn config_example_snippet_loads_and_problems_name_their_keys() {
    let doc = std::fs::read_to_string(crate::support::repo().join("config.example.toml")).unwrap();
    let start = doc
        .find("[[sinks]]\ntype = \"elasticsearch\"")
        .expect("an elasticsearch table");
    let len = doc[start + 1..]
        .find("\n[[")
        .map_or(doc.len() - start, |n| n + 2);
    let snippet = &doc[start..start + len];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    let kafka = "[kafka]\nbootstrap_servers = \"localhost:9092\"\n\n";
    std::fs::write(&path, format!("{kafka}{snippet}")).unwrap();
    let env = |k: &str| (k == "ES_PASSWORD").then(|| "pw".to_owned());
    let config = siem_bridge::config::load(Some(&path), &env).unwrap();
    assert_eq!(config.sinks.len(), 1);
    assert_eq!(config.sinks[0].name(), "elastic");

    let broken = format!(
        "{kafka}[[sinks]]\ntype = \"elasticsearch\"\nendpoint = \"http://es:9200\"\nflavor = \"opensearch\"\nindex = \"Audit-%Y\"\napi_key = \"k\"\n"
    );
    std::fs::write(&path, broken).unwrap();
    let problems = match siem_bridge::config::load(Some(&path), &env) {
        Err(siem_bridge::config::ConfigError::Invalid { problems, .. }) => problems,
        other => panic!("{other:?}"),
    };
    let keys: Vec<(&str, Option<usize>)> =
        problems.iter().map(|p| (p.key.as_str(), p.line)).collect();
    assert_eq!(
        keys,
        [("sinks[0].index", Some(8)), ("sinks[0].api_key", Some(9))],
        "{problems:?}"
    );
}
