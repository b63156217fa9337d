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

fn gunzip(gz: &[u8]) -> Vec<u8> {
    let mut back = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz), &mut back).unwrap();
    back
}

#[test]
fn the_threads_compressor_is_reset_between_bodies_of_any_size() {
    // One thread, one compressor: each body is a whole gzip member of its
    // own, whatever came before (a small one, an empty one, one that
    // does not compress and outgrows the first guess of the output).
    let mut noise = Vec::with_capacity(300_000);
    let mut x: u32 = 1;
    for _ in 0..300_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        noise.push((x >> 16) as u8);
    }
    let repeated = b"{\"create\":{}}\n{\"a\":1}\n".repeat(50_000);
    for body in [&b"x"[..], &[], &noise, &repeated, &b"{}\n"[..], &noise] {
        let gz = gzip(body);
        assert_eq!(&gz[..3], &[0x1f, 0x8b, 8], "a gzip header every time");
        assert_eq!(gunzip(&gz), body);
        // The same bytes as from a compressor of its own.
        let mut own = flate2::Compress::new_gzip(flate2::Compression::fast(), 15);
        assert_eq!(gzip_with(&mut own, body), gz);
    }
}

#[test]
fn an_index_name_with_a_control_character_is_escaped() {
    // Elasticsearch's name rules allow control characters; the action line
    // must stay valid JSON all the same.
    let enc = Encoder {
        target: Target::Index(IndexPattern::parse("audit\u{1}-%Y").unwrap()),
        action: Action::Index,
        ecs: false,
    };
    let mut out = Vec::new();
    enc.encode(&event(RAW), &mut out).unwrap();
    let l = lines(&out);
    assert_eq!(l[0]["index"]["_index"], "audit\u{1}-2025");
    assert_eq!(l[1]["@timestamp"], "2025-03-04T09:00:01.112000000Z");
}

#[test]
fn ecs_fields_that_need_escaping_are_escaped() {
    let raw = RAW.replace("User:sa-1", r#"User:CN=\"sa\\1\""#);
    let e = event(&raw);
    assert!(!e.enrichment.strings_clean());
    let mut out = Vec::new();
    encoder(true).encode(&e, &mut out).unwrap();
    let l = lines(&out);
    assert_eq!(l[1]["user"]["name"], r#"User:CN="sa\1""#);
    assert_eq!(l[0]["create"]["_id"], "e-1");
}
