use super::*;
use crate::detect::alert::{Alert, EventRef};
use crate::event::time::format_rfc3339_nanos;
use crate::event::Disposition;
use crate::process::Processor;

const KEY: &str = "0123456789abcdef0123456789abcdef";
const T0: i64 = 1_741_078_801_000_000_000;

fn ev(id: &str, t: i64) -> EventRef {
    let (principal, ip) = (Some("User:sa-1"), Some("203.0.113.9"));
    let resource = Some("sensitive-pii");
    EventRef::new(
        t,
        [Some(id), principal, ip, resource, None, None, None, None],
    )
}

fn alert(severity: Severity, summary: &str) -> Alert {
    let (a, b) = (ev("e-1", T0), ev("e-2", T0 + 5_000_000_000));
    let mut alert = Alert::new("auth_bruteforce", severity, "203.0.113.9".into(), &[&a, &b]);
    alert.summary = summary.to_owned();
    alert
}

fn encoder(format: Format) -> Encoder {
    Encoder {
        format,
        routing_key: Secret::new(KEY),
        source: "siem-bridge".into(),
        component: "confluent-audit-log".into(),
        links: Vec::new(),
    }
}

fn encode(format: Format, a: &Alert) -> String {
    let e = Processor::default().alert_event(a);
    String::from_utf8(encoder(format).encode(&e).unwrap()).unwrap()
}

#[test]
fn generic_body_is_the_alert_object_byte_for_byte() {
    let a = alert(Severity::High, "5 failed logins from 203.0.113.9 in 5 s");
    assert_eq!(encode(Format::Generic, &a), a.to_json());
}

#[test]
fn pagerduty_body_byte_for_byte() {
    let a = alert(Severity::High, "5 failed logins from 203.0.113.9 in 5 s");
    let want = format!(
        concat!(
            r#"{{"routing_key":"{key}","event_action":"trigger","dedup_key":"{id}","#,
            r#""payload":{{"summary":"5 failed logins from 203.0.113.9 in 5 s","source":"siem-bridge","#,
            r#""severity":"error","timestamp":"{ts}","component":"confluent-audit-log","#,
            r#""group":"203.0.113.9","class":"auth_bruteforce","custom_details":{alert}}}}}"#
        ),
        key = KEY,
        id = a.id,
        ts = format_rfc3339_nanos(T0 + 5_000_000_000),
        alert = a.to_json(),
    );
    assert_eq!(encode(Format::Pagerduty, &a), want);
}

#[test]
fn pagerduty_links_fill_in_id_and_rule() {
    let a = alert(Severity::Critical, "s");
    let mut enc = encoder(Format::Pagerduty);
    enc.links = vec![
        Link {
            href: "https://kibana.example.com/alerts?id={id}&rule={rule}".into(),
            text: Some("Open in Kibana".into()),
        },
        Link {
            href: "https://wiki.example.com/runbook".into(),
            text: None,
        },
    ];
    let body = enc.encode(&Processor::default().alert_event(&a)).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let id = a.id.replace('-', "%2D");
    assert_eq!(
        v["links"],
        serde_json::json!([
            {"href": format!("https://kibana.example.com/alerts?id={id}&rule=auth%5Fbruteforce"), "text": "Open in Kibana"},
            {"href": "https://wiki.example.com/runbook"}
        ])
    );
}

#[test]
fn severity_mapping() {
    for (s, want) in [
        (Severity::Critical, "critical"),
        (Severity::High, "error"),
        (Severity::Medium, "warning"),
        (Severity::Low, "info"),
        (Severity::Info, "info"),
    ] {
        assert_eq!(pagerduty_severity(s), want);
        let v: serde_json::Value =
            serde_json::from_str(&encode(Format::Pagerduty, &alert(s, "x"))).unwrap();
        assert_eq!(v["payload"]["severity"], want, "{s:?}");
    }
}

#[test]
fn summary_is_cut_at_1024_characters() {
    // Multi-byte characters: the limit is characters, not bytes.
    let long = "é".repeat(1500);
    let v: serde_json::Value =
        serde_json::from_str(&encode(Format::Pagerduty, &alert(Severity::High, &long))).unwrap();
    let summary = v["payload"]["summary"].as_str().unwrap();
    assert_eq!(summary.chars().count(), MAX_SUMMARY_CHARS);
    assert!(summary.ends_with("é…"), "{summary}");
    // The alert itself, in custom_details, keeps the whole summary.
    assert_eq!(v["payload"]["custom_details"]["summary"], long.as_str());
    // At the limit exactly: untouched.
    let exact = "a".repeat(1024);
    assert_eq!(truncate(&exact, 1024), exact.as_str());
    assert_eq!(truncate("abc", 2), "a…");
}

#[test]
fn a_non_alert_is_refused() {
    const RAW: &str = r#"{"id":"e-1","source":"crn://confluent.cloud/organization=o1","specversion":"1.0","type":"io.confluent.kafka.server/authorization","time":"2025-03-04T09:00:01.112Z","data":{"methodName":"kafka.CreateTopics","authenticationInfo":{"principal":"User:sa-1"},"authorizationInfo":{"granted":false,"operation":"Create","resourceType":"Topic","resourceName":"t"}}}"#;
    let e = match Processor::default().process(RAW.as_bytes(), None, 0) {
        Disposition::Forward(e) => e,
        other => panic!("{other:?}"),
    };
    for f in [Format::Generic, Format::Pagerduty] {
        let err = encoder(f).encode(&e).unwrap_err();
        assert!(
            matches!(err, EncodeError::NotAnAlert(ref t) if t == "io.confluent.kafka.server/authorization"),
            "{err:?}"
        );
        assert!(err.to_string().contains("alerts only"), "{err}");
    }
}

#[test]
fn an_over_long_id_is_refused_for_pagerduty() {
    let mut a = alert(Severity::High, "s");
    a.id = "x".repeat(256);
    let e = Processor::default().alert_event(&a);
    assert!(matches!(
        encoder(Format::Pagerduty).encode(&e),
        Err(EncodeError::IdTooLong(256))
    ));
    // Generic receivers have no such limit.
    assert!(encoder(Format::Generic).encode(&e).is_ok());
}
