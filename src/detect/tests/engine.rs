//! Engine-wide behaviour: the single-event rules and one alert per
//! incident, duplicates, the listing of config problems, alerts as
//! CloudEvents.

use super::*;

#[test]
fn single_event_rules_and_one_alert_per_incident() {
    let del = |id: &str, t, topic: &str| {
        authz(
            id,
            T0 + t,
            "ops",
            "10.0.0.3",
            "kafka.DeleteTopics",
            "Delete",
            &format!("topic={topic}"),
            true,
        )
    };
    let a = run(&[del("x1", 0, "a"), del("x2", 30, "b"), del("x3", 1000, "c")]);
    let d = of(&a, "destructive_operation");
    assert_eq!(d.len(), 2);
    assert_eq!(ids(d[0]), ["x1", "x2"]);
    // Its sentence says the first deletion, then that one more followed.
    assert!(d[0].summary.contains("topic=a."), "{}", d[0].summary);
    assert!(
        d[0].summary.contains(" And 1 more event ("),
        "{}",
        d[0].summary
    );
    assert!(d[0].summary.contains("topic=b"), "{}", d[0].summary);
    assert!(!d[1].summary.contains(" And "), "{}", d[1].summary);
    let denied = authz(
        "x4",
        T0,
        "ops",
        "10.0.0.3",
        "kafka.DeleteTopics",
        "Delete",
        "topic=a",
        false,
    );
    assert!(of(&run(&[denied]), "destructive_operation").is_empty());
}

#[test]
fn schema_deletions_are_destructive_and_their_settings_are_not() {
    let sr = |id: &str, method: &str| {
        let op = "Delete";
        authz(
            id,
            T0,
            "ops",
            "10.0.0.3",
            method,
            op,
            "topic=payments-value",
            true,
        )
    };
    // Confluent Platform: MDS authorizes Schema Registry.
    let mds = |id: &str, op: &str, granted: bool| {
        authz(
            id,
            T0,
            "mike",
            "10.0.0.4",
            "mds.Authorize",
            op,
            "topic=x",
            granted,
        )
        .replace(r#""resourceType":"Topic""#, r#""resourceType":"Subject""#)
    };
    let lines = [
        sr("cfg", "schema-registry.DeleteSubjectConfig"),
        sr("mode", "schema-registry.DeleteSubjectMode"),
        sr("subject", "schema-registry.DeleteSubject"),
        mds("read", "Read", true),
        mds("refused", "Delete", false),
        mds("deleted", "Delete", true),
    ];
    let a = run(&lines);
    let d = of(&a, "destructive_operation");
    let mut got: Vec<&str> = d.iter().flat_map(|a| ids(a)).collect();
    got.sort_unstable();
    assert_eq!(got, ["deleted", "subject"], "{a:#?}");
}

#[test]
fn a_cluster_deletion_is_destructive_whatever_words_its_name_runs_together() {
    // Confluent Cloud's control plane (docs/audit-log-format.md §3B): the
    // letters of `DeleteKafkaCluster` hold "acl", but it has no ACL word.
    let cloud = |id: &str, method: &str| {
        format!(
            r#"{{"specversion":"1.0","id":"{id}","source":"crn://confluent.cloud/","type":"io.confluent.cloud/request","time":"{}","subject":"crn://confluent.cloud/organization=o1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1","data":{{"serviceName":"crn://confluent.cloud/","methodName":"{method}","resourceName":"crn://confluent.cloud/organization=o1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1","authenticationInfo":{{"principal":{{"confluentUser":{{"resourceId":"u-1"}}}}}},"requestMetadata":{{"clientAddress":[{{"ip":"198.51.100.14"}}]}},"result":{{"status":"SUCCESS"}}}}}}"#,
            iso(T0)
        )
    };
    for (method, destructive) in [
        ("DeleteKafkaCluster", true),
        ("DeleteCluster", true),
        ("DeleteEnvironment", true),
        ("DeleteAcls", false),
        ("DeleteClusterAcls", false),
        ("DeleteACLBinding", false),
        ("DeleteClusterLink", false),
    ] {
        let a = run(&[cloud("k1", method)]);
        let got = of(&a, "destructive_operation").len();
        assert_eq!(got, usize::from(destructive), "{method}: {a:#?}");
    }
}

#[test]
fn an_event_dated_years_ahead_does_not_end_every_window() {
    // Five failed logins 10 s apart, and between the second and the third
    // a record whose clock says 2031.
    let mut lines = fails(5, T0, 10, "203.0.113.9");
    let future = authn("future", 1_956_528_000, "198.51.100.1", "x", false);
    lines.insert(2, future);
    let mut d = Detector::new(&DetectConfig::default(), Emit::OnClose).unwrap();
    let mut out = Vec::new();
    for l in &lines {
        let (_, e) = Processor::default().enrich(l.as_bytes(), None, 0).unwrap();
        d.observe(&e, l.as_bytes(), &mut out);
    }
    assert_eq!(d.stats().future_events, 1);
    assert_eq!(d.stats().late_events, 0);
    d.finish(&mut out);
    let b = of(&out, "auth_bruteforce");
    assert_eq!(b.len(), 1, "{out:#?}");
    assert_eq!(b[0].event_count, 5);
}

#[test]
fn duplicates_are_not_counted_twice_and_ids_are_stable() {
    let mut lines = fails(4, T0, 10, "203.0.113.9");
    lines.push(lines[0].clone());
    assert!(of(&run(&lines), "auth_bruteforce").is_empty());
    let a1 = run(&fails(6, T0, 10, "203.0.113.9"));
    let a2 = run(&fails(6, T0, 10, "203.0.113.9"));
    assert_eq!(a1, a2);
}

#[test]
fn config_problems_are_all_listed() {
    let cfg: DetectConfig = toml::from_str(
        r#"
trusted_networks = ["10.0.0.0/99"]
max_state_bytes = 0
[rules.denial_burst]
threshold = 0
roles = ["x"]
[rules.no_such_rule]
[[custom]]
name = "seq"
kind = "sequence"
match = { verdict = "denied" }
"#,
    )
    .unwrap();
    let problems = match Detector::new(&cfg, Emit::OnClose) {
        Err(p) => p,
        Ok(_) => panic!("expected problems"),
    };
    let text: Vec<String> = problems.iter().map(|(k, m)| format!("{k}: {m}")).collect();
    let text = text.join("\n");
    for want in [
        "detect.rules.denial_burst.threshold",
        "detect.rules.denial_burst.roles",
        "detect.rules.no_such_rule",
        "detect.trusted_networks[0]",
        "detect.custom[0].then: a sequence rule needs its second step",
        "detect.max_state_bytes: must be between 1048576 (1 MiB) and 68719476736 (64 GiB) bytes",
    ] {
        assert!(text.contains(want), "{want} missing in:\n{text}");
    }
}

#[test]
fn max_state_bytes_is_checked_at_both_ends() {
    let problems = |bytes: usize| {
        let cfg = DetectConfig {
            max_state_bytes: bytes,
            ..DetectConfig::default()
        };
        Detector::new(&cfg, Emit::OnClose).err().unwrap_or_default()
    };
    for bad in [0, (1 << 20) - 1, (64 << 30) + 1, usize::MAX] {
        let p = problems(bad);
        assert_eq!(p.len(), 1, "{bad}: {p:?}");
        assert_eq!(p[0].0, "detect.max_state_bytes");
    }
    for good in [1 << 20, 16 << 20, 64 << 30] {
        assert!(problems(good).is_empty(), "{good}");
    }
    let default: DetectConfig = toml::from_str("").unwrap();
    assert_eq!(default.max_state_bytes, 12 << 20);
    assert_eq!(default.max_open_alert_bytes, 4 << 20);
}

#[test]
fn an_alert_travels_as_an_enriched_cloudevent() {
    let alerts = run(&fails(5, T0, 1, "203.0.113.9"));
    let a = &of(&alerts, "auth_bruteforce")[0];
    let event = Processor::default().alert_event(a);
    assert_eq!(event.id(), a.id);
    assert_eq!(
        event.enrichment.event_type(),
        crate::event::validate::ALERT_TYPE
    );
    assert_eq!(event.enrichment.severity, a.severity);
    let v: serde_json::Value = serde_json::from_str(&event.json).unwrap();
    assert_eq!(v["data"]["rule"], "auth_bruteforce");
    assert_eq!(v["data"]["event_ids"].as_array().unwrap().len(), 5);
    assert_eq!(v["subject"], "auth_bruteforce");
    assert!(v["enrichment"].is_object(), "{v}");
    // The same record on the audit topic is a foreign type, not an alert.
    let raw = a.to_cloudevent();
    let d = Processor::default().process(raw.as_bytes(), None, 0);
    assert!(
        matches!(d, crate::event::Disposition::DeadLetter(ref r) if r.code() == "foreign_type"),
        "{d:?}"
    );
}

#[test]
fn removals_and_credential_changes_open_nothing() {
    let change = |id: &str, method: &str, op: &str| {
        let r = "topic=sensitive-pii*";
        authz(id, T0 + 60, "una", "10.0.0.1", method, op, r, true)
    };
    let with = |c: String| {
        let mut lines = denials(10, T0, 3, "sensitive-pii-eu");
        lines.push(c);
        of(&run(&lines), "privilege_change_during_denials").len()
    };
    assert_eq!(
        with(change("rm", "mds.DeleteRoleBinding", "AlterAccess")),
        0
    );
    assert_eq!(
        with(change("rm", "mds.RemoveRoleBinding", "AlterAccess")),
        0
    );
    assert_eq!(with(change("rm", "kafka.DeleteAcls", "Alter")), 0);
    assert_eq!(
        with(change("pw", "kafka.AlterUserScramCredentials", "Alter")),
        0
    );
    assert_eq!(
        with(change("add", "mds.CreateRoleBinding", "AlterAccess")),
        1
    );
    assert_eq!(with(change("acl", "kafka.CreateAcls", "Alter")), 1);
}

/// `line` with `"dryRun":true` in its authorization.
fn dry(line: String) -> String {
    line.replace(r#""patternType""#, r#""dryRun":true,"patternType""#)
}

#[test]
fn look_only_checks_and_dry_runs_under_a_deleting_method_are_no_deletion() {
    // Kafka checks a topic deletion for `Describe` and for `Delete`; both
    // are logged under `kafka.DeleteTopics`.
    let check = |id: &str, op: &str, granted| {
        authz(
            id,
            T0,
            "ops",
            "10.0.0.3",
            "kafka.DeleteTopics",
            op,
            "topic=orders",
            granted,
        )
    };
    let a = run(&[check("d1", "Describe", true), check("d2", "Delete", false)]);
    assert!(of(&a, "destructive_operation").is_empty(), "{a:#?}");
    let a = run(&[check("g1", "Describe", true), check("g2", "Delete", true)]);
    let d = of(&a, "destructive_operation");
    assert_eq!(d.len(), 1, "{a:#?}");
    assert_eq!(ids(d[0]), ["g2"]);
    // A granted dry run deletes nothing.
    let a = run(&[dry(check("r1", "Delete", true))]);
    assert!(of(&a, "destructive_operation").is_empty(), "{a:#?}");
}

#[test]
fn look_only_checks_and_dry_runs_change_no_privilege() {
    let change = |id: &str, method: &str, op: &str| {
        authz(
            id,
            T0 + 60,
            "admin",
            "10.0.0.1",
            method,
            op,
            "topic=sensitive-pii*",
            true,
        )
    };
    for (line, changes) in [
        (change("c1", "mds.Authorize", "AlterAccess"), true),
        (dry(change("c2", "mds.Authorize", "AlterAccess")), false),
        (change("c3", "kafka.CreateAcls", "Alter"), true),
        (change("c4", "kafka.CreateAcls", "Describe"), false),
        (dry(change("c5", "kafka.CreateAcls", "Alter")), false),
    ] {
        let mut lines = denials(10, T0, 3, "sensitive-pii-eu");
        let id = line[line.find(r#""id":""#).unwrap() + 6..][..2].to_owned();
        lines.push(line);
        let a = run(&lines);
        let p = of(&a, "privilege_change_during_denials");
        assert_eq!(p.len(), usize::from(changes), "{id}: {a:#?}");
        if changes {
            assert!(ids(p[0]).contains(&id.as_str()), "{id}: {a:#?}");
        }
    }
}

#[test]
fn an_event_without_a_time_counts_at_the_latest_time_seen() {
    // The third failure has neither `time` nor a Kafka timestamp: it
    // counts at the latest event time seen before it, not at the clock.
    let fail = |i: i64| authn(&format!("f{i}"), T0 + 10 * i, "10.9.9.9", "alice", false);
    let mut lines: Vec<String> = (0..5).map(fail).collect();
    let untimed = lines[2].clone();
    let at = untimed.find(r#""time":""#).unwrap();
    let end = at + untimed[at..].find(',').unwrap() + 1;
    lines[2] = format!("{}{}", &untimed[..at], &untimed[end..]);
    assert!(!lines[2].contains(r#""time""#));
    let a = run(&lines);
    let b = of(&a, "auth_bruteforce");
    assert_eq!(b.len(), 1, "{a:#?}");
    assert_eq!(ids(b[0]), ["f0", "f1", "f2", "f3", "f4"]);
}

/// A dry run asks whether the principal could, and tries nothing: a
/// denied one is no denial (`denial_burst`, the first step of
/// `denied_then_granted`), a granted one no grant.
#[test]
fn dry_runs_are_neither_denials_nor_grants() {
    let check = |id: &str, t: i64, granted: bool| {
        authz(
            id,
            T0 + t,
            "mallory",
            "192.0.2.66",
            "mds.Authorize",
            "Read",
            "topic=sensitive-pii",
            granted,
        )
    };
    let dry_denials: Vec<String> = (0..12)
        .map(|i| dry(check(&format!("d{i}"), i, false)))
        .collect();
    let a = run(&dry_denials);
    assert!(of(&a, "denial_burst").is_empty(), "{a:#?}");
    // Two denials, then a granted dry run; a denied dry run, then a grant.
    for lines in [
        vec![
            check("d0", 0, false),
            check("d1", 5, false),
            dry(check("g", 10, true)),
        ],
        vec![dry(check("d0", 0, false)), check("g", 10, true)],
    ] {
        let a = run(&lines);
        assert!(of(&a, "denied_then_granted").is_empty(), "{a:#?}");
    }
    // Without the flag, both complete.
    let a = run(&[check("d0", 0, false), check("g", 10, true)]);
    assert_eq!(of(&a, "denied_then_granted").len(), 1, "{a:#?}");
}

/// However many denials a privilege change came during, the change is
/// listed: in the place of the last denial listed before it.
#[test]
fn a_privilege_change_is_listed_past_the_hundred_ids() {
    let mut lines = denials(150, T0, 2, "sensitive-pii-eu");
    lines.push(authz(
        "pc",
        T0 + 301,
        "admin",
        "10.0.0.1",
        "mds.Authorize",
        "AlterAccess",
        "topic=sensitive-pii*",
        true,
    ));
    let a = run(&lines);
    let p = of(&a, "privilege_change_during_denials");
    assert_eq!(p.len(), 1, "{a:#?}");
    assert_eq!(p[0].event_count, 151);
    assert_eq!(p[0].event_ids.len(), 100);
    assert_eq!(p[0].event_ids[98], "d98");
    assert_eq!(p[0].event_ids[99], "pc");
}
