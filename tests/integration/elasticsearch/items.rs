//! A 200 read item by item, and answers that cannot be matched to the
//! request (E3–E7, E11–E14 of `docs/sinks.md` §6.3).

use siem_bridge::sink::elasticsearch::Action;
use siem_bridge::sink::{Outcome, Sink};

use super::{assert_once, classes, deliver, sink};
use crate::support::es::{FakeEs, Reply};
use crate::support::{events, ids};

#[tokio::test]
async fn e3_mixed_items_only_429_and_5xx_items_are_resent() {
    let es = FakeEs::start().await;
    es.script([Reply::Items(vec![201, 429, 400, 201, 503])]);
    let evs = events(5);
    let s = sink(&es.url, |_| {});
    let (out, reports) = deliver(&s, &evs, 5).await;
    assert_eq!(
        classes(&reports[0].outcomes),
        ["accepted", "retryable", "rejected", "accepted", "retryable"]
    );
    match &out[2] {
        Outcome::Rejected { reason, status } => {
            assert_eq!(status.as_deref(), Some("400"));
            assert!(
                reason.starts_with("mapper_parsing_exception: failed to parse field"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    let reqs = es.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[1].ids(),
        [evs[1].id(), evs[4].id()],
        "exactly items 2 and 5, same ids"
    );
    assert_eq!(
        classes(&out),
        ["accepted", "accepted", "rejected", "accepted", "accepted"]
    );
    let accepted: Vec<_> = [0, 1, 3, 4].iter().map(|&i| evs[i].clone()).collect();
    assert_once(&es.writes(), &accepted);
    assert_eq!(es.stored(evs[2].id()), None);
}

#[tokio::test]
async fn e4_reset_after_indexing_then_409s_count_as_delivered() {
    let es = FakeEs::start().await;
    es.script([Reply::Reset { store: true }]);
    let evs = events(8);
    let s = sink(&es.url, |_| {});
    let (out, reports) = deliver(&s, &evs, 5).await;
    assert_eq!(classes(&reports[0].outcomes), ["ambiguous"; 8]);
    assert_eq!(reports.len(), 2, "no further retries after the 409s");
    assert_eq!(classes(&out), ["accepted"; 8]);
    assert_eq!(s.stats().duplicates, 8);
    assert_once(&es.writes(), &evs);
}

#[tokio::test]
async fn e5_half_stored_before_the_retry_all_accepted() {
    let es = FakeEs::start().await;
    let evs = events(10);
    let s = sink(&es.url, |_| {});
    assert_eq!(classes(&s.send(&evs[..5]).await.outcomes), ["accepted"; 5]);
    let report = s.send(&evs).await;
    assert_eq!(classes(&report.outcomes), ["accepted"; 10]);
    assert_eq!(s.stats().duplicates, 5);
    assert_once(&es.writes(), &evs);
}

#[tokio::test]
async fn e6_all_items_400_are_dead_lettered_not_retried() {
    let es = FakeEs::start().await;
    es.script([Reply::Items(vec![400; 6])]);
    let evs = events(6);
    let s = sink(&es.url, |_| {});
    let (out, reports) = deliver(&s, &evs, 5).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(classes(&out), ["rejected"; 6]);
    assert_eq!(es.requests().len(), 1);
    assert_eq!(es.stored_count(), 0);
}

#[tokio::test]
async fn e7_item_429_on_every_attempt_then_delivered_once() {
    let es = FakeEs::start().await;
    es.script(std::iter::repeat_n(Reply::Items(vec![429; 4]), 6));
    let evs = events(4);
    let s = sink(&es.url, |_| {});
    let (out, reports) = deliver(&s, &evs, 20).await;
    assert_eq!(reports.len(), 7);
    assert!(reports[..6]
        .iter()
        .all(|r| classes(&r.outcomes) == ["retryable"; 4]));
    assert_eq!(classes(&out), ["accepted"; 4]);
    assert_once(&es.writes(), &evs);
}

#[tokio::test]
async fn e11_fewer_items_than_documents_is_ambiguous_and_resent_whole() {
    let es = FakeEs::start().await;
    es.script([Reply::status(
        200,
        r#"{"took":1,"errors":false,"items":[{"create":{"status":201}},{"create":{"status":201}}]}"#,
    )]);
    let evs = events(3);
    let s = sink(&es.url, |_| {});
    let (out, reports) = deliver(&s, &evs, 5).await;
    match &reports[0].outcomes[0] {
        Outcome::Ambiguous(m) => assert!(m.contains("2 items came back for 3 documents"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(classes(&reports[0].outcomes), ["ambiguous"; 3]);
    assert_eq!(es.requests()[1].ids(), ids(&evs), "whole batch resent");
    assert_eq!(classes(&out), ["accepted"; 3]);
    assert_eq!(s.stats().ambiguous, 1, "counted for alerting");
}

#[tokio::test]
async fn e12_truncated_body_is_ambiguous_and_resent_whole() {
    let es = FakeEs::start().await;
    es.script([Reply::status(
        200,
        r#"{"took":1,"errors":false,"items":[{"create":{"sta"#,
    )]);
    let evs = events(3);
    let s = sink(&es.url, |_| {});
    let (out, reports) = deliver(&s, &evs, 5).await;
    assert_eq!(classes(&reports[0].outcomes), ["ambiguous"; 3]);
    assert_eq!(classes(&out), ["accepted"; 3]);
    assert_once(&es.writes(), &evs);
}

#[tokio::test]
async fn e13_data_stream_gets_create_and_index_into_a_stream_is_a_config_error() {
    let es = FakeEs::start().await;
    es.data_stream("logs-confluent.audit-default");
    let evs = events(3);
    let s = sink(&es.url, |c| {
        c.data_stream = Some("logs-confluent.audit-default".into())
    });
    assert_eq!(classes(&s.send(&evs).await.outcomes), ["accepted"; 3]);
    let r = &es.requests()[0];
    assert!(r
        .docs
        .iter()
        .all(|d| d.op == "create" && d.index == "logs-confluent.audit-default"));
    // `index` pointed at a data stream with the `index` action.
    let s = sink(&es.url, |c| {
        c.index = Some("logs-confluent.audit-default".into());
        c.action = Action::Index;
    });
    let report = s.send(&events(5)[3..]).await;
    assert_eq!(
        classes(&report.outcomes),
        ["misconfigured"; 2],
        "{report:?}"
    );
}

#[tokio::test]
async fn e14_failure_store_items_are_accepted_and_counted() {
    let es = FakeEs::start().await;
    es.script([Reply::status(
        200,
        r#"{"errors":false,"items":[{"create":{"status":201,"failure_store":"used"}},{"create":{"status":201}}]}"#,
    )]);
    let s = sink(&es.url, |_| {});
    assert_eq!(classes(&s.send(&events(2)).await.outcomes), ["accepted"; 2]);
    assert_eq!(s.stats().failure_store, 1);
}

#[tokio::test]
async fn index_action_overwrites_instead_of_409() {
    let es = FakeEs::start().await;
    let evs = events(3);
    let s = sink(&es.url, |c| c.action = Action::Index);
    assert_eq!(classes(&s.send(&evs).await.outcomes), ["accepted"; 3]);
    assert_eq!(classes(&s.send(&evs).await.outcomes), ["accepted"; 3]);
    assert_eq!(s.stats().duplicates, 0);
    assert_eq!(es.stored_count(), 3, "still one document per id");
}
