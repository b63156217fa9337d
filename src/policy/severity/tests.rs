//! The table's fast path ([`super::super::recall`]) against trying each
//! rule in turn ([`SeverityPolicy::classify_each`]).

use super::*;
use crate::process::Processor;

const FILES: [&str; 2] = [
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/audit-events/sample.jsonl"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/detect/incident.jsonl"
    ),
];

/// The fixtures, and a cloud record with many methods, resource names and
/// outcomes: values longer than a slot holds, values that share a slot,
/// the same value twice in a row.
fn events() -> Vec<Enrichment> {
    let p = Processor::default();
    let mut out = Vec::new();
    for f in FILES {
        for line in std::fs::read_to_string(f).unwrap().lines() {
            if let Ok((_, e)) = p.enrich(line.as_bytes(), None, 0) {
                out.push(e);
            }
        }
    }
    let methods = [
        "kafka.Produce",
        "kafka.CreateAcls",
        "kafka.DeleteAcls",
        "kafka.DescribeAcls",
        "mds.Authorize",
        "BindRoleForPrincipal",
        "CreateRoleBinding",
        "DeleteKafkaCluster",
        "DeleteEnvironment",
        "confluent.privileged.access",
        "CreateAPIKey",
        "UpdateTopic",
        "",
    ];
    let long = format!("Create{}", "x".repeat(80));
    let many: Vec<String> = (0..300).map(|i| format!("svc{i}.Op{}", i % 7)).collect();
    let names = ["sensitive-payments", "payments", "sensitive-", "x"];
    let mut n = 0;
    let all = methods
        .iter()
        .copied()
        .chain([long.as_str(), &long[..64], &long[..65]])
        .chain(many.iter().map(String::as_str));
    for m in all {
        for granted in ["true", "false"] {
            let name = names[n % names.len()];
            n += 1;
            let record = format!(
                r#"{{"specversion":"1.0","id":"e{n}","source":"crn://confluent.cloud/organization=o","type":"io.confluent.kafka.server/authorization","time":"2025-01-15T10:31:00Z","data":{{"methodName":"{m}","resourceName":"crn://confluent.cloud/organization=o/kafka=lkc-1/topic={name}","authenticationInfo":{{"principal":"User:sa-{n}"}},"authorizationInfo":{{"granted":{granted},"operation":"Write","resourceType":"Topic","resourceName":"{name}"}},"request":{{"data":{{"role_name":"OrganizationAdmin"}}}},"result":{{"status":"{status}"}}}}}}"#,
                status = if n % 3 == 0 { "FAILURE" } else { "SUCCESS" },
            );
            let (_, e) = p.enrich(record.as_bytes(), None, 0).unwrap();
            out.push(e);
        }
    }
    assert!(out.len() > 1000);
    out
}

fn table(toml_text: &str) -> SeverityPolicy {
    toml::from_str::<SeverityConfig>(toml_text)
        .unwrap()
        .compile()
        .unwrap()
}

/// Every event three times (then from memory), as the rules one by one.
fn same_as_each_rule(policy: &SeverityPolicy, events: &[Enrichment]) {
    for round in 0..3 {
        for (i, e) in events.iter().enumerate() {
            assert_eq!(
                policy.classify(e),
                policy.classify_each(e),
                "round {round}, event {i}"
            );
        }
    }
}

/// [`CONFIGURED`] compiled.
fn configured() -> SeverityPolicy {
    #[derive(serde::Deserialize)]
    struct Doc {
        severity: SeverityConfig,
    }
    let doc: Doc = toml::from_str(CONFIGURED).unwrap();
    doc.severity.compile().unwrap()
}

const CONFIGURED: &str = r#"
    [[severity.rules]]
    method = ["kafka.*Acls", "*Produce"]
    verdict = "denied"
    severity = "critical"
    [[severity.rules]]
    principal = "User:sa-1*"
    operation = "WRITE"
    severity = "low"
    [[severity.rules]]
    crn = { topic = "sensitive-*" }
    request_failed = true
    severity = "high"
    [[severity.rules]]
    type = "io.confluent.kafka.server/*"
    resource_type = "topic"
    resource_name = "pay*"
    severity = "medium"
    [[severity.rules]]
    role = "organizationadmin"
    failed_auth = false
    severity = "low"
"#;

#[test]
fn the_default_table_gives_the_rules_answers() {
    let events = events();
    let policy = SeverityPolicy::default();
    same_as_each_rule(&policy, &events);
    let severities: std::collections::BTreeSet<_> =
        events.iter().map(|e| policy.classify(e)).collect();
    assert!(severities.len() >= 3, "the events exercise the table");
}

#[test]
fn configured_tables_give_the_rules_answers() {
    let events = events();
    let policy = configured();
    same_as_each_rule(&policy, &events);
    // No defaults after an empty list of sensitive resources; no rules.
    same_as_each_rule(&table("sensitive_resources = []"), &events);
}

/// Two tables on one thread, alternating event by event: each answers as
/// its own rules do (the memory is told which table it holds).
#[test]
fn tables_alternating_on_one_thread() {
    let events = events();
    let a = configured();
    let b = SeverityPolicy::default();
    let b2 = b.clone();
    for e in &events {
        assert_eq!(a.classify(e), a.classify_each(e));
        assert_eq!(b.classify(e), b.classify_each(e));
        assert_eq!(b2.classify(e), b.classify_each(e));
    }
}

/// More rules than a mask has bits: tried rule by rule.
#[test]
fn a_table_of_more_than_64_rules() {
    let mut text = String::new();
    for i in 0..70 {
        text += &format!("[[rules]]\nmethod = \"*Op{}\"\nseverity = \"low\"\n", i % 9);
    }
    let policy = table(&text);
    assert_eq!(
        policy.rules().len(),
        70 + SeverityPolicy::default().rules().len()
    );
    same_as_each_rule(&policy, &events());
}
