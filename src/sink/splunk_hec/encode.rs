//! The `/services/collector/event` body: one envelope per event, stacked
//! back to back (no array, no commas), optionally gzipped.
//!
//! ```text
//! {"time":1741078801.112,"host":"h","source":"siem-bridge","sourcetype":"confluent:audit",
//!  "index":"security","fields":{"event_id":"…","severity":"high",…},"event":{…enriched event…}}
//! ```
//!
//! Envelopes are checked here, before batching, so that what Splunk
//! would refuse for the event itself (blank `event`, oversize) goes to the
//! dead-letter store without costing a request.

use std::collections::BTreeMap;
use std::io::Write;

use flate2::write::GzEncoder;

use super::config::{Compression, SplunkHecConfig};
use crate::event::{Event, Severity};

/// Builds envelopes from events; the constant parts are escaped once.
#[derive(Debug, Clone)]
pub struct Encoder {
    /// `,"host":…,"source":…,"sourcetype":…` (already escaped).
    constant: String,
    /// `,"index":"…"` for the default index, or empty.
    index: String,
    by_severity: BTreeMap<Severity, String>,
    by_type: BTreeMap<String, String>,
    /// `,"site":"eu1"` … appended to every `fields` object.
    static_fields: String,
    max_event_bytes: usize,
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

fn index_member(index: &str) -> String {
    format!(",\"index\":{}", json_str(index))
}

/// This machine's name, for `host` when none is configured.
fn local_host() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}

impl Encoder {
    pub fn new(c: &SplunkHecConfig) -> Encoder {
        let mut constant = String::new();
        if let Some(host) = c.host.clone().or_else(local_host) {
            constant.push_str(&format!(",\"host\":{}", json_str(&host)));
        }
        constant.push_str(&format!(
            ",\"source\":{},\"sourcetype\":{}",
            json_str(&c.source),
            json_str(&c.sourcetype)
        ));
        let static_fields = c
            .fields
            .iter()
            .map(|(k, v)| format!(",{}:{}", json_str(k), json_str(v)))
            .collect();
        Encoder {
            constant,
            index: c.index.as_deref().map(index_member).unwrap_or_default(),
            by_severity: c
                .index_by_severity
                .iter()
                .map(|(s, i)| (*s, index_member(i)))
                .collect(),
            by_type: c
                .index_by_type
                .iter()
                .map(|(t, i)| (t.clone(), index_member(i)))
                .collect(),
            static_fields,
            max_event_bytes: c.max_event_bytes,
        }
    }

    /// The envelope of one event, or why it must not be sent.
    pub fn envelope(&self, event: &Event) -> Result<Vec<u8>, String> {
        let json = event.json.trim();
        if json.is_empty() || json == "\"\"" || json == "null" {
            return Err("event is blank: Splunk HEC refuses it (code 12/13); not sent".to_owned());
        }
        if !(json.starts_with('{') && json.ends_with('}')) {
            return Err("event is not a JSON object; not sent".to_owned());
        }
        let e = &event.enrichment;
        let mut out = Vec::with_capacity(json.len() + 512);
        out.extend_from_slice(b"{\"time\":");
        write_epoch_seconds(&mut out, e.time_unix_nanos);
        out.extend_from_slice(self.constant.as_bytes());
        let index = self
            .by_type
            .get(e.event_type())
            .or_else(|| self.by_severity.get(&e.severity))
            .unwrap_or(&self.index);
        out.extend_from_slice(index.as_bytes());
        out.extend_from_slice(b",\"fields\":{");
        let mut first = true;
        let crn = e.crn();
        let fields: [(&str, Option<&str>); 9] = [
            ("event_id", Some(e.event_id())),
            ("severity", Some(e.severity.as_str())),
            ("principal", e.principal().normalized),
            ("verdict", Some(e.verdict.as_str())),
            ("method", e.method()),
            ("organization", crn.organization),
            ("environment", crn.environment),
            ("cluster", crn.cluster),
            ("source_ip", e.source_ip()),
        ];
        for (name, value) in fields {
            let Some(v) = value.filter(|v| !v.is_empty()) else {
                continue;
            };
            if !first {
                out.push(b',');
            }
            first = false;
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
            serde_json::to_writer(&mut out, v).expect("writing to a Vec cannot fail");
        }
        let statics = self.static_fields.as_bytes();
        out.extend_from_slice(if first && !statics.is_empty() {
            &statics[1..]
        } else {
            statics
        });
        out.extend_from_slice(b"},\"event\":");
        out.extend_from_slice(json.as_bytes());
        out.push(b'}');
        if out.len() > self.max_event_bytes {
            return Err(format!(
                "event envelope is {} bytes, over max_event_bytes = {}; not sent",
                out.len(),
                self.max_event_bytes
            ));
        }
        Ok(out)
    }
}

/// Epoch seconds with a millisecond fraction, as a JSON number.
pub fn write_epoch_seconds(out: &mut Vec<u8>, nanos: i64) {
    let millis = nanos.div_euclid(1_000_000);
    let (secs, ms) = (millis.div_euclid(1000), millis.rem_euclid(1000));
    write!(out, "{secs}.{ms:03}").expect("writing to a Vec cannot fail");
}

/// Groups event indices into requests of at most `max_bytes` (uncompressed)
/// and `max_events`; an event bigger than `max_bytes` travels alone.
pub fn plan(sizes: &[(usize, usize)], max_bytes: usize, max_events: usize) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    for &(index, size) in sizes {
        if !current.is_empty() && (bytes + size > max_bytes || current.len() >= max_events) {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(index);
        bytes += size;
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The body for the events at `indices`, and its uncompressed length.
pub fn body(
    envelopes: &[Vec<u8>],
    indices: &[usize],
    compression: Compression,
) -> (Vec<u8>, usize) {
    let len = indices.iter().map(|&i| envelopes[i].len()).sum();
    match compression {
        Compression::None => {
            let mut out = Vec::with_capacity(len);
            for &i in indices {
                out.extend_from_slice(&envelopes[i]);
            }
            (out, len)
        }
        Compression::Gzip => {
            let mut gz = GzEncoder::new(Vec::with_capacity(len / 4), flate2::Compression::fast());
            for &i in indices {
                gz.write_all(&envelopes[i])
                    .expect("writing to a Vec cannot fail");
            }
            (gz.finish().expect("writing to a Vec cannot fail"), len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Disposition;
    use crate::process::Processor;
    use std::io::Read;

    fn config(extra: &str) -> SplunkHecConfig {
        toml::from_str(&format!(
            "endpoint = \"http://h\"\ntoken = \"t\"\nhost = \"bridge-1\"\n{extra}"
        ))
        .unwrap()
    }

    const DENIED: &str = r#"{"specversion":"1.0","id":"e-1","source":"crn://confluent.cloud/organization=o-1/environment=env-1/cloud-cluster=lkc-1","type":"io.confluent.kafka.server/authorization","time":"2025-01-15T10:31:00.123456Z","data":{"methodName":"kafka.Produce","resourceName":"crn://confluent.cloud/organization=o-1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1/topic=pay","authenticationInfo":{"principal":"User:sa-1"},"authorizationInfo":{"granted":false,"operation":"Write","resourceType":"Topic","resourceName":"pay"},"requestMetadata":{"clientAddress":[{"ip":"203.0.113.7"}]}}}"#;

    fn event(raw: &str) -> Event {
        match Processor::default().process(raw.as_bytes(), None, 0) {
            Disposition::Forward(e) => e,
            other => panic!("{}", other.label()),
        }
    }

    #[test]
    fn envelope_has_time_metadata_flat_fields_and_the_enriched_event() {
        let e = event(DENIED);
        let enc = Encoder::new(&config("index = \"audit\"\n[fields]\nsite = \"eu1\""));
        let bytes = enc.envelope(&e).unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.starts_with("{\"time\":1736937060.123,\"host\":\"bridge-1\",\"source\":\"siem-bridge\",\"sourcetype\":\"confluent:audit\",\"index\":\"audit\",\"fields\":{"), "{text}");
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let fields = v["fields"].as_object().unwrap();
        assert_eq!(fields["event_id"], "e-1");
        assert_eq!(fields["verdict"], "denied");
        assert_eq!(fields["principal"], "User:sa-1");
        assert_eq!(fields["method"], "kafka.Produce");
        assert_eq!(fields["organization"], "o-1");
        assert_eq!(fields["environment"], "env-1");
        assert_eq!(fields["cluster"], "lkc-1");
        assert_eq!(fields["source_ip"], "203.0.113.7");
        assert_eq!(fields["site"], "eu1");
        assert!(fields.values().all(|v| v.is_string()), "flat fields");
        assert_eq!(v["event"]["id"], "e-1");
        assert_eq!(v["event"]["enrichment"]["event_id"], "e-1");
        assert_eq!(v["event"].to_string().len(), e.json.len());
    }

    #[test]
    fn index_by_type_beats_severity_beats_default() {
        let e = event(DENIED);
        let sev = e.enrichment.severity.as_str();
        let c = config(&format!(
            "index = \"main\"\n[index_by_severity]\n{sev} = \"by_sev\""
        ));
        let v: serde_json::Value =
            serde_json::from_slice(&Encoder::new(&c).envelope(&e).unwrap()).unwrap();
        assert_eq!(v["index"], "by_sev");
        let c = config(&format!(
            "[index_by_severity]\n{sev} = \"by_sev\"\n[index_by_type]\n\"io.confluent.kafka.server/authorization\" = \"authz\""
        ));
        let v: serde_json::Value =
            serde_json::from_slice(&Encoder::new(&c).envelope(&e).unwrap()).unwrap();
        assert_eq!(v["index"], "authz");
        let v: serde_json::Value =
            serde_json::from_slice(&Encoder::new(&config("")).envelope(&e).unwrap()).unwrap();
        assert!(v.get("index").is_none(), "no index: the token's default");
    }

    #[test]
    fn blank_and_oversize_events_are_refused_before_sending() {
        let mut e = event(DENIED);
        let enc = Encoder::new(&config("max_event_bytes = 2000"));
        assert!(enc.envelope(&e).is_ok());
        e.json.push_str(&" ".repeat(10));
        e.json
            .insert_str(1, &format!("\"pad\":\"{}\",", "x".repeat(2000)));
        assert!(enc.envelope(&e).unwrap_err().contains("max_event_bytes"));
        e.json = String::new();
        assert!(enc.envelope(&e).unwrap_err().contains("blank"));
    }

    #[test]
    fn epoch_seconds_keep_milliseconds() {
        let mut out = Vec::new();
        write_epoch_seconds(&mut out, 1_433_188_255_500_999_999);
        assert_eq!(out, b"1433188255.500");
        out.clear();
        write_epoch_seconds(&mut out, -1_500_000);
        assert_eq!(out, b"-1.998");
    }

    #[test]
    fn plan_caps_bytes_and_events() {
        let sizes: Vec<(usize, usize)> = (0..7).map(|i| (i, 400)).collect();
        assert_eq!(
            plan(&sizes, 1000, 100),
            vec![vec![0, 1], vec![2, 3], vec![4, 5], vec![6]]
        );
        assert_eq!(
            plan(&sizes, 10_000, 3),
            vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]]
        );
        let big = [(0, 10), (1, 5000), (2, 10)];
        assert_eq!(plan(&big, 1000, 100), vec![vec![0], vec![1], vec![2]]);
    }

    #[test]
    fn gzip_body_inflates_to_the_plain_body() {
        let envs = vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()];
        let (plain, n) = body(&envs, &[0, 1], Compression::None);
        assert_eq!((plain.as_slice(), n), (&b"{\"a\":1}{\"b\":2}"[..], 14));
        let (gz, n) = body(&envs, &[0, 1], Compression::Gzip);
        assert_eq!(n, 14);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, plain);
    }
}
