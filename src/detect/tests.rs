//! Rule tests: for each rule a positive case, just under the threshold,
//! outside the window, out of order, and late. Events are built in the
//! Confluent Platform 7.x shape (`docs/audit-log-format.md` §3A, §10).

use super::*;
use crate::process::Processor;

pub const T0: i64 = 1_741_078_800; // 2025-03-04T09:00:00Z

fn iso(t: i64) -> String {
    crate::event::time::format_rfc3339_nanos(t * 1_000_000_000)
}

/// A CP authentication event; `ok` false is a failed login.
pub fn authn(id: &str, t: i64, ip: &str, user: &str, ok: bool) -> String {
    let (principal, status) = if ok {
        (format!("User:{user}"), "SUCCESS")
    } else {
        ("None:UNKNOWN_USER".to_owned(), "UNAUTHENTICATED")
    };
    format!(
        r#"{{"specversion":"1.0","id":"{id}","source":"crn:///kafka=C1","type":"io.confluent.kafka.server/authentication","time":"{}","data":{{"serviceName":"crn:///kafka=C1","methodName":"kafka.Authentication","resourceName":"crn:///kafka=C1","authenticationInfo":{{"principal":"{principal}","metadata":{{"mechanism":"SASL_SSL/SCRAM-SHA-512","identifier":"{user}"}}}},"requestMetadata":{{"client_address":"/{ip}"}},"result":{{"status":"{status}","message":""}}}}}}"#,
        iso(t)
    )
}

/// A CP authorization event on `resource` (`topic=x`, or `topic=x*` for
/// a prefix pattern).
#[allow(clippy::too_many_arguments)]
pub fn authz(
    id: &str,
    t: i64,
    user: &str,
    ip: &str,
    method: &str,
    op: &str,
    resource: &str,
    granted: bool,
) -> String {
    let (rtype, name) = resource
        .split_once('=')
        .unwrap_or(("cluster", "kafka-cluster"));
    let rtype = match rtype {
        "topic" => "Topic",
        "group" => "Group",
        _ => "Cluster",
    };
    let crn = if resource.is_empty() {
        "crn:///kafka=C1".to_owned()
    } else {
        format!("crn:///kafka=C1/{resource}")
    };
    let pattern = if name.ends_with('*') {
        "PREFIXED"
    } else {
        "LITERAL"
    };
    let name = name.trim_end_matches('*');
    format!(
        r#"{{"specversion":"1.0","id":"{id}","source":"crn:///kafka=C1","type":"io.confluent.kafka.server/authorization","time":"{}","data":{{"serviceName":"crn:///kafka=C1","methodName":"{method}","resourceName":"{crn}","authenticationInfo":{{"principal":"User:{user}"}},"authorizationInfo":{{"granted":{granted},"operation":"{op}","resourceType":"{rtype}","resourceName":"{name}","patternType":"{pattern}"}},"request":{{"correlation_id":"7","client_id":"cli-{user}"}},"requestMetadata":{{"client_address":"/{ip}"}}}}}}"#,
        iso(t)
    )
}

pub fn run_lines(cfg: &DetectConfig, lines: &[String]) -> Vec<Alert> {
    let mut d = Detector::new(cfg, Emit::OnClose).expect("valid config");
    let mut out = Vec::new();
    for l in lines {
        let (_, e) = Processor::default()
            .enrich(l.as_bytes(), None, 0)
            .expect("valid test event");
        d.observe(&e, l.as_bytes(), &mut out);
    }
    d.finish(&mut out);
    out
}

fn run(lines: &[String]) -> Vec<Alert> {
    run_lines(&DetectConfig::default(), lines)
}

pub fn of<'a>(alerts: &'a [Alert], rule: &str) -> Vec<&'a Alert> {
    alerts.iter().filter(|a| a.rule == rule).collect()
}

pub fn ids(a: &Alert) -> Vec<&str> {
    a.event_ids.iter().map(String::as_str).collect()
}

fn fails(n: usize, start: i64, step: i64, ip: &str) -> Vec<String> {
    (0..n)
        .map(|i| {
            authn(
                &format!("f{i}"),
                start + i as i64 * step,
                ip,
                "alice",
                false,
            )
        })
        .collect()
}

#[test]
fn bruteforce_fires_once_per_burst_with_every_event() {
    let a = run(&fails(7, T0, 20, "203.0.113.9"));
    let bf = of(&a, "auth_bruteforce");
    // By source address; the identifier count stays quiet because one
    // address explains it.
    assert_eq!(bf.len(), 1, "{a:#?}");
    assert_eq!(bf[0].group_key, "source_ip=203.0.113.9");
    assert_eq!(ids(bf[0]), ["f0", "f1", "f2", "f3", "f4", "f5", "f6"]);
    assert_eq!(bf[0].event_count, 7);
}

#[test]
fn bruteforce_by_identifier_across_addresses() {
    let lines: Vec<String> = (0..6)
        .map(|i| {
            authn(
                &format!("s{i}"),
                T0 + i * 10,
                &format!("198.51.100.{i}"),
                "svc-payments",
                false,
            )
        })
        .collect();
    let a = run(&lines);
    let bf = of(&a, "auth_bruteforce");
    assert_eq!(bf.len(), 1, "{a:#?}");
    assert_eq!(bf[0].group_key, "identifier=svc-payments");
    assert_eq!(bf[0].source_ips.len(), 6);
}

#[test]
fn bruteforce_just_under_threshold_and_outside_window() {
    assert!(of(&run(&fails(4, T0, 20, "203.0.113.9")), "auth_bruteforce").is_empty());
    // Five failures 80 s apart span 320 s > 300 s.
    assert!(of(&run(&fails(5, T0, 80, "203.0.113.9")), "auth_bruteforce").is_empty());
}

#[test]
fn bruteforce_out_of_order_and_late() {
    let mut lines = fails(5, T0, 20, "203.0.113.9");
    lines.reverse();
    let a = run(&lines);
    assert_eq!(
        ids(of(&a, "auth_bruteforce")[0]),
        ["f0", "f1", "f2", "f3", "f4"]
    );
    // The first failure arrives after unrelated traffic moved time on by
    // 20 s (within the 30 s allowed lateness): still counted.
    let mut lines = fails(5, T0, 1, "203.0.113.9");
    let first = lines.remove(0);
    lines.push(authz(
        "n1",
        T0 + 25,
        "bob",
        "10.0.0.2",
        "kafka.Metadata",
        "Describe",
        "topic=t",
        true,
    ));
    lines.push(first);
    let a = run(&lines);
    assert_eq!(of(&a, "auth_bruteforce")[0].event_count, 5);
}

#[test]
fn failed_logins_then_success() {
    let ip = "198.51.100.7";
    let ok = |t| authn("ok", t, ip, "alice", true);
    let mut lines = fails(2, T0, 10, ip);
    lines.push(ok(T0 + 30));
    let a = run(&lines);
    assert_eq!(
        ids(of(&a, "failed_logins_then_success")[0]),
        ["f0", "f1", "ok"]
    );
    // One failure is not enough; a success 90 s later is outside 60 s.
    let mut lines = fails(1, T0, 10, ip);
    lines.push(ok(T0 + 20));
    assert!(of(&run(&lines), "failed_logins_then_success").is_empty());
    let mut lines = fails(2, T0, 10, ip);
    lines.push(ok(T0 + 100));
    assert!(of(&run(&lines), "failed_logins_then_success").is_empty());
    // The success arrives before the failures it follows.
    let mut lines = vec![ok(T0 + 30)];
    lines.extend(fails(2, T0, 10, ip));
    assert_eq!(
        ids(of(&run(&lines), "failed_logins_then_success")[0]),
        ["f0", "f1", "ok"]
    );
}

#[test]
fn new_source_ip_needs_history_and_a_new_network() {
    let e = |id: &str, t, ip| {
        authz(
            id,
            T0 + t,
            "bob",
            ip,
            "kafka.Metadata",
            "Describe",
            "topic=t",
            true,
        )
    };
    let a = run(&[
        e("a", 0, "10.1.2.3"),
        e("b", 10, "10.1.2.99"),
        e("c", 20, "203.0.113.5"),
        e("d", 30, "203.0.113.6"),
    ]);
    let n = of(&a, "new_source_ip");
    assert_eq!(n.len(), 1, "{a:#?}");
    assert_eq!(ids(n[0]), ["c"]);
    // First sight raises nothing; a trusted network raises nothing.
    assert!(of(&run(&[e("a", 0, "203.0.113.5")]), "new_source_ip").is_empty());
    let cfg = DetectConfig {
        trusted_networks: vec!["203.0.113.0/24".into()],
        ..DetectConfig::default()
    };
    assert!(of(
        &run_lines(&cfg, &[e("a", 0, "10.1.2.3"), e("c", 20, "203.0.113.5")]),
        "new_source_ip"
    )
    .is_empty());
    // A trusted network is history all the same: the first use from
    // outside of a credential used only inside raises the alert.
    let a = run_lines(
        &cfg,
        &[e("c", 0, "203.0.113.5"), e("x", 20, "198.51.100.23")],
    );
    let n = of(&a, "new_source_ip");
    assert_eq!(n.len(), 1, "{a:#?}");
    assert_eq!(ids(n[0]), ["x"]);
}

fn denials(n: usize, start: i64, step: i64, topic: &str) -> Vec<String> {
    (0..n)
        .map(|i| {
            authz(
                &format!("d{i}"),
                start + i as i64 * step,
                "mallory",
                "192.0.2.66",
                "kafka.FetchConsumer",
                "Read",
                &format!("topic={topic}"),
                false,
            )
        })
        .collect()
}

#[test]
fn denial_burst_on_sensitive_resources() {
    let a = run(&denials(12, T0, 5, "sensitive-pii"));
    let b = of(&a, "denial_burst");
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].event_count, 12);
    assert_eq!(b[0].principal.as_deref(), Some("User:mallory"));
    assert!(of(&run(&denials(9, T0, 5, "sensitive-pii")), "denial_burst").is_empty());
    assert!(of(&run(&denials(12, T0, 5, "orders")), "denial_burst").is_empty());
    assert!(of(&run(&denials(10, T0, 40, "sensitive-pii")), "denial_burst").is_empty());
    let mut shuffled = denials(10, T0, 2, "sensitive-pii");
    shuffled.swap(0, 9);
    shuffled.swap(3, 6);
    assert_eq!(of(&run(&shuffled), "denial_burst")[0].event_count, 10);
}

#[test]
fn denied_then_granted() {
    let d = |id: &str, t, granted| {
        authz(
            id,
            T0 + t,
            "carol",
            "10.0.0.9",
            "kafka.Produce",
            "Write",
            "topic=payments",
            granted,
        )
    };
    let a = run(&[d("d1", 0, false), d("g1", 120, true), d("g2", 130, true)]);
    let x = of(&a, "denied_then_granted");
    assert_eq!(x.len(), 1);
    assert_eq!(ids(x[0]), ["d1", "g1"]);
    assert!(of(
        &run(&[d("d1", 0, false), d("g1", 660, true)]),
        "denied_then_granted"
    )
    .is_empty());
    assert!(of(
        &run(&[d("g0", 0, true), d("d1", 10, false)]),
        "denied_then_granted"
    )
    .is_empty());
    // The grant comes first, the earlier denial arrives late.
    let a = run(&[d("g1", 20, true), d("d1", 5, false)]);
    assert_eq!(ids(of(&a, "denied_then_granted")[0]), ["d1", "g1"]);
    // The kept grant (its principal and resource from the group's copy)
    // makes the same alert as the grant itself.
    let in_order = run(&[d("d1", 5, false), d("g1", 20, true)]);
    assert_eq!(
        serde_json::to_value(of(&a, "denied_then_granted")[0]).unwrap(),
        serde_json::to_value(of(&in_order, "denied_then_granted")[0]).unwrap()
    );
}

/// `line` without `data.resourceName` and `subject` (every `data` field is
/// optional): only `source`, the cluster, is left as a CRN.
fn without_resource_crn(line: &str) -> String {
    let at = line
        .find(r#""resourceName":"crn:"#)
        .expect("a resourceName CRN");
    let end = at + line[at..].find("\",").unwrap() + 2;
    let out = format!("{}{}", &line[..at], &line[end..]);
    assert!(!out.contains("\"subject\""));
    out
}

#[test]
fn denial_burst_by_the_authorization_s_resource_name_when_no_crn_names_it() {
    let lines: Vec<String> = denials(10, T0, 5, "sensitive-pii")
        .iter()
        .map(|l| without_resource_crn(l))
        .collect();
    let a = run(&lines);
    let b = of(&a, "denial_burst");
    assert_eq!(b.len(), 1, "{a:#?}");
    assert_eq!(b[0].event_count, 10);
    assert_eq!(b[0].resources, ["sensitive-pii"]);
    // The cluster named by `source` is not the resource: a change of the
    // cluster's access would have covered every topic of it.
    let mut lines = denials(10, T0, 3, "sensitive-pii-eu");
    lines.push(without_resource_crn(&grant_access(
        "pc",
        T0 + 60,
        "topic=public-*",
    )));
    assert!(of(&run(&lines), "privilege_change_during_denials").is_empty());
}

fn grant_access(id: &str, t: i64, resource: &str) -> String {
    authz(
        id,
        t,
        "admin",
        "10.0.0.1",
        "mds.Authorize",
        "AlterAccess",
        resource,
        true,
    )
}

#[test]
fn privilege_change_covering_a_burst() {
    let mut lines = denials(10, T0, 3, "sensitive-pii-eu");
    lines.push(grant_access("pc", T0 + 60, "topic=sensitive-pii*"));
    let a = run(&lines);
    let p = of(&a, "privilege_change_during_denials");
    assert_eq!(p.len(), 1, "{a:#?}");
    assert!(ids(p[0]).contains(&"pc"));
    assert_eq!(p[0].event_count, 11);
    // A pattern that does not cover the denied topic; a change long after.
    let mut lines = denials(10, T0, 3, "sensitive-pii-eu");
    lines.push(grant_access("pc", T0 + 60, "topic=sensitive-cards*"));
    assert!(of(&run(&lines), "privilege_change_during_denials").is_empty());
    let mut lines = denials(10, T0, 3, "sensitive-pii-eu");
    lines.push(grant_access("pc", T0 + 1000, "topic=sensitive-pii*"));
    assert!(of(&run(&lines), "privilege_change_during_denials").is_empty());
    // The change arrives before the denials that make the burst.
    let mut lines = vec![grant_access("pc", T0 + 25, "topic=sensitive-pii*")];
    lines.extend(denials(10, T0, 3, "sensitive-pii-eu"));
    assert_eq!(of(&run(&lines), "privilege_change_during_denials").len(), 1);
}

mod addresses;
mod budget;
mod engine;
mod history;
mod incidents;
mod resources;
mod spread;
