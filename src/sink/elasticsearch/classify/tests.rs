//! Response classification, one case per row of `docs/sinks.md` §2.3–2.4.

use super::*;

fn verdict(status: u16, body: &str, ids: &[&str]) -> Verdict<Items> {
    classify(status, body.as_bytes(), ids, Action::Create)
}

fn outcomes(status: u16, body: &str, ids: &[&str]) -> Items {
    match verdict(status, body, ids) {
        Verdict::Protocol(i) => i,
        other => panic!("{other:?}"),
    }
}

#[test]
fn all_created() {
    let body = r#"{"errors":false,"items":[{"create":{"_id":"a","status":201}},{"create":{"_id":"b","status":201}}]}"#;
    let i = outcomes(200, body, &["a", "b"]);
    assert_eq!(i.outcomes, [Outcome::Accepted, Outcome::Accepted]);
    assert_eq!((i.duplicates, i.failure_store), (0, 0));
}

#[test]
fn mixed_items_e3() {
    // [201, 429, 400 mapper_parsing_exception, 201, 503]
    let body = r#"{"errors":true,"items":[
        {"create":{"status":201}},
        {"create":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution"}}},
        {"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [n]"}}},
        {"create":{"status":201}},
        {"create":{"status":503,"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"}}}]}"#;
    let i = outcomes(200, body, &["1", "2", "3", "4", "5"]);
    assert_eq!(i.outcomes[0], Outcome::Accepted);
    assert!(
        matches!(&i.outcomes[1], Outcome::Retryable(m) if m.contains("es_rejected_execution_exception"))
    );
    assert_eq!(
        i.outcomes[2],
        Outcome::Rejected {
            reason: "mapper_parsing_exception: failed to parse field [n]".into(),
            status: Some("400".into())
        }
    );
    assert_eq!(i.outcomes[3], Outcome::Accepted);
    assert!(
        matches!(&i.outcomes[4], Outcome::Retryable(m) if m.contains("unavailable_shards_exception"))
    );
}

#[test]
fn conflict_on_create_is_a_delivered_duplicate() {
    let body = r#"{"errors":true,"items":[{"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"[a]: version conflict, document already exists"}}},{"create":{"status":201}}]}"#;
    let i = outcomes(200, body, &["a", "b"]);
    assert_eq!(i.outcomes, [Outcome::Accepted, Outcome::Accepted]);
    assert_eq!(i.duplicates, 1);
    // With `index`, a 409 is a concurrent-write conflict: try again.
    match classify(200, body.as_bytes(), &["a", "b"], Action::Index) {
        Verdict::Protocol(i) => assert!(matches!(i.outcomes[0], Outcome::Retryable(_))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn failure_store_is_accepted_and_counted() {
    let body = r#"{"errors":false,"items":[{"create":{"status":201,"failure_store":"used"}},{"create":{"status":201}}]}"#;
    let i = outcomes(200, body, &["a", "b"]);
    assert_eq!(i.outcomes, [Outcome::Accepted, Outcome::Accepted]);
    assert_eq!(i.failure_store, 1);
}

#[test]
fn sink_problems_are_not_dead_lettered() {
    for (status, kind, reason) in [
        (
            404,
            "index_not_found_exception",
            "no such index [a] and [require_alias] request flag is [true]",
        ),
        (
            403,
            "security_exception",
            "action [indices:data/write/bulk[s]] is unauthorized",
        ),
        (
            400,
            "invalid_index_name_exception",
            "Invalid index name [A]",
        ),
        (
            400,
            "illegal_argument_exception",
            "pipeline with id [geo] does not exist",
        ),
        (
            400,
            "illegal_argument_exception",
            "only write ops with an op_type of create are allowed in data streams",
        ),
    ] {
        assert!(
            matches!(
                item_outcome(status, kind, reason, Action::Create),
                Outcome::Misconfigured(_)
            ),
            "{status} {kind}"
        );
    }
    for kind in [
        "document_parsing_exception",
        "strict_dynamic_mapping_exception",
        "illegal_argument_exception",
    ] {
        assert!(
            matches!(
                item_outcome(400, kind, "x", Action::Create),
                Outcome::Rejected { .. }
            ),
            "{kind}"
        );
    }
}

#[test]
fn whole_request_statuses() {
    let ids = ["a"];
    assert!(matches!(
        verdict(413, "<html>413</html>", &ids),
        Verdict::TooLarge(_)
    ));
    for s in [408, 429, 500, 502, 503, 504] {
        assert!(
            matches!(
                verdict(s, "<html>busy</html>", &ids),
                Verdict::All(Outcome::Retryable(_))
            ),
            "{s}"
        );
    }
    // One table for every HTTP sink (`sink::http::status`): 501 pauses,
    // 505/506 are retried like the other 5xx (they used to pause here).
    assert!(matches!(
        verdict(505, "", &ids),
        Verdict::All(Outcome::Retryable(_))
    ));
    for s in [400, 401, 403, 404, 301, 501] {
        assert!(
            matches!(
                verdict(s, "", &ids),
                Verdict::All(Outcome::Misconfigured(_))
            ),
            "{s}"
        );
    }
    let body = r#"{"error":{"type":"illegal_argument_exception","reason":"request [/_bulk] contains unrecognized parameter: [include_source_on_error]"},"status":400}"#;
    match verdict(400, body, &ids) {
        Verdict::All(Outcome::Misconfigured(m)) => {
            assert!(
                m.contains("unrecognized parameter: [include_source_on_error]"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unreadable_or_misaligned_responses_are_ambiguous() {
    let ids = ["a", "b"];
    for body in [
        r#"{"errors":false,"items":[{"create":{"status":201}}]}"#,
        r#"{"errors":false,"items":[{"create":{"status":201}},{"create":{"status":201}},{"create":{"status":201}}]}"#,
        r#"{"errors":false,"items":[{"create":{"status":201"#,
        "",
        "<html>ok</html>",
        r#"{"errors":false}"#,
        r#"{"errors":false,"items":[{"create":{"status":201,"_id":"b"}},{"create":{"status":201,"_id":"a"}}]}"#,
        r#"{"errors":false,"items":[{"create":{"status":201}},{"create":{}}]}"#,
    ] {
        assert!(
            matches!(
                verdict(200, body, &ids),
                Verdict::All(Outcome::Ambiguous(_))
            ),
            "{body}"
        );
    }
}
