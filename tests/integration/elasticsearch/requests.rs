//! Whole requests: what goes on the wire, and HTTP-level answers
//! (E1, E2, E8, E9, E10, E15 of `docs/sinks.md` §6.3, timeouts, caps, auth).

use std::time::Duration;

use siem_bridge::secret::Secret;
use siem_bridge::sink::elasticsearch::{Compression, Flavor};
use siem_bridge::sink::{Outcome, Sink};

use super::{assert_once, classes, deliver, sink};
use crate::support::es::{FakeEs, Reply};
use crate::support::{events, ids};

#[tokio::test]
async fn e1_happy_path_body_headers_ids() {
    let es = FakeEs::start().await;
    let evs = events(30);
    let s = sink(&es.url, |c| c.compression = Compression::Gzip);
    let report = s.send(&evs).await;
    assert!(
        report.outcomes.iter().all(|o| *o == Outcome::Accepted),
        "{report:?}"
    );
    let reqs = es.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert!(r.target.starts_with("/_bulk?filter_path="), "{}", r.target);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert!(r.wire_len < r.body.len() / 3, "gzip shrinks the body");
    assert!(r.body.ends_with(b"\n"), "trailing newline");
    assert_eq!(
        r.body.iter().filter(|&&b| b == b'\n').count(),
        60,
        "two lines per event"
    );
    assert_eq!(r.ids(), ids(&evs));
    for (d, e) in r.docs.iter().zip(&evs) {
        assert_eq!(d.op, "create");
        assert_eq!(
            d.index, "confluent-audit-2025.03.04",
            "{}",
            e.enrichment.time
        );
        let src: serde_json::Value = serde_json::from_str(&d.source).unwrap();
        assert_eq!(src["id"], e.id());
        assert_eq!(src["enrichment"]["event_id"], e.id());
        assert!(src["@timestamp"].is_string());
    }
    assert_once(&es.writes(), &evs);
}

#[tokio::test]
async fn e2_http_429_three_times_then_200() {
    let es = FakeEs::start().await;
    let busy = Reply::Http {
        status: 429,
        headers: vec![("Retry-After".into(), "3".into())],
        body: r#"{"error":{"type":"es_rejected_execution_exception","reason":"rejected"},"status":429}"#.into(),
    };
    es.script([busy.clone(), busy.clone(), busy]);
    let evs = events(10);
    let s = sink(&es.url, |_| {});
    let (out, reports) = deliver(&s, &evs, 10).await;
    assert_eq!(reports.len(), 4, "three refusals, then accepted");
    for r in &reports[..3] {
        assert!(
            r.outcomes
                .iter()
                .all(|o| matches!(o, Outcome::Retryable(_))),
            "{r:?}"
        );
        assert_eq!(r.retry_after, Some(Duration::from_secs(3)));
    }
    assert!(out.iter().all(|o| *o == Outcome::Accepted));
    assert!(
        es.requests().iter().all(|r| r.ids() == ids(&evs)),
        "whole batch resent each time"
    );
    assert_once(&es.writes(), &evs);
}

#[tokio::test]
async fn e8_413_halves_recursively_and_dead_letters_one_oversize_document() {
    let es = FakeEs::start().await;
    es.max_body(Some(64 * 1024));
    let mut evs = events(60);
    let big = super::fixture_events()
        .into_iter()
        .find(|e| e.json.len() > 200_000)
        .expect("line 83 is ~300 KB");
    evs.insert(17, big.clone());
    let s = sink(&es.url, |_| {});
    let report = s.send(&evs).await;
    for (i, o) in report.outcomes.iter().enumerate() {
        if i == 17 {
            assert!(
                matches!(o, Outcome::Rejected { status: Some(s), reason } if s == "413" && reason.contains("alone")),
                "{o:?}"
            );
        } else {
            assert_eq!(*o, Outcome::Accepted, "event {i}");
        }
    }
    assert!(s.stats().splits >= 4, "{:?}", s.stats());
    let mut others = evs.clone();
    others.remove(17);
    assert_once(&es.writes(), &others);
    assert_eq!(es.stored(big.id()), None);
    assert!(es
        .requests()
        .iter()
        .filter(|r| r.wire_len <= 64 * 1024)
        .all(|r| !r.ids().contains(&big.id().to_owned())));
}

#[tokio::test]
async fn e9_whole_request_400_is_misconfigured_and_not_retried() {
    let es = FakeEs::start().await;
    es.script([Reply::status(
        400,
        r#"{"error":{"type":"illegal_argument_exception","reason":"request [/_bulk] contains unrecognized parameter: [include_source_on_error]"},"status":400}"#,
    )]);
    let evs = events(30);
    let s = sink(&es.url, |c| c.max_batch_events = 10);
    let report = s.send(&evs).await;
    assert_eq!(
        es.requests().len(),
        1,
        "the other two requests are not sent"
    );
    for o in &report.outcomes {
        match o {
            Outcome::Misconfigured(m) => assert!(m.contains("unrecognized parameter"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn e10_401_and_403_pause_without_dead_letter_then_recover() {
    let es = FakeEs::start().await;
    es.require_auth(Some("Basic ZWxhc3RpYzpzM2NyZXQ=")); // elastic:s3cret
    let evs = events(5);
    let anonymous = sink(&es.url, |_| {});
    let report = anonymous.send(&evs).await;
    assert_eq!(classes(&report.outcomes), ["misconfigured"; 5]);
    assert!(
        matches!(&report.outcomes[0], Outcome::Misconfigured(m) if m.contains("401") && m.contains("security_exception"))
    );
    let s = sink(&es.url, |c| {
        c.user = Some("elastic".into());
        c.password = Some(Secret::new("s3cret"));
    });
    es.script([Reply::status(
        403,
        r#"{"error":{"type":"security_exception","reason":"unauthorized"},"status":403}"#,
    )]);
    assert_eq!(classes(&s.send(&evs).await.outcomes), ["misconfigured"; 5]);
    // The operator fixes the role: the same events go through, once.
    assert_eq!(classes(&s.send(&evs).await.outcomes), ["accepted"; 5]);
    assert_once(&es.writes(), &evs);
}

#[tokio::test]
async fn e15_gzip_request_and_gzip_response() {
    let (plain_es, gz_es) = (FakeEs::start().await, FakeEs::start().await);
    gz_es.gzip_responses(true);
    let evs = events(20);
    let plain = sink(&plain_es.url, |_| {});
    let gz = sink(&gz_es.url, |c| c.compression = Compression::Gzip);
    assert_eq!(classes(&plain.send(&evs).await.outcomes), ["accepted"; 20]);
    assert_eq!(classes(&gz.send(&evs).await.outcomes), ["accepted"; 20]);
    let (p, g) = (&plain_es.requests()[0], &gz_es.requests()[0]);
    assert_eq!(g.header("accept-encoding"), Some("gzip"));
    assert_eq!(p.header("content-encoding"), None);
    assert_eq!(p.body, g.body, "byte-identical NDJSON once decompressed");
}

#[tokio::test]
async fn reset_before_answer_is_ambiguous_and_resend_is_deduplicated() {
    let es = FakeEs::start().await;
    es.script([Reply::Reset { store: false }]);
    let evs = events(4);
    let s = sink(&es.url, |_| {});
    let (out, reports) = deliver(&s, &evs, 3).await;
    assert_eq!(classes(&reports[0].outcomes), ["ambiguous"; 4]);
    assert_eq!(classes(&out), ["accepted"; 4]);
    assert_once(&es.writes(), &evs);
}

#[tokio::test]
async fn timeout_is_ambiguous_and_resend_is_deduplicated() {
    let es = FakeEs::start().await;
    es.script([Reply::Delayed(
        Duration::from_millis(2500),
        Box::new(Reply::Bulk),
    )]);
    let evs = events(4);
    let s = sink(&es.url, |c| c.timeout_secs = 1);
    let (out, reports) = deliver(&s, &evs, 3).await;
    assert_eq!(classes(&reports[0].outcomes), ["ambiguous"; 4]);
    assert_eq!(classes(&out), ["accepted"; 4]);
    assert_eq!(s.stats().duplicates, 4, "the slow request had stored them");
    assert_once(&es.writes(), &evs);
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = sink(&format!("http://127.0.0.1:{port}"), |_| {});
    let report = s.send(&events(3)).await;
    assert_eq!(classes(&report.outcomes), ["retryable"; 3]);
}

#[tokio::test]
async fn batches_are_cut_by_events_and_bytes() {
    let es = FakeEs::start().await;
    let evs = events(25);
    let s = sink(&es.url, |c| c.max_batch_events = 10);
    assert_eq!(classes(&s.send(&evs).await.outcomes), ["accepted"; 25]);
    let sizes: Vec<usize> = es.requests().iter().map(|r| r.docs.len()).collect();
    assert_eq!(sizes, [10, 10, 5]);
    let es = FakeEs::start().await;
    let s = sink(&es.url, |c| c.max_batch_bytes = 8 * 1024);
    assert_eq!(classes(&s.send(&evs).await.outcomes), ["accepted"; 25]);
    let reqs = es.requests();
    assert!(reqs.len() >= 3, "{}", reqs.len());
    assert!(reqs.iter().all(|r| r.body.len() <= 8 * 1024));
    let sent: Vec<String> = reqs.iter().flat_map(|r| r.ids()).collect();
    assert_eq!(sent, ids(&evs), "in order, each once");
}

#[tokio::test]
async fn a_failed_request_stops_the_rest_of_the_batch() {
    let es = FakeEs::start().await;
    es.script([Reply::Bulk]);
    es.script([Reply::Http {
        status: 503,
        headers: vec![("Retry-After".into(), "7".into())],
        body: "<html>Service Unavailable</html>".into(),
    }]);
    let evs = events(30);
    let s = sink(&es.url, |c| c.max_batch_events = 10);
    let report = s.send(&evs).await;
    assert_eq!(es.requests().len(), 2);
    assert_eq!(classes(&report.outcomes[..10]), ["accepted"; 10]);
    assert_eq!(classes(&report.outcomes[10..]), ["retryable"; 20]);
    assert_eq!(report.retry_after, Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn api_key_and_bearer_token_on_the_wire() {
    let es = FakeEs::start().await;
    es.require_auth(Some("ApiKey aWQxOmtleTE=")); // base64("id1:key1")
    let s = sink(&es.url, |c| c.api_key = Some(Secret::new("id1:key1")));
    assert_eq!(classes(&s.send(&events(2)).await.outcomes), ["accepted"; 2]);
    es.require_auth(Some("Bearer tok-1"));
    let s = sink(&es.url, |c| c.bearer_token = Some(Secret::new("tok-1")));
    assert_eq!(classes(&s.send(&events(2)).await.outcomes), ["accepted"; 2]);
}

#[tokio::test]
async fn query_parameters_follow_the_flavor() {
    let es = FakeEs::start().await;
    let s = sink(&es.url, |c| {
        c.pipeline = Some("confluent audit".into());
        c.include_source_on_error = Some(false);
    });
    s.send(&events(1)).await;
    let target = &es.requests()[0].target;
    assert!(target.contains("pipeline=confluent+audit"), "{target}");
    assert!(target.contains("include_source_on_error=false"), "{target}");
    assert!(target.contains("items.*.status"), "{target}");
    let os = sink(&es.url, |c| {
        c.flavor = Flavor::Opensearch;
        c.pipeline = Some("p".into());
    });
    assert!(!os.bulk_url().contains("include_source_on_error"));
    assert_eq!(
        os.healthcheck().await,
        Ok(()),
        "harmless the other way round"
    );
    assert_eq!(s.healthcheck().await, Ok(()));
}
