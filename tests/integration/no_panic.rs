//! Property tests: no input makes the core panic, and every outcome is
//! consistent (forwarded output is valid JSON that contains the original).

use proptest::prelude::*;
use siem_bridge::event::Disposition;
use siem_bridge::process::Processor;

use crate::support::sample_lines;

fn check(raw: &[u8]) {
    let p = Processor::default();
    match p.process(raw, None, 0) {
        Disposition::Forward(e) => {
            // Valid JSON by the grammar (numbers beyond f64 range pass
            // through untouched, as the record had them), with our object.
            #[derive(serde::Deserialize)]
            struct Out {
                enrichment: Enr,
            }
            #[derive(serde::Deserialize)]
            struct Enr {
                event_id: String,
            }
            let out: Out = serde_json::from_str(&e.json).expect("forwarded output is JSON");
            assert!(!out.enrichment.event_id.is_empty());
            assert!(!e.json.contains('\n'));
        }
        Disposition::Drop { .. } => {}
        Disposition::DeadLetter(r) => assert!(!r.to_string().is_empty()),
    }
}

/// Arbitrary JSON values, nested a few levels.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|n| serde_json::json!(n)),
        "\\PC{0,20}".prop_map(serde_json::Value::String),
        prop_oneof![
            Just("crn://confluent.cloud/organization=o/environment=e/kafka=k/topic=t%2A*"),
            Just("User:123"),
            Just("None:UNKNOWN_USER"),
            Just("2025-03-04T09:00:01.123456789+01:00"),
            Just("/10.0.0.1"),
            Just("DENY"),
            Just("SUCCESS"),
        ]
        .prop_map(|s| serde_json::Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-z]{1,8}",
                    Just("principal".to_owned()),
                    Just("granted".to_owned()),
                    Just("result".to_owned()),
                    Just("status".to_owned()),
                    Just("resourceName".to_owned()),
                    Just("clientAddress".to_owned()),
                    Just("confluentUser".to_owned()),
                    Just("resourceId".to_owned()),
                ],
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(raw in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&raw);
    }

    #[test]
    fn envelopes_with_arbitrary_data_never_panic(
        data in json_value(),
        authn in json_value(),
        authz in json_value(),
        meta in json_value(),
        time in json_value(),
    ) {
        let ev = serde_json::json!({
            "id": "x", "source": "crn://confluent.cloud/", "specversion": "1.0",
            "type": "io.confluent.kafka.server/authorization", "time": time,
            "data": {"extra": data, "authenticationInfo": authn, "authorizationInfo": authz,
                     "requestMetadata": meta, "resourceName": "crn:///kafka=a/topic=b"}
        });
        check(serde_json::to_string(&ev).unwrap().as_bytes());
    }

    #[test]
    fn truncated_and_mutated_fixture_lines_never_panic(
        line in 0usize..83, cut in any::<prop::sample::Index>(), flip in any::<prop::sample::Index>(), byte in any::<u8>()
    ) {
        let mut raw = sample_lines()[line].clone();
        if raw.len() > 1 && raw.len() < 100_000 {
            let i = flip.index(raw.len());
            raw[i] = byte;
            let n = cut.index(raw.len());
            check(&raw[..n.max(1)]);
            check(&raw);
        }
    }
}
