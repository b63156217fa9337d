//! Fuzzing the `_bulk` response parser (`docs/fuzzing.md`): any status and
//! body gives either one verdict for the whole request or exactly one
//! outcome per document sent, never a panic. `FUZZ_CASES` sets the budget.

use proptest::prelude::*;

use super::*;

fn cases(default: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    proptest::test_runner::Config::with_cases(cases)
}

/// One item of a bulk response, near valid.
fn item(id: String) -> impl Strategy<Value = String> {
    let st = prop_oneof![
        prop::sample::select(vec![200u32, 201, 400, 404, 408, 409, 429, 500, 503]),
        any::<u32>(),
    ];
    (
        prop::sample::select(vec!["create", "index", "update", "delete", "other"]),
        prop::option::of(st),
        prop::option::of(prop::sample::select(vec![
            "mapper_parsing_exception",
            "index_not_found_exception",
            "es_rejected_execution_exception",
            "",
        ])),
        "\\PC{0,16}",
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(op, status, kind, reason, keep_id, fs)| {
            let mut fields = Vec::new();
            if keep_id {
                fields.push(format!("\"_id\":{}", serde_json::to_string(&id).unwrap()));
            }
            if let Some(s) = status {
                fields.push(format!("\"status\":{s}"));
            }
            if let Some(k) = kind {
                fields.push(format!(
                    "\"error\":{{\"type\":\"{k}\",\"reason\":{}}}",
                    serde_json::to_string(&reason).unwrap()
                ));
            }
            if fs {
                fields.push("\"failure_store\":\"used\"".to_owned());
            }
            format!("{{\"{op}\":{{{}}}}}", fields.join(","))
        })
}

fn ids() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[a-z0-9\"\\\\é-]{0,6}", 0..6)
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn every_document_gets_one_outcome(
        (ids, items) in ids().prop_flat_map(|ids| {
            let items: Vec<_> = ids.iter().cloned().map(item).collect();
            (Just(ids), items)
        }),
        extra in prop::option::of(item("x".to_owned())),
        drop_one in any::<bool>(),
        status in prop_oneof![Just(200u16), any::<u16>()],
        op in prop::sample::select(vec![Action::Create, Action::Index]),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let mut items = items;
        if drop_one {
            items.pop();
        }
        items.extend(extra);
        let mut body = format!("{{\"took\":3,\"errors\":true,\"items\":[{}]}}", items.join(",")).into_bytes();
        if let Some(c) = cut {
            let n = c.index(body.len());
            body.truncate(n);
        }
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        match classify(status, &body, &refs, op) {
            Verdict::Protocol(items) => {
                prop_assert!((200..300).contains(&status));
                prop_assert_eq!(items.outcomes.len(), ids.len());
                prop_assert!(items.duplicates <= ids.len() && items.failure_store <= ids.len());
            }
            Verdict::All(o) => prop_assert!(o != Outcome::Accepted),
            Verdict::TooLarge(m) => prop_assert!(!m.is_empty()),
        }
    }

    #[test]
    fn random_bodies_never_panic(
        status in any::<u16>(),
        body in prop::collection::vec(any::<u8>(), 0..300),
        n in 0usize..4,
    ) {
        let ids = ["a", "b", "c"];
        if let Verdict::Protocol(items) = classify(status, &body, &ids[..n.min(3)], Action::Create) {
            prop_assert_eq!(items.outcomes.len(), n.min(3));
        }
        let _ = item_outcome(status, "x", "pipeline with id [p] does not exist", Action::Index);
    }
}
