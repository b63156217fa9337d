//! Events → `_bulk` NDJSON: an action line and a source line per event,
//! every line ending in `\n` (the last one too, or the server refuses the
//! whole request). Pure: bytes in, bytes out.

use std::io::Write as _;

use super::config::Action;
use super::target::Target;
use crate::event::{Event, Verdict};

/// Elasticsearch and OpenSearch (≥ 2.9) refuse longer `_id`s.
pub const MAX_ID_BYTES: usize = 512;

/// Why one event cannot be written as a bulk document. Each one means the
/// event can never be accepted as it is: dead-letter it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("event id is empty: no idempotent `_id` possible")]
    EmptyId,
    #[error("event id is {0} bytes; Elasticsearch `_id` allows at most 512")]
    IdTooLong(usize),
    #[error("event JSON contains a raw line break, which would corrupt the NDJSON body")]
    NotOneLine,
}

/// Builds bulk documents for one sink.
#[derive(Debug, Clone)]
pub struct Encoder {
    pub target: Target,
    pub action: Action,
    pub ecs: bool,
}

impl Encoder {
    /// The action actually sent: data streams take only `create`.
    pub fn op(&self) -> Action {
        match self.target {
            Target::DataStream(_) => Action::Create,
            Target::Index(_) => self.action,
        }
    }

    /// Appends the two lines for `event` to `out`. On error `out` is left
    /// as it was.
    pub fn encode(&self, event: &Event, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let id = event.id();
        if id.is_empty() {
            return Err(EncodeError::EmptyId);
        }
        if id.len() > MAX_ID_BYTES {
            return Err(EncodeError::IdTooLong(id.len()));
        }
        if memchr::memchr2(b'\n', b'\r', event.json.as_bytes()).is_some() {
            return Err(EncodeError::NotOneLine);
        }
        let time = event.enrichment.time.to_string();
        out.extend_from_slice(b"{\"");
        out.extend_from_slice(self.op().as_str().as_bytes());
        out.extend_from_slice(b"\":{\"_index\":");
        json_str(out, &self.target.name_at(event.enrichment.time_unix_nanos));
        out.extend_from_slice(b",\"_id\":");
        json_str(out, id);
        out.extend_from_slice(b"}}\n");
        if self.ecs {
            ecs_document(event, &time, out);
        } else {
            plain_document(event, &time, out);
        }
        out.push(b'\n');
        Ok(())
    }
}

/// The event as rendered (original + `enrichment`) with `@timestamp` as
/// its first key. CloudEvents attribute names are lowercase letters and
/// digits only, so an audit event never has its own `@timestamp`.
fn plain_document(event: &Event, time: &str, out: &mut Vec<u8>) {
    let json = event.json.trim_start();
    let rest = json.strip_prefix('{').unwrap_or(json);
    out.extend_from_slice(b"{\"@timestamp\":");
    json_str(out, time);
    if !rest.trim_start().starts_with('}') {
        out.push(b',');
    }
    out.extend_from_slice(rest.as_bytes());
}

/// ECS fields at the top, the whole event (original + `enrichment`)
/// untouched under `confluent`.
fn ecs_document(event: &Event, time: &str, out: &mut Vec<u8>) {
    let e = &event.enrichment;
    out.extend_from_slice(b"{\"@timestamp\":");
    json_str(out, time);
    out.extend_from_slice(b",\"event\":{\"kind\":\"event\",\"id\":");
    json_str(out, e.event_id());
    if let Some(m) = e.method() {
        out.extend_from_slice(b",\"action\":");
        json_str(out, m);
    }
    let outcome = match e.verdict {
        Verdict::Allowed | Verdict::Success => "success",
        Verdict::Denied | Verdict::Failure => "failure",
        Verdict::Unknown => "unknown",
    };
    write!(out, ",\"outcome\":\"{outcome}\"}}").expect("write to Vec");
    if let Some(p) = e.principal().normalized {
        out.extend_from_slice(b",\"user\":{\"name\":");
        json_str(out, p);
        out.push(b'}');
    }
    if let Some(ip) = e.source_ip() {
        out.extend_from_slice(b",\"source\":{\"ip\":");
        json_str(out, ip);
        out.push(b'}');
    }
    out.extend_from_slice(b",\"confluent\":");
    out.extend_from_slice(event.json.trim().as_bytes());
    out.push(b'}');
}

fn json_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("serialising a str to a Vec cannot fail");
}

/// gzip at level 1: most of the size win for a fraction of the CPU of the
/// default level (Logstash's choice too).
pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    enc.write_all(body).expect("write to Vec");
    enc.finish().expect("write to Vec")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Disposition;
    use crate::process::Processor;
    use crate::sink::elasticsearch::target::IndexPattern;

    const RAW: &str = r#"{"id":"e-1","source":"crn://confluent.cloud/organization=o1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1","specversion":"1.0","type":"io.confluent.kafka.server/authorization","time":"2025-03-04T09:00:01.112Z","data":{"methodName":"kafka.CreateTopics","authenticationInfo":{"principal":"User:sa-1"},"authorizationInfo":{"granted":false,"operation":"Create","resourceType":"Topic","resourceName":"t"},"requestMetadata":{"client_address":"/192.0.2.7"}}}"#;

    fn event(raw: &str) -> Event {
        match Processor::default().process(raw.as_bytes(), None, 0) {
            Disposition::Forward(e) => e,
            other => panic!("{other:?}"),
        }
    }

    fn encoder(ecs: bool) -> Encoder {
        Encoder {
            target: Target::Index(IndexPattern::parse("confluent-audit-%Y.%m.%d").unwrap()),
            action: Action::Create,
            ecs,
        }
    }

    fn lines(buf: &[u8]) -> Vec<serde_json::Value> {
        assert_eq!(buf.last(), Some(&b'\n'), "trailing newline");
        buf.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect()
    }

    #[test]
    fn action_and_source_lines() {
        let e = event(RAW);
        let mut out = Vec::new();
        encoder(false).encode(&e, &mut out).unwrap();
        let text = std::str::from_utf8(&out).unwrap();
        assert!(
            text.starts_with("{\"create\":{\"_index\":\"confluent-audit-2025.03.04\",\"_id\":\"e-1\"}}\n{\"@timestamp\":\"2025-03-04T09:00:01.112000000Z\",\"id\":\"e-1\","),
            "{text}"
        );
        let l = lines(&out);
        assert_eq!(l.len(), 2);
        assert_eq!(
            l[1]["data"]["methodName"], "kafka.CreateTopics",
            "original payload kept"
        );
        assert_eq!(l[1]["enrichment"]["source_ip"], "192.0.2.7");
        assert_eq!(
            l[1]["source"].as_str().unwrap(),
            serde_json::from_str::<serde_json::Value>(RAW).unwrap()["source"]
        );
    }

    #[test]
    fn data_stream_forces_create() {
        let e = event(RAW);
        let enc = Encoder {
            target: Target::data_stream("logs-confluent.audit-default").unwrap(),
            action: Action::Index,
            ecs: false,
        };
        let mut out = Vec::new();
        enc.encode(&e, &mut out).unwrap();
        assert_eq!(
            lines(&out)[0],
            serde_json::json!({"create":{"_index":"logs-confluent.audit-default","_id":"e-1"}})
        );
        let enc = Encoder {
            action: Action::Index,
            ..encoder(false)
        };
        out.clear();
        enc.encode(&e, &mut out).unwrap();
        assert!(lines(&out)[0].get("index").is_some());
    }

    #[test]
    fn ecs_fields_and_original_under_confluent() {
        let e = event(RAW);
        let mut out = Vec::new();
        encoder(true).encode(&e, &mut out).unwrap();
        let doc = &lines(&out)[1];
        assert_eq!(doc["@timestamp"], "2025-03-04T09:00:01.112000000Z");
        assert_eq!(doc["event"]["action"], "kafka.CreateTopics");
        assert_eq!(doc["event"]["outcome"], "failure");
        assert_eq!(doc["event"]["id"], "e-1");
        assert_eq!(doc["user"]["name"], "User:sa-1");
        assert_eq!(doc["source"]["ip"], "192.0.2.7");
        let original: serde_json::Value = serde_json::from_str(&e.json).unwrap();
        assert_eq!(doc["confluent"], original);
    }

    #[test]
    fn ids_are_escaped_and_bounded() {
        let mut e = event(RAW);
        e.enrichment.set_event_id("a\"b\\c");
        let mut out = Vec::new();
        encoder(false).encode(&e, &mut out).unwrap();
        assert_eq!(lines(&out)[0]["create"]["_id"], "a\"b\\c");
        out.clear();
        e.enrichment.set_event_id(&"x".repeat(513));
        assert_eq!(
            encoder(false).encode(&e, &mut out),
            Err(EncodeError::IdTooLong(513))
        );
        e.enrichment.set_event_id("");
        assert_eq!(
            encoder(false).encode(&e, &mut out),
            Err(EncodeError::EmptyId)
        );
        e.enrichment.set_event_id("ok");
        e.json = "{\"a\":\n1}".into();
        assert_eq!(
            encoder(false).encode(&e, &mut out),
            Err(EncodeError::NotOneLine)
        );
        assert!(out.is_empty(), "nothing written on error");
    }

    #[test]
    fn gzip_round_trip() {
        let body = b"{\"create\":{}}\n{}\n".repeat(100);
        let gz = gzip(&body);
        assert!(gz.len() < body.len() / 5);
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz.as_slice()), &mut back)
            .unwrap();
        assert_eq!(back, body);
    }
}
