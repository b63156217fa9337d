//! H1–H6, H9, H10, H18 (`docs/sinks.md` §6.2): requests, headers, and what each failure class
//! does to the events.

use std::collections::HashSet;
use std::time::Duration;

use siem_bridge::sink::{Outcome, Sink};

use super::{all_accepted, config, counts, deliver, sink};
use crate::support::hec::{FakeHec, Fault, HecOptions};
use crate::support::{events, ids};

fn class(outcomes: &[Outcome]) -> HashSet<&'static str> {
    outcomes.iter().map(Outcome::class).collect()
}

#[tokio::test]
async fn h01_happy_path_delivers_each_id_once_within_the_byte_cap() {
    let hec = FakeHec::start(HecOptions::default()).await;
    let s = sink(&hec, "");
    let evs = events(10_000);
    let report = s.send(&evs).await;
    assert!(all_accepted(&report.outcomes));
    let indexed = hec.indexed_ids();
    assert_eq!(indexed.len(), 10_000, "each id exactly once");
    assert_eq!(
        indexed.iter().collect::<HashSet<_>>(),
        ids(&evs).iter().collect::<HashSet<_>>()
    );
    let received = hec.received();
    assert!(
        received.len() >= 10,
        "split into requests: {}",
        received.len()
    );
    let channel = received[0].channel.clone().unwrap();
    assert_eq!(channel, s.channel());
    for r in &received {
        assert!(
            r.len <= 1_000_000 && r.ids.len() <= 1_000,
            "{} bytes, {} events",
            r.len,
            r.ids.len()
        );
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Splunk {}", hec.token()).as_str())
        );
        assert_eq!(
            r.channel.as_deref(),
            Some(channel.as_str()),
            "one stable channel"
        );
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        assert_eq!(r.content_encoding, None);
        assert_eq!(r.status, 200);
    }
    // The envelope a SOC search relies on.
    let first: serde_json::Value = serde_json::Deserializer::from_slice(&received[0].body)
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(first["sourcetype"], "confluent:audit");
    assert_eq!(first["host"], "bridge-test");
    assert_eq!(first["fields"]["event_id"], "evt-00000");
    assert!(first["time"].is_f64());
    assert_eq!(first["event"]["enrichment"]["event_id"], "evt-00000");
}

#[tokio::test]
async fn h02_busy_503_is_retryable_and_delivers_once_after_recovery() {
    let hec = FakeHec::start(HecOptions::default()).await;
    hec.push_faults([Fault::busy(), Fault::busy(), Fault::busy()]);
    let s = sink(&hec, "max_batch_events = 5");
    let evs = events(20);
    let first = s.send(&evs).await;
    assert_eq!(class(&first.outcomes), HashSet::from(["retryable"]));
    assert_eq!(
        hec.received().len(),
        1,
        "a busy server gets one request per attempt, not four"
    );
    assert!(hec.indexed_ids().is_empty(), "503 means not accepted");
    let (outcomes, rounds) = deliver(&s, &evs, 10).await;
    assert!(all_accepted(&outcomes));
    assert_eq!(rounds, 3, "two more busy answers, then through");
    let c = counts(&hec.indexed_ids());
    assert_eq!(c.len(), 20);
    assert!(c.values().all(|&n| n == 1), "exactly once");
    let statuses: Vec<u16> = hec.received().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 503, 200, 200, 200, 200]);
}

#[tokio::test]
async fn h03_429_with_retry_after_is_reported_to_the_pipeline() {
    let hec = FakeHec::start(HecOptions::default()).await;
    hec.push_faults([Fault::Reply {
        status: 429,
        body: r#"{"text":"HEC queue at capacity","code":26}"#.to_owned(),
        retry_after: Some(5),
    }]);
    let s = sink(&hec, "");
    let evs = events(3);
    let report = s.send(&evs).await;
    assert_eq!(report.retry_after, Some(Duration::from_secs(5)));
    assert_eq!(class(&report.outcomes), HashSet::from(["retryable"]));
    assert!(matches!(&report.outcomes[0], Outcome::Retryable(m) if m.contains("429")));
    let again = s.send(&evs).await;
    assert!(all_accepted(&again.outcomes));
    assert_eq!(again.retry_after, None);
}

#[tokio::test]
async fn h04_5xx_and_html_bodies_are_retryable() {
    let hec = FakeHec::start(HecOptions::default()).await;
    hec.push_faults([
        Fault::code(500, 8, "Internal server error"),
        Fault::html(502),
        Fault::html(504),
    ]);
    let s = sink(&hec, "");
    let evs = events(4);
    for status in ["500", "502", "504"] {
        let r = s.send(&evs).await;
        for o in &r.outcomes {
            assert!(
                matches!(o, Outcome::Retryable(m) if m.contains(status)),
                "{o:?}"
            );
        }
    }
    assert!(all_accepted(&s.send(&evs).await.outcomes));
    assert_eq!(hec.indexed_ids().len(), 4);
}

#[tokio::test]
async fn h05_reset_after_reading_the_body_is_ambiguous_and_resent() {
    let hec = FakeHec::start(HecOptions::default()).await;
    hec.push_faults([Fault::ResetAfterIndexing]);
    let s = sink(&hec, "");
    let evs = events(8);
    let r = s.send(&evs).await;
    assert_eq!(class(&r.outcomes), HashSet::from(["ambiguous"]));
    assert_eq!(hec.indexed_ids().len(), 8, "the server did take the batch");
    assert_eq!(s.stats().ambiguous, 1);
    let (outcomes, _) = deliver(&s, &evs, 3).await;
    assert!(all_accepted(&outcomes));
    let c = counts(&hec.indexed_ids());
    assert_eq!(c.len(), 8, "no loss");
    assert!(
        c.values().all(|&n| n == 2),
        "the batch was seen twice: {c:?}"
    );
    assert_eq!(s.stats().possible_duplicates, 8);
}

#[tokio::test]
async fn h06_answer_slower_than_the_timeout_is_ambiguous_and_resent() {
    let hec = FakeHec::start(HecOptions::default()).await;
    hec.push_faults([Fault::Delay(Duration::from_millis(1500))]);
    let s = sink(&hec, "request_timeout_ms = 200");
    let evs = events(5);
    let r = s.send(&evs).await;
    assert_eq!(
        class(&r.outcomes),
        HashSet::from(["ambiguous"]),
        "{:?}",
        r.outcomes[0]
    );
    let (outcomes, _) = deliver(&s, &evs, 3).await;
    assert!(all_accepted(&outcomes));
    assert!(counts(&hec.indexed_ids()).values().all(|&n| n == 2));
}

#[tokio::test]
async fn h09_incorrect_index_pauses_without_storm_or_dead_letters() {
    let hec = FakeHec::start(HecOptions::default()).await;
    hec.set_always(Some(Fault::code(400, 7, "Incorrect index")));
    let s = sink(&hec, "index = \"not_allowed\"\nmax_batch_events = 10");
    let evs = events(50);
    for attempt in 1..=3 {
        let r = s.send(&evs).await;
        assert_eq!(
            class(&r.outcomes),
            HashSet::from(["misconfigured"]),
            "never rejected: nothing to dead-letter"
        );
        assert!(
            matches!(&r.outcomes[49], Outcome::Misconfigured(m) if m.contains("Incorrect index") && m.contains("index"))
        );
        assert_eq!(
            hec.received().len(),
            attempt,
            "one request per attempt, not five"
        );
    }
    assert!(hec.indexed_ids().is_empty());
    hec.set_always(None);
    assert!(all_accepted(&s.send(&evs).await.outcomes));
    assert_eq!(counts(&hec.indexed_ids()).len(), 50);
}

#[tokio::test]
async fn h10_token_errors_are_misconfigured() {
    let hec = FakeHec::start(HecOptions::default()).await;
    let evs = events(6);
    // The fake's own token check: a wrong token gets 403 code 4.
    let mut c = config(&hec, "");
    c.token = Some(siem_bridge::secret::Secret::new("wrong-token"));
    let wrong = siem_bridge::sink::splunk_hec::SplunkHecSink::new(&c, "hec".into()).unwrap();
    let r = wrong.send(&evs).await;
    assert!(
        matches!(&r.outcomes[0], Outcome::Misconfigured(m) if m.contains("403") && m.contains("Invalid token")),
        "{:?}",
        r.outcomes[0]
    );
    let s = sink(&hec, "");
    for (status, code, text) in [
        (401, 2, "Token is required"),
        (401, 3, "Invalid authorization"),
        (403, 1, "Token disabled"),
        (403, 4, "Invalid token"),
    ] {
        hec.push_faults([Fault::code(status, code, text)]);
        let r = s.send(&evs).await;
        assert_eq!(
            class(&r.outcomes),
            HashSet::from(["misconfigured"]),
            "{status}/{code}"
        );
    }
    assert!(hec.indexed_ids().is_empty());
    assert!(all_accepted(&s.send(&evs).await.outcomes));
}

#[tokio::test]
async fn h18_gzip_sends_byte_identical_events() {
    let hec = FakeHec::start(HecOptions::default()).await;
    let evs = events(300);
    let plain = sink(&hec, "max_batch_events = 100");
    assert!(all_accepted(&plain.send(&evs).await.outcomes));
    let gz = sink(&hec, "max_batch_events = 100\ncompression = \"gzip\"");
    assert!(all_accepted(&gz.send(&evs).await.outcomes));
    let received = hec.received();
    let (a, b) = received.split_at(3);
    assert_eq!(b.len(), 3);
    for (p, z) in a.iter().zip(b) {
        assert_eq!(z.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(p.content_encoding, None);
        assert_eq!(
            p.body, z.body,
            "decompressed body identical to the plain one"
        );
        assert!(
            z.wire_len * 3 < p.wire_len,
            "gzip {} vs plain {}",
            z.wire_len,
            p.wire_len
        );
    }
}
