use super::*;
use crate::process::Processor;

fn events() -> Vec<Enrichment> {
    let out = super::super::fixtures::events();
    assert!(out.len() > 500);
    out
}

use super::super::fixtures::table;

/// Every event, twice (the second pass answered from memory), as the
/// table itself answers.
fn same_as_table(policy: &SeverityPolicy, events: &[Enrichment]) {
    let mut memo = SeverityMemo::new(policy);
    for round in 0..2 {
        for (i, e) in events.iter().enumerate() {
            assert_eq!(
                memo.classify(e),
                policy.classify(e),
                "round {round}, event {i}"
            );
        }
    }
}

#[test]
fn the_default_table_gives_the_same_severities() {
    let events = events();
    let policy = SeverityPolicy::default();
    same_as_table(&policy, &events);
    let severities: std::collections::BTreeSet<_> =
        events.iter().map(|e| policy.classify(e)).collect();
    assert!(severities.len() >= 3, "the events exercise the table");
}

#[test]
fn configured_rules_on_every_field_give_the_same_severities() {
    let policy = table(
        r#"
        sensitive_resources = ["sensitive-*", "pay*"]
        [[rules]]
        principal = ["User:svc-*", "User:mall?ry"]
        verdict = "denied"
        severity = "critical"
        [[rules]]
        crn = { topic = "orders*" }
        method = "kafka.Produce"
        severity = "high"
        [[rules]]
        operation = ["READ", "describe*"]
        resource_type = "topic"
        resource_name = "*a*"
        severity = "low"
        [[rules]]
        type = "*authentication"
        failed_auth = false
        severity = "low"
        [[rules]]
        role = "*Admin"
        access_type = "modification"
        severity = "medium"
        "#,
    );
    let events = events();
    same_as_table(&policy, &events);
    let default = SeverityPolicy::default();
    assert!(
        events
            .iter()
            .any(|e| policy.classify(e) != default.classify(e)),
        "the configured rules decide some events"
    );
}

#[test]
fn a_table_too_long_to_remember_is_asked_directly() {
    let mut text = String::new();
    for i in 0..70 {
        text.push_str(&format!(
            "[[rules]]\nmethod = \"*Nothing{i}*\"\nseverity = \"critical\"\n"
        ));
    }
    text.push_str("[[rules]]\nmethod = \"kafka.*\"\nseverity = \"high\"\n");
    let policy = table(&text);
    assert!(policy.rules().len() > 64);
    let memo = SeverityMemo::new(&policy);
    assert!(memo.users.is_none());
    same_as_table(&policy, &events());
}

#[test]
fn values_past_the_cap_are_answered_without_being_remembered() {
    let policy = SeverityPolicy::default();
    let p = Processor::default();
    let mut memo = SeverityMemo::new(&policy);
    for i in 0..MAX_VALUES + 50 {
        let method = if i % 3 == 0 {
            format!("x.Create{i}")
        } else {
            format!("x.Read{i}")
        };
        let ev = format!(
            r#"{{"specversion":"1.0","id":"e{i}","source":"crn://x/kafka=k","type":"io.confluent.kafka.server/authorization","time":"2025-06-10T14:00:00Z","data":{{"methodName":"{method}","resourceName":"crn://x/kafka=k/topic=t","authenticationInfo":{{"principal":"User:u"}},"authorizationInfo":{{"granted":true,"operation":"Write","resourceType":"Topic","resourceName":"t"}}}}}}"#
        );
        let (_, e) = p.enrich(ev.as_bytes(), None, 0).unwrap();
        assert_eq!(memo.classify(&e), policy.classify(&e), "{method}");
    }
    assert_eq!(memo.fields[Field::Method as usize].known.len(), MAX_VALUES);
}
