//! The enrichment contract and lossless pass-through, on fixture lines.

use serde_json::Value;
use siem_bridge::event::{Disposition, Event, KafkaCoords};
use siem_bridge::process::Processor;

use crate::support::sample_lines;

mod address;

fn forward(line: usize) -> Event {
    forward_with(line, None)
}

fn forward_with(line: usize, kafka: Option<&KafkaCoords>) -> Event {
    let p = Processor {
        filtering: false,
        ..Default::default()
    };
    match p.process(&sample_lines()[line - 1], kafka, 1_700_000_000_000_000_000) {
        Disposition::Forward(e) => e,
        other => panic!("line {line}: {other:?}"),
    }
}

fn json(e: &Event) -> Value {
    serde_json::from_str(&e.json).unwrap()
}

fn enrichment(line: usize) -> Value {
    json(&forward(line))["enrichment"].clone()
}

#[test]
fn integers_above_2_pow_53_pass_through_exactly() {
    let e = forward(7);
    assert!(
        e.json.contains(r#""request_id":164160817391653079"#),
        "{}",
        e.json
    );
    assert!(e.json.contains(r#""connection_id":179083353992140576"#));
    let e80 = forward(80);
    let raw = String::from_utf8(sample_lines()[79].clone()).unwrap();
    // Every byte of the original, except the closing brace, is a prefix of the output.
    assert!(
        e80.json.starts_with(&raw[..raw.len() - 1]),
        "line 80 was rewritten"
    );
}

#[test]
fn every_original_field_survives_at_every_level() {
    for line in [1, 6, 24, 30, 45, 54, 65, 67, 77, 79, 80, 81] {
        let original: Value = serde_json::from_slice(&sample_lines()[line - 1]).unwrap();
        let mut out = json(&forward(line));
        out.as_object_mut().unwrap().remove("enrichment");
        assert_eq!(out, original, "line {line}");
    }
}

#[test]
fn gson_escapes_are_decoded_in_the_forwarded_bytes() {
    let e = forward(75);
    assert!(!e.json.contains("\\u003d"), "{}", e.json);
    assert!(e.json.contains("CN=alice,OU=platform,O=Example Corp,C=GB"));
    assert!(e
        .json
        .contains(r#""source":"crn:///kafka=Qm7tR2xWSoK4dY1cE9vJ3g""#));
    let en = &json(&e)["enrichment"];
    assert_eq!(
        en["crn"]["components"],
        serde_json::json!([["kafka", "Qm7tR2xWSoK4dY1cE9vJ3g"]])
    );
}

#[test]
fn raw_non_ascii_survives() {
    let e = forward(45);
    assert!(e.json.contains("dev-équipe ☕"));
}

#[test]
fn enrichment_contract_on_a_broker_denial() {
    let en = enrichment(7);
    assert_eq!(en["event_id"], "3f9e2f1e-cf08-4a6e-8399-7b41013f335d");
    assert_eq!(en["type"], "io.confluent.kafka.server/authorization");
    assert_eq!(en["dialect"], "broker");
    assert_eq!(en["method"], "kafka.CreateTopics");
    assert_eq!(en["time"], "2025-03-04T09:05:12.901000000Z");
    assert_eq!(en["time_unix_nanos"], 1_741_079_112_901_000_000i64);
    assert_eq!(en["time_source"], "event");
    assert_eq!(en["verdict"], "denied");
    assert_eq!(en["failed_auth"], true);
    assert_eq!(en["request_failed"], false);
    assert_eq!(en["operation"], "Create");
    assert_eq!(en["resource_type"], "Topic");
    assert_eq!(en["resource_name"], "analytics-scratch");
    assert_eq!(en["severity"], "medium");
    assert_eq!(en["principal"]["normalized"], "User:sa-7tz2pl");
    assert_eq!(en["principal"]["raw"], "User:sa-7tz2pl");
    assert_eq!(en["principal"]["kind"], "service_account");
    assert_eq!(en["client_id"], "adminclient-37");
    assert_eq!(en["correlation_id"], "70417");
    let crn = &en["crn"];
    assert_eq!(crn["field"], "data.resourceName");
    assert_eq!(crn["authority"], "confluent.cloud");
    assert_eq!(crn["valid"], true);
    assert_eq!(crn["organization"], "5e0a1f3c-7b2d-4c8e-9a61-2f4d8b0c3e17");
    assert_eq!(crn["environment"], "env-q7m2xk");
    assert_eq!(crn["cluster"], "lkc-8v3wqn");
    assert_eq!(crn["resource_type"], "topic");
    assert_eq!(crn["resource_name"], "analytics-scratch");
    assert_eq!(crn["is_pattern"], false);
    assert_eq!(crn["components"].as_array().unwrap().len(), 5);
    assert!(en["kafka"].is_null());
}

#[test]
fn camel_case_request_keys() {
    let en = enrichment(6);
    assert_eq!(en["client_id"], "adminclient-3");
    assert_eq!(en["correlation_id"], "7");
}

#[test]
fn cloud_dialect_ids_from_cloud_resources_and_source_ip() {
    let en = enrichment(62);
    assert_eq!(en["dialect"], "cloud");
    assert_eq!(en["source_ip"], "192.0.2.200");
    assert_eq!(en["principal"]["normalized"], Value::Null);
    assert_eq!(en["principal"]["kind"], Value::Null);
    assert_eq!(en["principal"]["email"], "mallory@example.net");
    assert_eq!(en["verdict"], "failure");
    assert_eq!(en["crn"]["field"], "subject");
    let en = enrichment(30);
    assert_eq!(en["source_ip"], "10.31.4.77");
    assert_eq!(en["verdict"], "failure");
    assert_eq!(en["request_failed"], true);
    assert_eq!(en["access_type"], "MODIFICATION");
}

#[test]
fn group_mapping_identity_and_acting_principal() {
    let en = enrichment(24);
    assert_eq!(
        en["principal"]["identity"],
        "crn://confluent.cloud/organization=5e0a1f3c-7b2d-4c8e-9a61-2f4d8b0c3e17/sso-connection=corp-okta/identity=bob@example.org"
    );
    assert_eq!(en["principal"]["acting"], "User:group-7fXq");
}

#[test]
fn encoded_star_in_crn_is_literal() {
    let en = enrichment(23);
    let last = en["crn"]["components"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last[1], "*");
    assert_eq!(en["crn"]["is_pattern"], false);
    assert_eq!(en["severity"], "high");
}

#[test]
fn minimal_event_uses_kafka_time_and_source_crn() {
    let k = KafkaCoords {
        topic: "confluent-audit-log-events".into(),
        partition: 3,
        offset: 77,
        timestamp: Some(1_741_100_000_123),
    };
    let en = json(&forward_with(78, Some(&k)))["enrichment"].clone();
    assert_eq!(en["time_source"], "kafka");
    assert_eq!(en["time_unix_nanos"], 1_741_100_000_123_000_000i64);
    assert_eq!(en["time"], "2025-03-04T14:53:20.123000000Z");
    assert_eq!(en["crn"]["field"], "source");
    assert_eq!(
        en["kafka"],
        serde_json::json!({"topic":"confluent-audit-log-events","partition":3,"offset":77,"timestamp":1741100000123i64})
    );
    // Without Kafka: the ingest time.
    assert_eq!(enrichment(78)["time_source"], "ingest");
    assert_eq!(enrichment(79)["time_source"], "ingest");
}

#[test]
fn principal_object_raw_is_kept_as_given() {
    let en = enrichment(54);
    assert_eq!(
        en["principal"]["raw"],
        serde_json::json!({"confluentUser":{"resourceId":"User:u-r2j9vd"}})
    );
    assert_eq!(en["principal"]["normalized"], "User:u-r2j9vd");
    assert_eq!(en["role"], "DeveloperRead");
}

#[test]
fn default_severity_table() {
    for (line, severity) in [
        (1, "info"),    // successful authentication
        (3, "medium"),  // failed authentication
        (14, "high"),   // denied ACL deletion
        (13, "medium"), // successful ACL change
        (22, "info"),   // granted RBAC check (read-only)
        (27, "high"),   // denied mds.Authorize
        (31, "info"),   // fetch (read-only)
        (45, "low"),    // management change
        (47, "medium"), // service account created
        (49, "medium"), // API key created
        (53, "medium"), // request failed
        (64, "high"),   // ip-filter denial
        (65, "high"),   // access transparency
        (51, "info"),   // READ_ONLY org request
    ] {
        assert_eq!(enrichment(line)["severity"], severity, "line {line}");
    }
}

#[test]
fn critical_admin_grant_and_cluster_deletion() {
    let grant = String::from_utf8(sample_lines()[53].clone())
        .unwrap()
        .replace(
            "\"role_name\":\"DeveloperRead\"",
            "\"role_name\":\"CloudClusterAdmin\"",
        );
    let p = Processor::default();
    let Disposition::Forward(e) = p.process(grant.as_bytes(), None, 0) else {
        panic!()
    };
    assert_eq!(e.enrichment.severity.as_str(), "critical");
    let delete = String::from_utf8(sample_lines()[44].clone())
        .unwrap()
        .replace("CreateEnvironment", "DeleteEnvironment");
    let Disposition::Forward(e) = p.process(delete.as_bytes(), None, 0) else {
        panic!()
    };
    assert_eq!(e.enrichment.severity.as_str(), "critical");
}

#[test]
fn denial_on_sensitive_resource_is_high_and_configurable() {
    let ev = r#"{"id":"x","source":"crn://confluent.cloud/","specversion":"1.0","type":"io.confluent.kafka.server/authorization","data":{"methodName":"kafka.Metadata","resourceName":"crn://confluent.cloud/kafka=lkc-1/topic=sensitive-pii","authenticationInfo":{"principal":"User:sa-1"},"authorizationInfo":{"granted":false,"operation":"Describe","resourceType":"Topic","resourceName":"sensitive-pii"}}}"#;
    let Disposition::Forward(e) = Processor::default().process(ev.as_bytes(), None, 0) else {
        panic!()
    };
    assert_eq!(e.enrichment.severity.as_str(), "high");
    let cfg: siem_bridge::policy::SeverityConfig = toml::from_str(
        "sensitive_resources = [\"payroll-*\"]\n[[rules]]\nmethod = \"kafka.Metadata\"\nverdict = \"denied\"\ncrn = { topic = \"sensitive-*\" }\nseverity = \"critical\"\n",
    )
    .unwrap();
    let policy = siem_bridge::policy::Policy {
        severity: cfg.compile().unwrap(),
        ..Default::default()
    };
    let Disposition::Forward(e) = Processor::new(policy).process(ev.as_bytes(), None, 0) else {
        panic!()
    };
    assert_eq!(e.enrichment.severity.as_str(), "critical");
}

#[test]
fn drop_rules_spare_failed_auth_unless_told() {
    let filter: siem_bridge::policy::FilterConfig =
        toml::from_str("[[drop]]\nname = \"all-sa\"\nprincipal = \"User:sa-*\"\n").unwrap();
    let p = Processor::new(siem_bridge::policy::Policy {
        filter: filter.compile().unwrap(),
        ..Default::default()
    });
    let lines = sample_lines();
    assert_eq!(p.process(&lines[0], None, 0).label(), "drop"); // success by sa-
    assert_eq!(p.process(&lines[6], None, 0).label(), "forward"); // denial by sa-
    let filter: siem_bridge::policy::FilterConfig = toml::from_str(
        "[[drop]]\nname = \"all-sa\"\nprincipal = \"User:sa-*\"\ninclude_failed_auth = true\n",
    )
    .unwrap();
    let p = Processor::new(siem_bridge::policy::Policy {
        filter: filter.compile().unwrap(),
        ..Default::default()
    });
    assert_eq!(p.process(&lines[6], None, 0).label(), "drop");
}

#[test]
fn forwarded_json_is_one_line_even_for_pretty_input() {
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_slice::<Value>(&sample_lines()[0]).unwrap())
            .unwrap();
    let Disposition::Forward(e) = Processor::default().process(pretty.as_bytes(), None, 0) else {
        panic!()
    };
    assert!(!e.json.contains('\n'));
    assert_eq!(
        json(&e)["enrichment"]["event_id"],
        "1c5bd68c-290f-42d6-8d96-6fbe1ef32162"
    );
}

/// The JSON of an enrichment built by serde_json from the accessors: an
/// independent path to compare the hand-written writer with.
fn reference(e: &siem_bridge::event::Enrichment) -> Value {
    let p = e.principal();
    let c = e.crn();
    serde_json::json!({
        "event_id": e.event_id(),
        "type": e.event_type(),
        "dialect": e.dialect,
        "method": e.method(),
        "service": e.service(),
        "time": e.time.to_string(),
        "time_unix_nanos": e.time_unix_nanos,
        "time_source": e.time_source,
        "severity": e.severity,
        "verdict": e.verdict,
        "failed_auth": e.failed_auth,
        "request_failed": e.request_failed,
        "principal": {
            "normalized": p.normalized,
            "raw": p.raw.map(|r| serde_json::from_str::<Value>(r).unwrap()),
            "kind": p.kind,
            "email": p.email,
            "identity": p.identity,
            "acting": p.acting,
        },
        "crn": {
            "field": c.field,
            "raw": c.raw,
            "authority": c.authority,
            "valid": c.valid,
            "components": c.components().map(|it| it.map(|(k, v)| [k, v]).collect::<Vec<_>>()),
            "organization": c.organization,
            "environment": c.environment,
            "cluster": c.cluster,
            "resource_type": c.resource_type,
            "resource_name": c.resource_name,
            "is_pattern": c.is_pattern,
        },
        "operation": e.operation(),
        "resource_type": e.resource_type(),
        "resource_name": e.resource_name(),
        "access_type": e.access_type(),
        "role": e.role(),
        "source_ip": e.source_ip(),
        "client_id": e.client_id(),
        "correlation_id": e.correlation_id(),
        "kafka": e.kafka(),
    })
}

#[test]
fn fast_writer_matches_serde_for_every_fixture_line() {
    let p = Processor::default();
    // A topic that needs escaping makes the whole text "not clean", so the
    // escaping path of the writer is compared too.
    for topic in ["t\"quoted", "confluent-audit-log-events"] {
        let k = KafkaCoords {
            topic: topic.into(),
            partition: 1,
            offset: 2,
            timestamp: None,
        };
        for (i, raw) in sample_lines().iter().enumerate() {
            let e = match p.process(raw, Some(&k), 123) {
                Disposition::Forward(e) => e.enrichment,
                Disposition::Drop { enrichment, .. } => *enrichment,
                Disposition::DeadLetter(_) => continue,
            };
            let mut fast = Vec::new();
            siem_bridge::event::write::write_enrichment(&e, &mut fast);
            let fast: Value =
                serde_json::from_slice(&fast).unwrap_or_else(|err| panic!("line {}: {err}", i + 1));
            assert_eq!(fast, reference(&e), "line {}", i + 1);
            assert_eq!(
                serde_json::to_value(&e).unwrap(),
                fast,
                "Serialize, line {}",
                i + 1
            );
        }
    }
}
