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
    assert!(enc
        .envelope(&e)
        .unwrap_err()
        .to_string()
        .contains("max_event_bytes"));
    e.json = String::new();
    assert!(enc.envelope(&e).unwrap_err().to_string().contains("blank"));
}

#[test]
fn epoch_seconds_keep_milliseconds() {
    let mut out = Vec::new();
    write_epoch_seconds(&mut out, 1_433_188_255_500_999_999);
    assert_eq!(out, b"1433188255.500");
    out.clear();
    write_epoch_seconds(&mut out, -1_500_000);
    assert_eq!(out, b"-1.998");
    out.clear();
    write_epoch_seconds(&mut out, 1_700_000_000_007_000_000);
    assert_eq!(out, b"1700000000.007");
    out.clear();
    write_epoch_seconds(&mut out, 42_000_000);
    assert_eq!(out, b"0.042");
}

#[test]
fn gzip_body_inflates_to_the_plain_body() {
    let envs = Envelopes::from_parts(&[b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
    let (plain, n) = body(&envs, &[0, 1], Compression::None);
    assert_eq!((&plain[..], n), (&b"{\"a\":1}{\"b\":2}"[..], 14));
    let (gz, n) = body(&envs, &[0, 1], Compression::Gzip);
    assert_eq!(n, 14);
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, plain);
}

#[test]
fn a_request_is_its_envelopes_back_to_back_whatever_was_skipped() {
    let parts = [
        b"{1}".to_vec(),
        Vec::new(),
        b"{33}".to_vec(),
        b"{4}".to_vec(),
    ];
    let envs = Envelopes::from_parts(&parts);
    // Consecutive (the empty one is a rejected event): a slice.
    assert_eq!(
        &body(&envs, &[0, 2, 3], Compression::None).0[..],
        b"{1}{33}{4}"
    );
    // Not consecutive (a split after a bad event): copied.
    assert_eq!(&body(&envs, &[0, 3], Compression::None).0[..], b"{1}{4}");
    assert_eq!(&body(&envs, &[2], Compression::None).0[..], b"{33}");
    assert_eq!((envs.len(1), envs.get(2)), (0, &b"{33}"[..]));
}

#[test]
fn envelope_into_leaves_the_buffer_as_it_was_on_error() {
    let c = config("");
    let enc = Encoder::new(&c);
    let mut out = b"before".to_vec();
    let mut blank = event(DENIED);
    blank.json = "  ".into();
    assert!(enc.envelope_into(&blank, &mut out).is_err());
    assert_eq!(out, b"before");
    let good = event(DENIED);
    enc.envelope_into(&good, &mut out).unwrap();
    assert_eq!(&out[6..], &enc.envelope(&good).unwrap()[..]);
}

#[test]
fn fields_that_need_escaping_are_escaped() {
    // Decoded escapes in the record: a quote and a backslash in the
    // principal, a tab in the method. The values are copied whole only
    // when no string of the enrichment needs escaping.
    let raw = DENIED
        .replace("User:sa-1", r#"User:CN=\"sa\\1\""#)
        .replace("kafka.Produce", r"kafka.\tProduce");
    let e = event(&raw);
    assert!(!e.enrichment.strings_clean());
    let bytes = Encoder::new(&config("")).envelope(&e).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["fields"]["principal"], r#"User:CN="sa\1""#);
    assert_eq!(v["fields"]["method"], "kafka.\tProduce");
    assert_eq!(v["fields"]["event_id"], "e-1");
    assert!(event(DENIED).enrichment.strings_clean());
}
