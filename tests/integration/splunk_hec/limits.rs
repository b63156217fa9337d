//! H7, H8, H11, H17, H19 (`docs/sinks.md` §6.2): bad events, sizes, and
//! the health endpoint.

use std::sync::Arc;

use siem_bridge::event::Event;
use siem_bridge::sink::{Outcome, Sink, SinkConfig};

use super::{counts, sink};
use crate::support::hec::{FakeHec, Fault, HecOptions, Poison};
use crate::support::{events, ids};

/// A copy of `e` with a `pad` member of `bytes` characters and a new id.
fn padded(e: &Event, id: &str, bytes: usize) -> Arc<Event> {
    let mut e = e.clone();
    e.json = e.json.replacen(
        &format!("\"id\":\"{}\"", e.id()),
        &format!("\"id\":\"{id}\""),
        1,
    );
    e.json
        .insert_str(1, &format!("\"pad\":\"{}\",", "x".repeat(bytes)));
    e.enrichment.set_event_id(id);
    Arc::new(e)
}

fn rejected(o: &Outcome) -> Option<(&str, Option<&str>)> {
    match o {
        Outcome::Rejected { reason, status } => Some((reason, status.as_deref())),
        _ => None,
    }
}

async fn h07(index_prefix: bool) {
    let hec = FakeHec::start(HecOptions::default()).await;
    hec.poison(
        "evt-00003",
        Poison {
            number: true,
            index_prefix,
        },
    );
    let s = sink(&hec, "");
    let evs = events(10);
    let r = s.send(&evs).await;
    let (reason, status) = rejected(&r.outcomes[3]).expect("event 3 dead-lettered");
    assert!(
        reason.contains("Invalid data format"),
        "Splunk's text: {reason}"
    );
    assert_eq!(status, Some("400 code 6"));
    for (i, o) in r.outcomes.iter().enumerate().filter(|(i, _)| *i != 3) {
        assert_eq!(*o, Outcome::Accepted, "event {i}");
    }
    let received = hec.received();
    assert_eq!(received.len(), 2);
    let mut expected = ids(&evs);
    expected.remove(3);
    assert_eq!(
        received[1].ids, expected,
        "the others resent together; the original batch never resent unchanged"
    );
    let c = counts(&hec.indexed_ids());
    assert!(!c.contains_key("evt-00003"));
    assert_eq!(c.len(), 9);
    let dup = if index_prefix { 2 } else { 1 };
    for id in &expected[..3] {
        assert_eq!(c[id], dup, "{id}");
    }
    assert!(expected[3..].iter().all(|id| c[id] == 1));
    assert_eq!(
        s.stats().possible_duplicates,
        3,
        "the prefix may be indexed already: counted"
    );
}

#[tokio::test]
async fn h07_invalid_event_number_dead_letters_one_nothing_indexed() {
    h07(false).await;
}

#[tokio::test]
async fn h07_invalid_event_number_dead_letters_one_prefix_indexed() {
    h07(true).await;
}

#[tokio::test]
async fn h08_code_6_without_number_bisects_in_few_requests() {
    for (n, bad) in [(10, 0), (10, 3), (10, 9), (64, 37), (2, 1)] {
        let hec = FakeHec::start(HecOptions::default()).await;
        let bad_id = format!("evt-{bad:05}");
        hec.poison(
            &bad_id,
            Poison {
                number: false,
                index_prefix: false,
            },
        );
        let s = sink(&hec, "");
        let evs = events(n);
        let r = s.send(&evs).await;
        for (i, o) in r.outcomes.iter().enumerate() {
            if i == bad {
                let (reason, status) = rejected(o).expect("the bad event dead-lettered");
                assert!(
                    reason.contains("bisection") && reason.contains("Invalid data format"),
                    "{reason}"
                );
                assert_eq!(status, Some("400 code 6"));
            } else {
                assert_eq!(*o, Outcome::Accepted, "n={n} bad={bad} event {i}");
            }
        }
        let c = counts(&hec.indexed_ids());
        assert_eq!(c.len(), n - 1);
        assert!(c.values().all(|&k| k == 1));
        let extra = hec.received().len() - 1;
        let bound = (n as f64).log2().ceil() as usize + 1;
        assert!(
            extra <= bound,
            "n={n} bad={bad}: {extra} extra requests > {bound}"
        );
    }
}

#[tokio::test]
async fn h11_413_splits_until_accepted_and_dead_letters_an_oversize_event() {
    let hec = FakeHec::start(HecOptions {
        max_content_length: Some(300_000),
        ..HecOptions::default()
    })
    .await;
    let s = sink(&hec, "");
    let mut evs = events(1000);
    evs.insert(500, padded(&evs[0], "big-one", 400_000));
    let r = s.send(&evs).await;
    let (reason, status) = rejected(&r.outcomes[500]).expect("the 400 KB event dead-lettered");
    assert!(reason.contains("size limit"), "{reason}");
    assert_eq!(status, Some("413"));
    assert!(r
        .outcomes
        .iter()
        .enumerate()
        .all(|(i, o)| i == 500 || *o == Outcome::Accepted));
    let c = counts(&hec.indexed_ids());
    assert_eq!(c.len(), 1000);
    assert!(c.values().all(|&k| k == 1));
    let received = hec.received();
    assert!(received
        .iter()
        .filter(|r| r.status == 200)
        .all(|r| r.wire_len <= 300_000));
    assert!(
        received.len() < 40,
        "bounded splitting: {} requests",
        received.len()
    );
}

#[tokio::test]
async fn h17_health_is_reported_but_never_gates_sending() {
    let hec = FakeHec::start(HecOptions::default()).await;
    let s = sink(&hec, "");
    assert_eq!(s.healthcheck().await, Ok(()));
    hec.set_health(
        503,
        r#"{"text":"HEC is unhealthy, queues are full","code":18}"#,
    );
    let e = s.healthcheck().await.unwrap_err();
    let e = e.to_string();
    assert!(e.contains("queues are full") && e.contains("503"), "{e}");
    assert_eq!(
        s.send(&events(3)).await.outcomes,
        vec![Outcome::Accepted; 3],
        "sending goes on"
    );
    hec.set_health(
        404,
        r#"{"text":"The requested URL was not found on this server.","code":404}"#,
    );
    assert_eq!(
        s.healthcheck().await,
        Ok(()),
        "a missing or blocked health endpoint is a warning only"
    );
    hec.push_faults([Fault::busy()]);
    assert_eq!(
        s.healthcheck().await,
        Ok(()),
        "health is not affected by /event faults"
    );
}

#[tokio::test]
async fn h19_blank_and_oversize_events_never_reach_the_server() {
    let hec = FakeHec::start(HecOptions::default()).await;
    let s = sink(&hec, "max_event_bytes = 50000");
    let mut evs = events(5);
    let mut blank = (*evs[0]).clone();
    blank.json = String::new();
    blank.enrichment.set_event_id("blank");
    evs.insert(1, Arc::new(blank));
    evs.push(padded(&evs[0], "too-big", 60_000));
    let r = s.send(&evs).await;
    let (reason, status) = rejected(&r.outcomes[1]).unwrap();
    assert!(reason.contains("blank") && status.is_none(), "{reason}");
    let (reason, _) = rejected(&r.outcomes[6]).unwrap();
    assert!(reason.contains("max_event_bytes"), "{reason}");
    let sent: Vec<String> = hec.received().iter().flat_map(|r| r.ids.clone()).collect();
    assert_eq!(
        sent,
        [
            "evt-00000",
            "evt-00001",
            "evt-00002",
            "evt-00003",
            "evt-00004"
        ]
    );
    // Nested indexed fields cannot even be configured (HEC code 15).
    let nested = format!(
        "type = \"splunk_hec\"\nendpoint = \"{}\"\ntoken = \"t\"\n[fields.site]\nname = \"eu1\"\n",
        hec.url()
    );
    let e = toml::from_str::<SinkConfig>(&nested).unwrap_err();
    assert!(e.to_string().contains("invalid type"), "{e}");
}
