//! H12–H16 (`docs/sinks.md` §6.2): indexer acknowledgement.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use siem_bridge::sink::{Outcome, Sink};

use super::{all_accepted, counts, deliver, sink};
use crate::support::events;
use crate::support::hec::{FakeHec, HecOptions};
use crate::support::wait::{secs, wait_until, FAKE_POLL};

async fn ack_hec() -> FakeHec {
    FakeHec::start(HecOptions {
        acks: true,
        ..HecOptions::default()
    })
    .await
}

const ACKS: &str = "acknowledgements = true\nack_timeout_ms = 5000\n";

#[tokio::test]
async fn h12_accepted_only_after_ack_true_on_the_same_channel() {
    let hec = ack_hec().await;
    hec.set_false_polls(5);
    let s = sink(&hec, ACKS);
    let evs = events(10);
    let r = s.send(&evs).await;
    let returned = Instant::now();
    assert!(all_accepted(&r.outcomes));
    let queries = hec.ack_queries();
    assert_eq!(queries.len(), 6, "false ×5, then true");
    assert!(queries[..5].iter().all(|q| q.acked.is_empty()));
    assert_eq!(queries[5].acked, [0]);
    assert!(
        queries[5].at <= returned,
        "reported delivered only after the true"
    );
    let channel = hec.received()[0].channel.clone().unwrap();
    let auth = format!("Splunk {}", hec.token());
    for q in &queries {
        assert_eq!(
            q.channel.as_deref(),
            Some(channel.as_str()),
            "same channel as the POST"
        );
        assert_eq!(q.authorization.as_deref(), Some(auth.as_str()));
        assert_eq!(q.ids, [0]);
    }
}

#[tokio::test]
async fn h12_ack_queries_carry_only_outstanding_ids_and_do_not_block_sends() {
    let hec = ack_hec().await;
    hec.set_false_polls(15);
    let s = Arc::new(sink(&hec, ACKS));
    let (a, b) = (events(4), events(8)[4..].to_vec());
    let slow = {
        let s = s.clone();
        tokio::spawn(async move { s.send(&a).await })
    };
    assert!(
        wait_until(secs(10), FAKE_POLL, async || hec.received().len() == 1).await,
        "timed out waiting for the first POST"
    );
    hec.set_false_polls(0);
    let quick = s.send(&b).await;
    assert!(all_accepted(&quick.outcomes));
    assert!(
        !slow.is_finished(),
        "the second send did not wait for the first one's ack"
    );
    assert!(all_accepted(&slow.await.unwrap().outcomes));
    let queries = hec.ack_queries();
    let acked_1 = queries
        .iter()
        .position(|q| q.acked.contains(&1))
        .expect("id 1 acked");
    assert_eq!(
        queries[acked_1].ids,
        [0, 1],
        "one query for every outstanding id"
    );
    assert!(
        queries[acked_1 + 1..].iter().all(|q| q.ids == [0]),
        "an acked id is not asked again"
    );
}

#[tokio::test]
async fn h13_never_acked_batch_is_resent_after_the_ack_timeout() {
    let hec = ack_hec().await;
    hec.never_ack([0]);
    let s = sink(&hec, "acknowledgements = true\nack_timeout_ms = 300");
    let evs = events(10);
    let r = s.send(&evs).await;
    for o in &r.outcomes {
        assert!(
            matches!(o, Outcome::Ambiguous(m) if m.contains("acknowledgement")),
            "{o:?}"
        );
    }
    assert_eq!(s.stats().ack_timeouts, 1);
    let (outcomes, rounds) = deliver(&s, &evs, 3).await;
    assert!(all_accepted(&outcomes));
    assert_eq!(rounds, 1, "acked on the new ackId");
    assert_eq!(hec.ack_queries().last().unwrap().acked, [1]);
    assert!(
        counts(&hec.indexed_ids()).values().all(|&n| n == 2),
        "one batch duplicated"
    );
    assert_eq!(s.stats().possible_duplicates, 10, "and counted");
}

#[tokio::test]
async fn h14_ack_disabled_falls_back_to_http_200_without_hanging() {
    // The token lost useACK after the POST: /ack answers code 14.
    let hec = ack_hec().await;
    hec.set_ack_fault(Some((400, 14, "ACK is disabled")));
    let s = sink(&hec, ACKS);
    let evs = events(6);
    let started = Instant::now();
    assert!(all_accepted(&s.send(&evs).await.outcomes));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no wait for the ack timeout"
    );
    assert!(s.stats().acks_fallback);
    let polls = hec.ack_queries().len();
    assert!(all_accepted(&s.send(&evs).await.outcomes));
    assert_eq!(hec.ack_queries().len(), polls, "no more ack queries");
    // A token without useACK from the start: no ackId in the answer.
    let plain = FakeHec::start(HecOptions::default()).await;
    let s = sink(&plain, ACKS);
    assert!(all_accepted(&s.send(&evs).await.outcomes));
    assert!(s.stats().acks_fallback);
    assert!(plain.ack_queries().is_empty());
}

#[tokio::test]
async fn h15_invalid_channel_on_ack_rotates_and_resends() {
    let hec = ack_hec().await;
    hec.set_ack_fault(Some((400, 11, "Invalid data channel")));
    let s = sink(&hec, ACKS);
    let old = s.channel();
    let evs = events(5);
    let r = s.send(&evs).await;
    assert!(
        r.outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Ambiguous(_))),
        "{:?}",
        r.outcomes
    );
    assert_ne!(s.channel(), old, "rotated");
    assert_eq!(s.stats().channel_rotations, 1);
    hec.set_ack_fault(None);
    let (outcomes, _) = deliver(&s, &evs, 2).await;
    assert!(all_accepted(&outcomes));
    assert_eq!(
        hec.received().last().unwrap().channel.as_deref(),
        Some(s.channel().as_str())
    );
}

#[tokio::test]
async fn h15_forgotten_channel_restarting_ack_ids_rotates_and_resends() {
    let hec = ack_hec().await;
    hec.set_false_polls(1_000_000);
    let s = Arc::new(sink(&hec, ACKS));
    let (a, b) = (events(3), events(6)[3..].to_vec());
    let first = {
        let (s, a) = (s.clone(), a.clone());
        tokio::spawn(async move { s.send(&a).await })
    };
    assert!(
        wait_until(secs(10), FAKE_POLL, async || !hec.ack_queries().is_empty()).await,
        "timed out waiting for the first ack query"
    );
    let old = s.channel();
    hec.forget_channels(); // Splunk restarted: ackIds begin at 0 again.
    let second = s.send(&b).await;
    let first = first.await.unwrap();
    for o in first.outcomes.iter().chain(&second.outcomes) {
        assert!(
            matches!(o, Outcome::Ambiguous(m) if m.contains("ackId 0 twice")),
            "{o:?}"
        );
    }
    assert_ne!(s.channel(), old);
    hec.set_false_polls(0);
    let all: Vec<_> = a.into_iter().chain(b).collect();
    let (outcomes, _) = deliver(&s, &all, 2).await;
    assert!(all_accepted(&outcomes));
    assert_eq!(counts(&hec.indexed_ids()).len(), 6);
}

#[tokio::test]
async fn h16_pending_ack_cap_holds_back_sending() {
    let hec = ack_hec().await;
    hec.set_never_ack_all(true);
    let s = Arc::new(sink(&hec, "acknowledgements = true\nack_timeout_ms = 20000\nmax_pending_acks = 2\nmax_batch_events = 10"));
    let evs = events(50);
    let task = {
        let s = s.clone();
        tokio::spawn(async move { s.send(&evs).await })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        hec.received().len(),
        2,
        "only as many requests as ack slots"
    );
    assert!(!task.is_finished());
    hec.set_never_ack_all(false);
    let r = task.await.unwrap();
    assert!(all_accepted(&r.outcomes));
    assert_eq!(hec.received().len(), 5);
    let most = hec.ack_queries().iter().map(|q| q.ids.len()).max().unwrap();
    assert!(most <= 2, "never more than 2 ids outstanding: {most}");
    let ids: HashSet<u64> = hec
        .ack_queries()
        .iter()
        .flat_map(|q| q.acked.clone())
        .collect();
    assert_eq!(ids, HashSet::from([0, 1, 2, 3, 4]));
}
