//! Every answer class against the in-repo receiver, for both formats.

use std::time::Duration;

use serde_json::json;
use siem_bridge::secret::Secret;
use siem_bridge::sink::webhook::Format;
use siem_bridge::sink::{Outcome, Sink};

use super::{alerts, classes, deliver, detected, events, ids, sink, ROUTING_KEY};
use crate::support::webhook::{pagerduty_errors, FakeReceiver, ReceiverOptions, Script};
use crate::support::{events as audit_events, sample_lines};

fn pagerduty() -> ReceiverOptions {
    ReceiverOptions {
        pagerduty: true,
        ..ReceiverOptions::default()
    }
}

#[tokio::test]
async fn generic_all_accepted_with_headers_and_the_alert_as_body() {
    let hook = FakeReceiver::start(ReceiverOptions {
        authorization: Some("Bearer t0ken".into()),
        ..ReceiverOptions::default()
    })
    .await;
    let a = alerts(3);
    let s = sink(Format::Generic, &hook.url(), |c| {
        c.auth_header = Some("Bearer t0ken".into());
        c.headers.insert("X-Team".into(), Secret::new("soc"));
    });
    assert!(s.alerts_only());
    let report = s.send(&events(&a)).await;
    assert_eq!(classes(&report.outcomes), ["accepted"; 3]);
    assert_eq!(
        hook.accepted_ids(),
        ids(&a),
        "exactly the alert ids, in order"
    );
    let got = hook.received();
    assert_eq!(got.len(), 3, "one POST per alert");
    for (r, (alert, _)) in got.iter().zip(&a) {
        assert_eq!(r.path, "/hooks/alerts");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("x-team"), Some("soc"));
        let want: serde_json::Value = serde_json::from_str(&alert.to_json()).unwrap();
        assert_eq!(r.body, want);
    }
    assert_eq!(s.stats().accepted, 3);
}

#[tokio::test]
async fn pagerduty_all_accepted_and_valid_by_its_rules() {
    let hook = FakeReceiver::start(pagerduty()).await;
    let mut a = alerts(2);
    // The detector's own alerts too (several rules and severities).
    for alert in detected() {
        let e = std::sync::Arc::new(siem_bridge::process::Processor::default().alert_event(&alert));
        a.push((alert, e));
    }
    let s = sink(Format::Pagerduty, &hook.url(), |_| {});
    let report = s.send(&events(&a)).await;
    assert_eq!(
        classes(&report.outcomes),
        vec!["accepted"; a.len()],
        "{report:?}"
    );
    assert_eq!(hook.accepted_ids(), ids(&a));
    for (r, (alert, _)) in hook.received().iter().zip(&a) {
        assert_eq!(pagerduty_errors(&r.body), Vec::<String>::new());
        assert_eq!(r.body["routing_key"], ROUTING_KEY);
        assert_eq!(r.body["event_action"], "trigger");
        assert_eq!(r.body["payload"]["class"], alert.rule.as_str());
        assert_eq!(r.body["payload"]["custom_details"]["id"], alert.id.as_str());
        assert_eq!(
            r.body["payload"]["severity"],
            siem_bridge::sink::webhook::pagerduty_severity(alert.severity)
        );
    }
}

#[tokio::test]
async fn rate_limited_with_retry_after_then_accepted() {
    let hook = FakeReceiver::start(pagerduty()).await;
    hook.script([Script::Reply {
        status: 429,
        body: json!({"status": "throttle event", "message": "Requests for this service are arriving too quickly."}).to_string(),
        retry_after: Some(1),
    }]);
    let a = alerts(3);
    let s = sink(Format::Pagerduty, &hook.url(), |_| {});
    let (last, reports) = deliver(&s, &events(&a), 3).await;
    assert_eq!(
        classes(&reports[0].outcomes),
        ["retryable"; 3],
        "{:?}",
        reports[0]
    );
    assert_eq!(reports[0].retry_after, Some(Duration::from_secs(1)));
    assert_eq!(hook.received()[0].status, 429);
    assert_eq!(
        hook.received().len(),
        4,
        "the rest of the batch waited for the retry"
    );
    assert_eq!(classes(&last), ["accepted"; 3]);
    assert_eq!(hook.accepted_ids(), ids(&a), "each alert accepted once");
}

#[tokio::test]
async fn server_errors_are_retried() {
    let hook = FakeReceiver::start(ReceiverOptions::default()).await;
    hook.script([
        Script::status(500, "<html>Internal Server Error</html>"),
        Script::status(503, ""),
    ]);
    let a = alerts(2);
    let s = sink(Format::Generic, &hook.url(), |_| {});
    let (last, reports) = deliver(&s, &events(&a), 4).await;
    assert!(
        matches!(&reports[0].outcomes[0], Outcome::Retryable(m) if m.starts_with("HTTP 500")),
        "{:?}",
        reports[0]
    );
    assert_eq!(classes(&reports[1].outcomes), ["retryable"; 2]);
    assert_eq!(classes(&last), ["accepted"; 2]);
    assert_eq!(hook.accepted_ids(), ids(&a));
}

#[tokio::test]
async fn unauthorised_and_forbidden_are_misconfigured_never_rejected() {
    let hook = FakeReceiver::start(ReceiverOptions {
        authorization: Some("Bearer right".into()),
        ..ReceiverOptions::default()
    })
    .await;
    let a = alerts(2);
    for (auth, status) in [(None, 401), (Some("Bearer wrong"), 403)] {
        let s = sink(Format::Generic, &hook.url(), |c| {
            c.auth_header = auth.map(Into::into)
        });
        let report = s.send(&events(&a)).await;
        assert_eq!(
            classes(&report.outcomes),
            ["misconfigured"; 2],
            "{report:?}"
        );
        assert!(
            matches!(&report.outcomes[0], Outcome::Misconfigured(m) if m.contains(&format!("HTTP {status}")))
        );
        assert_eq!(s.stats().requests, 1, "one request, then the sink pauses");
    }
    assert!(hook.accepted_ids().is_empty());
}

#[tokio::test]
async fn pagerduty_400_rejects_that_alert_alone() {
    let hook = FakeReceiver::start(pagerduty()).await;
    hook.script([
        Script::Delay(Duration::ZERO),
        Script::status(
            400,
            r#"{"status":"invalid event","message":"Event object is invalid","errors":["'payload.summary' is missing or too long"]}"#,
        ),
    ]);
    let a = alerts(3);
    let s = sink(Format::Pagerduty, &hook.url(), |_| {});
    let report = s.send(&events(&a)).await;
    assert_eq!(
        classes(&report.outcomes),
        ["accepted", "rejected", "accepted"],
        "{report:?}"
    );
    match &report.outcomes[1] {
        Outcome::Rejected { reason, status } => {
            assert_eq!(status.as_deref(), Some("400"));
            assert!(reason.contains("payload.summary"), "{reason}");
        }
        o => panic!("{o:?}"),
    }
    assert_eq!(hook.accepted_ids(), [a[0].0.id.clone(), a[2].0.id.clone()]);
    assert_eq!(s.stats().rejected, 1);
}

#[tokio::test]
async fn a_timeout_is_ambiguous_and_resent() {
    let hook = FakeReceiver::start(pagerduty()).await;
    hook.script([Script::Delay(Duration::from_secs(3))]);
    let a = alerts(2);
    let s = sink(Format::Pagerduty, &hook.url(), |c| c.timeout_secs = 1);
    let (last, reports) = deliver(&s, &events(&a), 3).await;
    assert_eq!(
        classes(&reports[0].outcomes),
        ["ambiguous", "retryable"],
        "{:?}",
        reports[0]
    );
    assert_eq!(classes(&last), ["accepted"; 2]);
    assert_eq!(s.stats().ambiguous, 1);
    // The fake abandons a request whose client hung up, so each alert is
    // accepted once here; a real receiver may have taken the slow one too
    // (PagerDuty folds the resend into the same alert by its dedup_key).
    assert_eq!(hook.accepted_ids(), ids(&a));
}

#[tokio::test]
async fn an_audit_event_is_rejected_without_a_request() {
    let hook = FakeReceiver::start(ReceiverOptions::default()).await;
    assert!(!sample_lines().is_empty());
    let mut batch = audit_events(1);
    let a = alerts(1);
    batch.extend(events(&a));
    let s = sink(Format::Generic, &hook.url(), |_| {});
    let report = s.send(&batch).await;
    assert_eq!(classes(&report.outcomes), ["rejected", "accepted"]);
    assert!(
        matches!(&report.outcomes[0], Outcome::Rejected { reason, .. } if reason.contains("alerts only"))
    );
    assert_eq!(hook.received().len(), 1);
}
