use super::*;

#[test]
fn prefix_pattern_covers_topics_it_names() {
    let grant = ResourcePath::parse_crn("crn:///kafka=C1/topic=sensitive-pii*").unwrap();
    let hit = ResourcePath::parse_crn("crn:///kafka=C1/topic=sensitive-pii-eu").unwrap();
    let other = ResourcePath::parse_crn("crn:///kafka=C1/topic=sensitive-cards").unwrap();
    let elsewhere = ResourcePath::parse_crn("crn:///kafka=C2/topic=sensitive-pii").unwrap();
    assert!(grant.prefix);
    assert!(grant.covers(&hit));
    assert!(!grant.covers(&other));
    assert!(!grant.covers(&elsewhere));
}

#[test]
fn literal_and_scope_cover() {
    let lit = ResourcePath::parse_crn("crn:///kafka=C1/topic=a").unwrap();
    let a = ResourcePath::parse_crn("crn:///kafka=C1/topic=a").unwrap();
    let ab = ResourcePath::parse_crn("crn:///kafka=C1/topic=ab").unwrap();
    assert!(lit.covers(&a));
    assert!(!lit.covers(&ab));
    let cluster = ResourcePath::parse_crn("crn:///kafka=C1").unwrap();
    assert!(cluster.covers(&ab));
    let env =
        ResourcePath::parse_crn("crn://confluent.cloud/organization=o/environment=env-1").unwrap();
    let t = ResourcePath::parse_crn(
            "crn://confluent.cloud/organization=o/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1/topic=x",
        )
        .unwrap();
    assert!(env.covers(&t));
}

#[test]
fn encoded_star_is_literal() {
    let p =
        ResourcePath::parse_crn("crn://confluent.cloud/organization=o/cloud-api-key=%2A").unwrap();
    assert!(!p.prefix);
    assert_eq!(p.parts[1].1, "*");
}

/// Every event of the repository's JSON Lines files, enriched, with its
/// line.
fn fixtures() -> Vec<(crate::event::Enrichment, String)> {
    let p = crate::process::Processor::default();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut out = Vec::new();
    for file in [
        "examples/sample-events.jsonl",
        "tests/data/audit-events/sample.jsonl",
        "tests/data/detect/incident.jsonl",
    ] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).expect(file);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if let Ok((_, e)) = p.enrich(line.as_bytes(), None, 0) {
                out.push((e, line.to_owned()));
            }
        }
    }
    assert!(out.len() > 500, "{}", out.len());
    out
}

#[test]
fn authn_read_verdict_first_is_the_eager_reading() {
    // Session `hot` reads the type and method only for a success; the
    // eager reading it replaced, on every event of the test data.
    for (e, line) in fixtures() {
        let f = Facts::new(&e, line.as_bytes());
        let is_authn_type = e.event_type().ends_with("/authentication")
            || crate::detect::words::is_login_method(f.method_lc());
        let eager = if e.failed_auth && e.verdict == Verdict::Failure {
            Authn::Failed
        } else if is_authn_type && e.verdict == Verdict::Success {
            Authn::Succeeded
        } else {
            Authn::NotAuthn
        };
        assert_eq!(f.authn, eager, "{}", e.event_id());
    }
}

#[test]
fn extras_only_where_wanted_and_as_decoded() {
    // Boxed extras: present exactly for the events that want them, and
    // then what the spans or the typed parse decode; all absent otherwise.
    let mut with = 0;
    for (e, line) in fixtures() {
        let raw = line.as_bytes();
        let f = Facts::new(&e, raw);
        let wants = f.authn != Authn::NotAuthn
            || e.verdict == Verdict::Denied
            || e.request_failed
            || f.privilege_change;
        let want = if wants {
            with += 1;
            Extras::from_spans(raw, &e.extras).unwrap_or_else(|| Extras::read(raw))
        } else {
            Extras::default()
        };
        assert_eq!(format!("{:?}", f.extras()), format!("{want:?}"));
        // A waiting event's one-buffer copy is the event.
        let exact = crate::detect::kept::Kept::exact(&f);
        let kept = exact.to_event();
        assert_eq!(kept, EventRef::of(&f), "{}", e.event_id());
    }
    assert!(with > 50, "{with}");
}

#[test]
fn a_crn_in_each_of_its_forms_has_one_identity() {
    let full = "crn://confluent.cloud/organization=o-1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1/topic=t";
    for crn in [
        "crn:///kafka=lkc-1/topic=t",
        "crn://confluent.cloud/kafka=lkc-1/topic=t",
        "crn://mds1.example.com/kafka=lkc-1/topic=t",
        full,
    ] {
        assert_eq!(crn_identity(crn), "kafka=lkc-1/topic=t", "{crn}");
    }
    // The last element stays, whatever it is; other scopes stay too.
    assert_eq!(
        crn_identity("crn://confluent.cloud/organization=o-1/environment=env-1"),
        "environment=env-1"
    );
    assert_eq!(
        crn_identity("crn://confluent.cloud/organization=o-1"),
        "organization=o-1"
    );
    assert_eq!(
        crn_identity("crn://confluent.cloud/organization=o-1/environment=env-1/schema-registry=lsrc-1/subject=s"),
        "schema-registry=lsrc-1/subject=s"
    );
    assert_eq!(crn_identity("topic-name"), "topic-name");
}

#[test]
fn denied_then_granted_matches_one_resource_written_in_two_crn_forms() {
    use crate::detect::tests::{authz, run_lines, T0};
    let d = |id: &str, t, granted| {
        authz(
            id,
            T0 + t,
            "carol",
            "10.0.0.9",
            "kafka.Produce",
            "Write",
            "topic=billing",
            granted,
        )
    };
    let full = "crn://confluent.cloud/organization=o-1/environment=env-1/cloud-cluster=C1/kafka=C1/topic=billing";
    let grant = d("g1", 60, true).replace("crn:///kafka=C1/topic=billing", full);
    assert!(grant.contains(full));
    let a = run_lines(&Default::default(), &[d("d1", 0, false), grant]);
    let x: Vec<_> = a
        .iter()
        .filter(|a| a.rule == "denied_then_granted")
        .collect();
    assert_eq!(x.len(), 1, "{a:?}");
    assert_eq!(
        x[0].group_key,
        "principal=User:carol,operation=Write,resource=kafka=C1/topic=billing"
    );
    let ids: Vec<_> = x[0].event_ids.iter().map(|e| e.as_str()).collect();
    assert_eq!(ids, ["d1", "g1"]);
}

/// A Confluent Cloud `kafka.Produce` request event (§3B) on `topic`,
/// failed or not, without `result.data` (its error type is unverified).
fn cloud_request(id: &str, t: i64, topic: &str, failed: bool) -> String {
    let scope =
        "crn://confluent.cloud/organization=o-1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1";
    let status = if failed { "FAILURE" } else { "SUCCESS" };
    let time = crate::event::time::format_rfc3339_nanos(t * 1_000_000_000);
    format!(
        r#"{{"specversion":"1.0","id":"{id}","source":"crn://confluent.cloud/","type":"io.confluent.kafka.server/request","subject":"{scope}/topic={topic}","time":"{time}","data":{{"serviceName":"crn://confluent.cloud/","methodName":"kafka.Produce","resourceName":"{scope}/topic={topic}","authenticationInfo":{{"principal":{{"confluentServiceAccount":{{"resourceId":"sa-r1"}}}},"result":"SUCCESS"}},"requestMetadata":{{"clientAddress":[{{"ip":"10.3.0.5"}}]}},"request":{{"accessType":"MODIFICATION"}},"result":{{"status":"{status}"}}}}}}"#
    )
}

#[test]
fn failed_requests_on_sensitive_topics_make_a_denial_burst() {
    use crate::detect::tests::{run_lines, T0};
    let burst = |n: usize, topic: &str, failed: bool| -> Vec<String> {
        (0..n)
            .map(|i| cloud_request(&format!("r{i}"), T0 + 10 * i as i64, topic, failed))
            .collect()
    };
    let bursts = |lines: &[String]| -> Vec<(u64, Vec<String>)> {
        run_lines(&Default::default(), lines)
            .into_iter()
            .filter(|a| a.rule == "denial_burst")
            .map(|a| (a.event_count, a.event_ids))
            .collect()
    };
    let got = bursts(&burst(10, "sensitive-orders", true));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, 10);
    assert!(bursts(&burst(9, "sensitive-orders", true)).is_empty());
    assert!(bursts(&burst(10, "orders", true)).is_empty());
    assert!(bursts(&burst(10, "sensitive-orders", false)).is_empty());
    // A failed request then a successful one is not "denied, then
    // granted": the failure's reason is not known.
    let lines = [
        cloud_request("f1", T0, "sensitive-orders", true),
        cloud_request("s1", T0 + 5, "sensitive-orders", false),
    ];
    let all = run_lines(&Default::default(), &lines);
    assert!(
        all.iter().all(|a| a.rule != "denied_then_granted"),
        "{all:?}"
    );
}
