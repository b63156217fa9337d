//! One case per row of the table in `docs/webhook.md`.

use super::*;

const PD_INVALID: &str = r#"{"status":"invalid event","message":"Event object is invalid","errors":["'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')"]}"#;
const PD_BAD_KEY: &str = r#"{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}"#;

fn class(v: &Verdict<Outcome>) -> &'static str {
    match v {
        Verdict::All(o) => o.class(),
        Verdict::Protocol(o) => o.class(),
        Verdict::TooLarge(_) => "too_large",
    }
}

#[test]
fn success_is_accepted() {
    let pd = r#"{"status":"success","message":"Event processed","dedup_key":"sb-1"}"#;
    assert_eq!(
        classify(Format::Pagerduty, 202, pd.as_bytes()),
        Verdict::Protocol(Outcome::Accepted)
    );
    for s in [200, 201, 202, 204] {
        assert_eq!(
            classify(Format::Generic, s, b""),
            Verdict::Protocol(Outcome::Accepted),
            "{s}"
        );
    }
}

#[test]
fn pagerduty_400_invalid_event_is_rejected_alone() {
    match classify(Format::Pagerduty, 400, PD_INVALID.as_bytes()) {
        Verdict::Protocol(Outcome::Rejected { reason, status }) => {
            assert_eq!(status.as_deref(), Some("400"));
            assert!(reason.contains("payload.severity"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pagerduty_400_about_the_routing_key_is_misconfigured() {
    let v = classify(Format::Pagerduty, 400, PD_BAD_KEY.as_bytes());
    assert_eq!(class(&v), "misconfigured");
    assert!(
        matches!(v, Verdict::All(Outcome::Misconfigured(ref m)) if m.contains("check `routing_key`")),
        "{v:?}"
    );
}

#[test]
fn generic_400_is_misconfigured() {
    // Every alert has the same shape: a refusal is the receiver's setup.
    let v = classify(Format::Generic, 400, b"bad");
    assert!(
        matches!(v, Verdict::All(Outcome::Misconfigured(_))),
        "{v:?}"
    );
}

#[test]
fn rate_limited_is_retryable() {
    for f in [Format::Generic, Format::Pagerduty] {
        let v = classify(f, 429, br#"{"status":"throttle event","message":"Requests for this service are arriving too quickly."}"#);
        assert!(
            matches!(v, Verdict::All(Outcome::Retryable(ref m)) if m.starts_with("HTTP 429: throttle event")),
            "{v:?}"
        );
    }
}

#[test]
fn server_errors_are_retryable_but_501() {
    for s in [500, 502, 503, 504, 408] {
        assert_eq!(
            class(&classify(Format::Pagerduty, s, b"<html>oops</html>")),
            "retryable",
            "{s}"
        );
    }
    assert_eq!(class(&classify(Format::Generic, 501, b"")), "misconfigured");
}

#[test]
fn unauthorised_and_forbidden_are_misconfigured() {
    for s in [401, 403] {
        match classify(Format::Generic, s, b"") {
            Verdict::All(Outcome::Misconfigured(m)) => assert!(m.contains("auth_header"), "{m}"),
            other => panic!("{other:?}"),
        }
        match classify(Format::Pagerduty, s, b"") {
            Verdict::All(Outcome::Misconfigured(m)) => assert!(m.contains("routing_key"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn not_found_and_redirects_are_misconfigured() {
    for s in [404, 301, 302, 405] {
        match classify(Format::Generic, s, b"") {
            Verdict::All(Outcome::Misconfigured(m)) => assert!(m.contains("`url`"), "{m}"),
            other => panic!("{s}: {other:?}"),
        }
    }
}

#[test]
fn too_large_follows_the_413_rule() {
    assert_eq!(class(&classify(Format::Pagerduty, 413, b"")), "too_large");
}
