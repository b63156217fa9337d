//! S5–S7 and close/connect failures against the scripted fake receiver.
//! Each test plays the pipeline's part (resend what is not final) and then
//! checks what the receiver got: every id at least once, and duplicates
//! only where the sink says it resent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use siem_bridge::event::Event;
use siem_bridge::sink::{Outcome, Sink};

use super::fake::{Behavior, Fake};
use super::{counts, deliver, missing, padded_events, sd_id, sink};

fn ids_received(fake: &Fake) -> Vec<String> {
    fake.messages().iter().map(|(_, m)| sd_id(m)).collect()
}

fn assert_all_arrived(fake: &Fake, events: &[Arc<Event>]) -> usize {
    let got = ids_received(fake);
    let missing = missing(events, &got);
    assert!(
        missing.is_empty(),
        "{} lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    got.len() - events.len()
}

#[tokio::test]
async fn receiver_closing_after_k_messages_leaves_the_batch_unsettled() {
    // S5: the receiver reads 10 messages and closes, losing the other 40
    // it had buffered. The batch was flushed and even acknowledged by
    // TCP, but the close came within settle_ms: it is ambiguous, and the
    // second attempt goes out on a new connection.
    let fake = Fake::start(&[Behavior::CloseAfter(10), Behavior::ReadAll]).await;
    let s = sink(&format!(
        "address = \"{}\"\nreconnect_backoff_min_ms = 10",
        fake.address()
    ));
    let all = padded_events("s5", 100, 100);
    let (a, b) = all.split_at(50);
    assert_eq!(deliver(&*s, a).await, 2, "not delivered until settled");
    assert!(fake.wait_until(|f| f.closed_by_us() == 1).await);
    assert_eq!(deliver(&*s, b).await, 1);
    s.close().await;

    let dups = assert_all_arrived(&fake, &all);
    let st = s.stats();
    assert_eq!(st.connects, 2);
    assert_eq!(st.unsettled_messages, 50, "the whole first batch");
    assert_eq!(st.resent_messages, 0, "no resend window by default");
    assert_eq!(dups, 10, "only the 10 read before the close arrive twice");
    // The second connection holds everything, in order.
    let second: Vec<String> = fake
        .messages()
        .iter()
        .filter(|(c, _)| *c == 1)
        .map(|(_, m)| sd_id(m))
        .collect();
    let in_order: Vec<&str> = all.iter().map(|e| e.id()).collect();
    assert_eq!(second, in_order);
    assert_eq!(st.window_messages, 0, "confirmed by the graceful close");
}

#[tokio::test]
async fn stalled_receiver_times_out_and_the_connection_is_recycled() {
    // S6: the receiver accepts and never reads. Writes block once the
    // buffers are full; after write_timeout_secs the batch fails
    // (ambiguous), the connection is dropped, memory stays bounded.
    let fake = Fake::start(&[Behavior::Stall, Behavior::ReadAll]).await;
    let s = sink(&format!(
        "address = \"{}\"\nwrite_timeout_secs = 1\nreconnect_backoff_min_ms = 10",
        fake.address()
    ));
    let mut sent = Vec::new();
    let mut stalled = None;
    for round in 0..40 {
        let batch = padded_events(&format!("s6-{round}"), 100, 7000);
        sent.extend(batch.iter().cloned());
        let started = Instant::now();
        let report = s.send(&batch).await;
        if report.outcomes.iter().all(|o| *o == Outcome::Accepted) {
            continue;
        }
        assert!(
            report
                .outcomes
                .iter()
                .all(|o| matches!(o, Outcome::Ambiguous(m) if m.contains("stalled"))),
            "{:?}",
            report.outcomes[0]
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        stalled = Some(batch);
        break;
    }
    let batch = stalled.expect("the receiver's buffers filled up within 40 batches");
    let st = s.stats();
    assert!(
        st.window_bytes <= 4 << 20,
        "window bounded: {}",
        st.window_bytes
    );
    println!(
        "S6: accepted before the stall: {} events; window {} messages / {} bytes",
        sent.len() - batch.len(),
        st.window_messages,
        st.window_bytes
    );
    // The pipeline resends the failed batch; the next connection reads.
    assert_eq!(deliver(&*s, &batch).await, 1);
    s.close().await;
    assert!(
        fake.messages().iter().all(|(c, _)| *c == 1),
        "the stalled connection read nothing"
    );
    let dups = assert_all_arrived(&fake, &sent);
    println!(
        "S6: duplicates {dups}, resent {}",
        s.stats().resent_messages
    );
}

#[tokio::test]
async fn receiver_resets_mid_stream_under_load() {
    // S7: two resets while 3000 events stream in batches of 100.
    let fake = Fake::start(&[
        Behavior::ResetAfterBytes(300_000),
        Behavior::ResetAfterBytes(1_500_000),
        Behavior::ReadAll,
    ])
    .await;
    let s = sink(&format!(
        "address = \"{}\"\nreconnect_backoff_min_ms = 10",
        fake.address()
    ));
    let all = padded_events("s7", 3000, 500);
    let mut attempts = 0;
    for chunk in all.chunks(100) {
        attempts += deliver(&*s, chunk).await;
    }
    s.close().await;
    let dups = assert_all_arrived(&fake, &all);
    let st = s.stats();
    assert_eq!(fake.connections(), 3);
    assert_eq!(st.connects, 3);
    assert!(
        dups as u64 <= st.resent_messages + 200,
        "duplicates come from resends and retried batches"
    );
    println!(
        "S7: {} events, {attempts} batch attempts, {} resent after reconnects, {dups} duplicates at the receiver, 0 lost",
        all.len(),
        st.resent_messages
    );
}

#[tokio::test]
async fn close_resends_what_the_receiver_did_not_confirm() {
    // The limit of settling: a receiver that keeps the connection open
    // but never reads has the batch in its socket buffer, acknowledged,
    // and no close comes, so it settles. With a resend window, the
    // receiver not answering our close sends it again on a new
    // connection, which confirms it.
    let fake = Fake::start(&[Behavior::Stall, Behavior::ReadAll]).await;
    let s = sink(&format!(
        "address = \"{}\"\nwrite_timeout_secs = 1\nreconnect_backoff_min_ms = 10\nresend_window_bytes = 1048576\nsettle_ms = 200",
        fake.address()
    ));
    let all = padded_events("close", 10, 100);
    let report = s.send(&all).await;
    assert!(
        report.outcomes.iter().all(|o| *o == Outcome::Accepted),
        "{:?}",
        report.outcomes[0]
    );
    assert_eq!(s.stats().window_messages, 10);
    s.close().await;
    let st = s.stats();
    assert_eq!(
        (st.connects, st.resent_messages, st.window_messages),
        (2, 10, 0)
    );
    assert_eq!(assert_all_arrived(&fake, &all), 0);
}

#[tokio::test]
async fn an_unreachable_receiver_is_retryable_and_reconnects_back_off() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = sink(&format!(
        "address = \"127.0.0.1:{port}\"\nreconnect_backoff_min_ms = 200\nreconnect_backoff_max_ms = 400"
    ));
    let ev = padded_events("down", 2, 10);
    let mut waits = Vec::new();
    for _ in 0..4 {
        let t = Instant::now();
        let report = s.send(&ev).await;
        waits.push(t.elapsed());
        for o in &report.outcomes {
            assert!(
                matches!(o, Outcome::Retryable(m) if m.contains("refused")),
                "{o:?}"
            );
        }
    }
    // 1st attempt immediate, then ≥ 100 ms (half of 200), ≥ 200, ≥ 200 (cap 400).
    assert!(waits[0] < Duration::from_millis(100), "{waits:?}");
    for (w, min) in waits[1..].iter().zip([100, 200, 200]) {
        assert!(*w >= Duration::from_millis(min), "{waits:?}");
        assert!(*w < Duration::from_millis(min * 2 + 300), "{waits:?}");
    }
}

#[tokio::test]
async fn resets_lose_nothing_without_the_window() {
    // The same run as S7 with resend_window_bytes = 0 (and a short
    // settle_ms: the fake reads at once, and 30 batches go one by one).
    // Before batches had to settle,
    // every batch counted once flushed and this lost about 2000 of 3000
    // events: the bytes in the socket buffers when the reset came.
    let fake = Fake::start(&[
        Behavior::ResetAfterBytes(300_000),
        Behavior::ResetAfterBytes(1_500_000),
        Behavior::ReadAll,
    ])
    .await;
    let s = sink(&format!(
        "address = \"{}\"\nreconnect_backoff_min_ms = 10\nresend_window_bytes = 0\nsettle_ms = 200",
        fake.address()
    ));
    let all = padded_events("nowin", 3000, 500);
    for chunk in all.chunks(100) {
        deliver(&*s, chunk).await;
    }
    s.close().await;
    let got = ids_received(&fake);
    let c = counts(got.iter().map(String::as_str));
    let lost = all.iter().filter(|e| !c.contains_key(e.id())).count();
    let st = s.stats();
    assert_eq!(st.resent_messages, 0);
    assert_eq!(lost, 0, "{lost} of {} events lost", all.len());
    assert!(
        st.unsettled_messages > 0,
        "the resets caught batches unsettled"
    );
    println!(
        "no window: 0 of {} lost, {} messages unsettled and resent by the caller",
        all.len(),
        st.unsettled_messages
    );
}
