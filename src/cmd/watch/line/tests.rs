use super::*;
use crate::event::Disposition;
use crate::process::Processor;

fn coords() -> KafkaCoords {
    KafkaCoords {
        topic: "audit".into(),
        partition: 2,
        offset: 41,
        timestamp: Some(1_741_079_100_318),
    }
}

fn event(line: &str) -> Event {
    match Processor::default().process(line.as_bytes(), Some(&coords()), 0) {
        Disposition::Forward(e) => e,
        other => panic!("{other:?}"),
    }
}

const DENIED: &str = r#"{"specversion":"1.0","id":"a1","source":"crn://confluent.cloud/organization=o/environment=e/cloud-cluster=lkc-1/kafka=lkc-1","type":"io.confluent.kafka.server/authorization","time":"2025-03-04T09:05:00.318Z","data":{"methodName":"kafka.Produce","resourceName":"crn://confluent.cloud/organization=o/environment=e/cloud-cluster=lkc-1/kafka=lkc-1/topic=orders","authenticationInfo":{"principal":"User:sa-1"},"authorizationInfo":{"granted":false,"operation":"Write","resourceType":"Topic","resourceName":"orders"},"requestMetadata":{"clientAddress":[{"ip":"203.0.113.7","port":1}]}}}"#;

#[test]
fn text_line_plain_and_coloured() {
    let e = event(DENIED);
    let sev = e.enrichment.severity.as_str().to_uppercase();
    let plain = format(&Shown::Event(&e), Style::Text { colour: false });
    assert_eq!(
            plain,
            format!("2025-03-04T09:05:00.318Z {sev:<8} denied  User:sa-1 kafka.Produce topic=orders from 203.0.113.7 [audit/2@41]")
        );
    let coloured = format(&Shown::Event(&e), Style::Text { colour: true });
    assert!(coloured.contains("\x1b[1;31mdenied "), "{coloured:?}");
    assert_eq!(strip_ansi(&coloured), plain);
}

#[test]
fn json_line_is_the_enriched_event() {
    let e = event(DENIED);
    assert_eq!(format(&Shown::Event(&e), Style::Json), e.json);
}

#[test]
fn invalid_records_are_marked() {
    let raw = b"{not json";
    let reason = match Processor::default().process(raw, None, 0) {
        Disposition::DeadLetter(r) => r,
        other => panic!("{other:?}"),
    };
    let k = coords();
    let shown = Shown::Invalid {
        reason: &reason,
        kafka: &k,
        raw,
    };
    let json: serde_json::Value = serde_json::from_str(&format(&shown, Style::Json)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"dead_letter": {
            "reason_code": "not_json",
            "reason": reason.to_string(),
            "kafka": {"topic": "audit", "partition": 2, "offset": 41, "timestamp": 1_741_079_100_318i64},
            "raw": "{not json"
        }})
    );
    let text = format(&shown, Style::Text { colour: false });
    assert!(
        text.starts_with("2025-03-04T09:05:00.318Z DEAD-LETTER not_json: "),
        "{text}"
    );
    assert!(text.ends_with(" [audit/2@41]"), "{text}");
    let bin = [0xff, 0xfe];
    let reason = match Processor::default().process(&bin, None, 0) {
        Disposition::DeadLetter(r) => r,
        other => panic!("{other:?}"),
    };
    let line = format(
        &Shown::Invalid {
            reason: &reason,
            kafka: &k,
            raw: &bin,
        },
        Style::Json,
    );
    assert!(line.contains(r#""raw_base64":"//4=""#), "{line}");
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
