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
