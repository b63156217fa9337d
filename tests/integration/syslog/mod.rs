//! The syslog sink against a real rsyslogd (formats, framings, transports,
//! TLS) and against a scripted fake receiver (peer close, stall, reset).

pub use crate::support::syslog_fake as fake;
mod faults;
mod pipeline;
mod real_receiver;
mod relp;
pub mod rsyslogd;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use siem_bridge::event::{Disposition, Event};
use siem_bridge::process::Processor;
use siem_bridge::sink::syslog::SyslogSink;
use siem_bridge::sink::{Outcome, Sink, SinkConfig};

/// Every forwarded event of `sample.jsonl` (line 83, 300 KB, included).
pub fn fixture_events() -> Vec<Arc<Event>> {
    crate::support::sample_lines()
        .iter()
        .filter_map(|l| match Processor::default().process(l, None, 0) {
            Disposition::Forward(e) => Some(Arc::new(e)),
            _ => None,
        })
        .collect()
}

/// An event with a given id and a padding field of `pad` bytes.
pub fn padded_event(id: &str, pad: usize) -> Arc<Event> {
    let raw = format!(
        r#"{{"id":"{id}","source":"crn://confluent.cloud/organization=o-1","specversion":"1.0","type":"io.confluent.kafka.server/authentication","time":"2026-01-01T00:00:00Z","data":{{"methodName":"kafka.Authentication","authenticationInfo":{{"principal":"User:sa-1"}},"result":{{"status":"SUCCESS"}},"pad":"{}"}}}}"#,
        "p".repeat(pad)
    );
    match Processor::default().process(raw.as_bytes(), None, 0) {
        Disposition::Forward(e) => Arc::new(e),
        other => panic!("{}", other.label()),
    }
}

/// `n` [`padded_event`]s with ids `{prefix}-0`, `{prefix}-1`, ….
pub fn padded_events(prefix: &str, n: usize, pad: usize) -> Vec<Arc<Event>> {
    (0..n)
        .map(|i| padded_event(&format!("{prefix}-{i}"), pad))
        .collect()
}

/// An event whose principal holds a line feed (it lands in an SD value).
pub fn multi_line_event() -> Arc<Event> {
    let raw = r#"{"id":"multi-line","source":"crn://confluent.cloud/organization=o-1","specversion":"1.0","type":"io.confluent.kafka.server/authentication","time":"2026-01-01T00:00:00Z","data":{"methodName":"kafka.Authentication","authenticationInfo":{"principal":"User:first\nsecond"},"result":{"status":"SUCCESS"}}}"#;
    match Processor::default().process(raw.as_bytes(), None, 0) {
        Disposition::Forward(e) => Arc::new(e),
        other => panic!("{}", other.label()),
    }
}

/// Parses `[[sinks]]`-style TOML through [`SinkConfig`] (as the config
/// loader does), checks it, and builds the syslog sink.
pub fn sink(toml_body: &str) -> Arc<SyslogSink> {
    let cfg: SinkConfig =
        toml::from_str(&format!("type = \"syslog\"\nname = \"siem\"\n{toml_body}")).unwrap();
    assert_eq!(cfg.check(), Vec::<(String, String)>::new());
    assert!(cfg.build().is_ok());
    match cfg {
        SinkConfig::Syslog(c) => Arc::new(SyslogSink::new(&c, "siem".into()).unwrap()),
        _ => unreachable!(),
    }
}

/// What the pipeline does with a batch: resend the events whose outcome is
/// not final until every one is, pausing briefly between attempts.
/// Returns the number of attempts.
pub async fn deliver(sink: &dyn Sink, events: &[Arc<Event>]) -> usize {
    let mut pending: Vec<Arc<Event>> = events.to_vec();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut attempts = 0;
    while !pending.is_empty() {
        assert!(Instant::now() < deadline, "not delivered within 60 s");
        attempts += 1;
        let report = sink.send(&pending).await;
        let mut next = Vec::new();
        for (e, o) in pending.iter().zip(&report.outcomes) {
            match o {
                Outcome::Accepted => {}
                Outcome::Retryable(_) | Outcome::Ambiguous(_) => next.push(e.clone()),
                other => panic!("unexpected outcome for {}: {other:?}", e.id()),
            }
        }
        if !next.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        pending = next;
    }
    attempts
}

/// The event id in an RFC 5424 message's structured data.
pub fn sd_id(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    let start = text.find(" id=\"").expect("id param") + 5;
    let end = start + text[start..].find('"').unwrap();
    text[start..end].to_owned()
}

/// How many times each id arrived.
pub fn counts<'a>(ids: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for id in ids {
        *m.entry(id.to_owned()).or_insert(0) += 1;
    }
    m
}

/// The ids of `events` that are not among the ids `got` (duplicates in
/// `got` are fine), in the events' order.
pub fn missing<'e>(events: &'e [Arc<Event>], got: &[String]) -> Vec<&'e str> {
    let c = counts(got.iter().map(String::as_str));
    events
        .iter()
        .map(|e| e.id())
        .filter(|id| !c.contains_key(*id))
        .collect()
}

/// Sorted copies, for comparing what was sent with what arrived.
pub fn sorted(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    v.sort();
    v
}
