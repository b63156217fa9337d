use super::*;

#[test]
fn an_outage_is_counted_summarised_and_ends() {
    let o = Outage::new("127.0.0.1:1");
    let t0 = Instant::now();
    // One broker's failure alone is no outage; but it names the cause
    // of the outage that follows.
    o.failed_connection("one broker".into(), t0);
    assert_eq!(o.reason(), None);
    o.connection_error("all down".into(), true, t0);
    assert!(o.reason().unwrap().ends_with("last: one broker)"));
    o.reachable();
    assert_eq!(o.reason(), None);
    let t0 = t0 + RECENT;
    for i in 0..200 {
        let at = t0 + Duration::from_millis(50 * i);
        o.connection_error(format!("refused {i}"), i == 0, at);
    }
    {
        let s = o.lock();
        assert_eq!(s.errors, 200);
        // One "down" line at t0, nothing else within the minute.
        assert_eq!(s.last_summary, Some(t0));
    }
    o.failed_connection("refused".into(), t0 + Duration::from_secs(61));
    // "All brokers down" does not hide the connection's own error.
    o.connection_error(
        "1/1 brokers are down".into(),
        true,
        t0 + Duration::from_secs(62),
    );
    assert_eq!(o.lock().last_summary, Some(t0 + Duration::from_secs(61)));
    let reason = o.reason().unwrap();
    assert!(
        reason.starts_with("no Kafka broker reachable at 127.0.0.1:1 for "),
        "{reason}"
    );
    assert!(reason.ends_with("(202 errors; last: refused)"), "{reason}");
    o.statistics(br#"{"brokers":{"a:1/1":{"state":"CONNECT"}}}"#);
    assert!(o.down_for().is_some());
    o.statistics(br#"{"brokers":{"a:1/1":{"state":"UP"}}}"#);
    assert_eq!(o.down_for(), None);
    assert_eq!(o.reason(), None);
}

#[test]
fn other_errors_are_held_back_within_a_minute() {
    let o = Outage::new("b:1");
    let t0 = Instant::now();
    for i in 0..10 {
        o.other("X".into(), "x".into(), t0 + Duration::from_secs(i));
    }
    assert_eq!(o.lock().repeats["X"], (t0, 9));
    o.other("X".into(), "x".into(), t0 + Duration::from_secs(70));
    assert_eq!(o.lock().repeats["X"], (t0 + Duration::from_secs(70), 0));
    assert_eq!(o.reason(), None);
}
