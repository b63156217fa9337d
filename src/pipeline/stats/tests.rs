use super::*;

#[test]
fn a_send_is_classed_by_its_worst_outcome() {
    assert_eq!(request_class(["accepted", "accepted"]), "accepted");
    assert_eq!(request_class(["accepted", "rejected"]), "rejected");
    assert_eq!(request_class(["rejected", "ambiguous"]), "ambiguous");
    assert_eq!(
        request_class(["retryable", "misconfigured", "accepted"]),
        "misconfigured"
    );
    assert_eq!(request_class([]), "accepted");
}

fn enriched(id: &str, granted: bool, topic: &str, ip: &str) -> Enrichment {
    let line = format!(
        r#"{{"specversion":"1.0","id":"{id}","source":"crn://confluent.cloud/kafka=lkc-1","type":"io.confluent.kafka.server/authorization","time":"2025-03-04T09:05:00Z","data":{{"methodName":"kafka.Produce","resourceName":"crn://confluent.cloud/kafka=lkc-1/topic={topic}","authenticationInfo":{{"principal":"User:sa-1"}},"authorizationInfo":{{"granted":{granted},"operation":"Write","resourceType":"Topic","resourceName":"{topic}"}},"requestMetadata":{{"clientAddress":[{{"ip":"{ip}"}}]}}}}}}"#
    );
    match crate::process::Processor::default().process(line.as_bytes(), None, 0) {
        crate::event::Disposition::Forward(e) => e.enrichment,
        other => panic!("not forwarded: {other:?}"),
    }
}

#[test]
fn notable_events_are_grouped_by_what_happened() {
    let s = Stats::default();
    s.observe(&enriched("a", false, "sensitive-pay", "203.0.113.7"));
    s.observe(&enriched("b", false, "sensitive-hr", "203.0.113.7"));
    s.observe(&enriched("c", false, "sensitive-pay", "203.0.113.7"));
    s.observe(&enriched("d", false, "orders", "10.0.0.1"));
    // Granted: info, not notable.
    s.observe(&enriched("e", true, "sensitive-pay", "203.0.113.7"));
    let n = s.notable();
    assert_eq!(n.len(), 2, "{n:?}");
    assert_eq!(n[0].severity, Severity::High);
    assert_eq!(n[0].count, 3);
    assert_eq!(
        n[0].what,
        "kafka.Produce denied by User:sa-1 from 203.0.113.7"
    );
    assert_eq!(n[0].first_event_id, "a");
    assert_eq!(n[0].resources, ["sensitive-pay", "sensitive-hr"]);
    assert_eq!(n[1].severity, Severity::Medium);
    assert_eq!(n[1].count, 1);
    assert_eq!(n[1].what, "kafka.Produce denied by User:sa-1 from 10.0.0.1");
}

#[test]
fn latency_lands_in_the_first_bucket_that_holds_it() {
    let s = Stats::default();
    s.request("hec", "accepted", Duration::from_millis(5));
    s.request("hec", "accepted", Duration::from_millis(7));
    s.request("hec", "retryable", Duration::from_secs(60));
    let h = &s.latency()["hec"];
    assert_eq!(h.count, 3);
    assert_eq!(h.counts[0], 1, "5 ms is <= 0.005 s");
    assert_eq!(h.counts[1], 1);
    assert_eq!(h.counts[LATENCY_BUCKETS.len()], 1, "above 30 s");
    assert!((h.sum_seconds - 60.012).abs() < 1e-9);
    assert_eq!(s.requests()[&("hec".to_owned(), "accepted")], 2);
}
