use super::*;
use crate::event::Disposition;
use crate::process::Processor;

fn enriched(line: &str) -> Enrichment {
    match Processor::default().process(line.as_bytes(), None, 0) {
        Disposition::Forward(e) => e.enrichment,
        other => panic!("not forwarded: {other:?}"),
    }
}

fn authz(principal: &str, granted: bool, topic: &str, ip: &str) -> Enrichment {
    enriched(&format!(
        r#"{{"specversion":"1.0","id":"x","source":"crn://confluent.cloud/organization=o/environment=e/cloud-cluster=lkc-1/kafka=lkc-1","type":"io.confluent.kafka.server/authorization","time":"2025-03-04T09:05:00Z","data":{{"methodName":"kafka.Produce","resourceName":"crn://confluent.cloud/organization=o/environment=e/cloud-cluster=lkc-1/kafka=lkc-1/topic={topic}","authenticationInfo":{{"principal":"{principal}"}},"authorizationInfo":{{"granted":{granted},"operation":"Write","resourceType":"Topic","resourceName":"{topic}"}},"requestMetadata":{{"clientAddress":[{{"ip":"{ip}","port":1}}]}}}}}}"#
    ))
}

fn q(f: QueryFlags) -> Query {
    Query::new(&f).unwrap()
}

#[test]
fn each_flag() {
    let denied = authz("User:sa-1", false, "sensitive-pay", "203.0.113.7");
    let granted = authz("User:sa-2", true, "orders", "198.51.100.1");
    assert_eq!(denied.source_ip(), Some("203.0.113.7"));
    let all = q(QueryFlags::default());
    assert!(all.matches(&denied) && all.matches(&granted));
    let failed = q(QueryFlags {
        failed_auth: true,
        ..Default::default()
    });
    assert!(failed.matches(&denied) && !failed.matches(&granted));
    let p = q(QueryFlags {
        principal: vec!["User:sa-2".into()],
        ..Default::default()
    });
    assert!(!p.matches(&denied) && p.matches(&granted));
    let m = q(QueryFlags {
        method: vec!["kafka.Prod*".into()],
        ..Default::default()
    });
    assert!(m.matches(&denied));
    let m = q(QueryFlags {
        method: vec!["mds.*".into()],
        ..Default::default()
    });
    assert!(!m.matches(&denied));
    let c = q(QueryFlags {
        crn: vec!["topic=sensitive-*".into()],
        ..Default::default()
    });
    assert!(c.matches(&denied) && !c.matches(&granted));
}

#[test]
fn failed_sensitive_needs_both() {
    let s = q(QueryFlags {
        failed_sensitive: true,
        ..Default::default()
    });
    assert!(s.matches(&authz("User:a", false, "sensitive-pay", "10.0.0.1")));
    assert!(!s.matches(&authz("User:a", true, "sensitive-pay", "10.0.0.1")));
    assert!(!s.matches(&authz("User:a", false, "orders", "10.0.0.1")));
    let pii = q(QueryFlags {
        failed_sensitive: true,
        sensitive_resources: vec!["pii-*".into(), "hr".into()],
        ..Default::default()
    });
    assert!(pii.matches(&authz("User:a", false, "pii-1", "10.0.0.1")));
    assert!(pii.matches(&authz("User:a", false, "hr", "10.0.0.1")));
    assert!(!pii.matches(&authz("User:a", false, "sensitive-pay", "10.0.0.1")));
}

#[test]
fn ip_address_cidr_glob() {
    let e = authz("User:a", true, "t", "203.0.113.7");
    let ip = |s: &str| {
        q(QueryFlags {
            ip: vec![s.into()],
            ..Default::default()
        })
        .matches(&e)
    };
    assert!(ip("203.0.113.7"));
    assert!(!ip("203.0.113.8"));
    assert!(ip("203.0.113.0/24"));
    assert!(!ip("203.0.112.0/24"));
    assert!(ip("0.0.0.0/0"));
    assert!(ip("203.0.*"));
    assert!(!ip("2001:db8::/32"));
    let v6 = authz("User:a", true, "t", "2001:db8::5");
    assert!(q(QueryFlags {
        ip: vec!["2001:db8::/32".into()],
        ..Default::default()
    })
    .matches(&v6));
}

#[test]
fn bad_flags_say_what_to_write() {
    let err = |f: QueryFlags| Query::new(&f).unwrap_err().to_string();
    assert!(err(QueryFlags {
        crn: vec!["sensitive-*".into()],
        ..Default::default()
    })
    .contains("KEY=GLOB"));
    assert!(err(QueryFlags {
        ip: vec!["10.0.0.0/33".into()],
        ..Default::default()
    })
    .contains("0 to 32"));
    assert!(err(QueryFlags {
        ip: vec!["localhost".into()],
        ..Default::default()
    })
    .contains("CIDR"));
}
