use super::*;

#[tokio::test]
async fn a_batch_settles_only_after_its_ack_and_the_settle_time() {
    let tracker = Arc::new(Tracker::default());
    let (tx, rx) = watch::channel(Progress::default());
    let ticket = |end| Ticket {
        progress: rx.clone(),
        tracker: tracker.clone(),
        end,
    };
    let settle = Duration::from_millis(50);
    // Not acknowledged: stalled, and the connection is doomed.
    let r = ticket(10).settled(settle, Duration::from_millis(30)).await;
    assert!(r.unwrap_err().to_string().contains("stalled"));
    assert!(tracker.doomed.load(Relaxed));
    // Acknowledged, no close: settled.
    tx.send_modify(|p| p.acked = 10);
    assert_eq!(ticket(10).settled(settle, settle).await, Ok(()));
    // Acknowledged, then the receiver resets within the settle time.
    let waiting = tokio::spawn(ticket(10).settled(Duration::from_secs(5), settle));
    tokio::time::sleep(Duration::from_millis(10)).await;
    tx.send_modify(|p| p.end = Some(PeerEnd::Broken("reset".into())));
    assert!(waiting
        .await
        .unwrap()
        .unwrap_err()
        .to_string()
        .contains("reset"));
    // The receiver's answer to our FIN confirms everything.
    tx.send_modify(|p| p.confirmed = true);
    assert_eq!(ticket(99).settled(settle, settle).await, Ok(()));
}
