//! Fuzzing the HEC response parsers (`docs/fuzzing.md`): any status and
//! body gives one verdict for the request, never a panic; `/ack` bodies
//! report exactly the ids Splunk said `true`. `FUZZ_CASES` sets the budget.

use proptest::prelude::*;

use super::*;

fn cases(default: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    proptest::test_runner::Config::with_cases(cases)
}

/// Near-valid HEC bodies: real shapes with odd values, cut or mangled.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let num = prop_oneof![
        Just("0".to_owned()),
        Just("-1".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("1e400".to_owned()),
        Just("null".to_owned()),
        Just("\"7\"".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        (0u8..30).prop_map(|n| n.to_string()),
    ];
    let shaped = prop_oneof![
        (num.clone(), num.clone(), "\\PC{0,12}").prop_map(|(c, a, t)| format!(
            r#"{{"text":{},"code":{c},"ackId":{a}}}"#,
            serde_json::to_string(&t).unwrap()
        )),
        (num.clone(), num.clone()).prop_map(|(c, n)| format!(
            r#"{{"text":"Invalid data format","code":{c},"invalid-event-number":{n}}}"#
        )),
        prop::collection::vec(
            (
                "[0-9a-z-]{0,21}",
                prop_oneof![Just("true"), Just("false"), Just("1"), Just("null")]
            ),
            0..8
        )
        .prop_map(|acks| {
            let inner: Vec<String> = acks.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!(r#"{{"acks":{{{}}}}}"#, inner.join(","))
        }),
        Just("<html><body>502 Bad Gateway</body></html>".to_owned()),
        Just(String::new()),
    ];
    (shaped, any::<prop::sample::Index>(), 0usize..3, any::<u8>()).prop_map(|(s, at, how, byte)| {
        let mut b = s.into_bytes();
        if b.is_empty() {
            return b;
        }
        let i = at.index(b.len());
        match how {
            0 => {}
            1 => b.truncate(i),
            _ => b[i] = byte,
        }
        b
    })
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        prop::sample::select(vec![
            200u16, 201, 204, 400, 401, 403, 404, 408, 413, 429, 500, 503
        ]),
        any::<u16>(),
    ]
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn event_responses_give_one_verdict(status in status(), body in body()) {
        match event_response(status, &body) {
            Verdict::Protocol(Hec::Accepted { .. }) => prop_assert!((200..300).contains(&status)),
            Verdict::Protocol(Hec::BadEvent { reason, .. }) => prop_assert!(!reason.is_empty()),
            Verdict::All(o) => prop_assert!(o != Outcome::Accepted),
            _ => {}
        }
    }

    #[test]
    fn ack_responses_report_only_true_ids(status in status(), body in body()) {
        let reply = ack_response(status, &body);
        if let AckReply::Status(ids) = &reply {
            prop_assert_eq!(status, 200);
            let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
            for id in ids {
                prop_assert_eq!(&parsed["acks"][id.to_string()], &serde_json::Value::Bool(true));
            }
            let trues = parsed["acks"].as_object().unwrap().iter()
                .filter(|(k, v)| **v == serde_json::Value::Bool(true) && k.parse::<u64>().is_ok())
                .count();
            prop_assert_eq!(ids.len(), trues);
        }
        let _ = health_response(status, &body);
    }

    #[test]
    fn random_bytes_never_panic(status in any::<u16>(), body in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = event_response(status, &body);
        let _ = ack_response(status, &body);
        let _ = health_response(status, &body);
    }
}
