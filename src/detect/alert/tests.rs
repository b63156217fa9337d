use super::*;

fn ev(id: &str, t: i64) -> EventRef {
    EventRef::sample(id, t, Some("User:bob"), Some("192.0.2.1"))
}

#[test]
fn id_depends_on_rule_key_and_start_only() {
    let a = Alert::new(
        "r",
        Severity::High,
        "k".into(),
        &[&ev("b", 20), &ev("a", 10)],
    );
    let b = Alert::new(
        "r",
        Severity::Low,
        "k".into(),
        &[&ev("a", 10), &ev("c", 30)],
    );
    assert_eq!(a.id, b.id);
    assert_ne!(a.id, alert_id("r", "k", 11));
    assert_ne!(a.id, alert_id("r2", "k", 10));
    assert_eq!(a.id.len(), 35);
}

#[test]
fn events_are_listed_in_time_order_once_and_capped() {
    let mut a = Alert::new(
        "r",
        Severity::High,
        "k".into(),
        &[&ev("b", 20), &ev("a", 10)],
    );
    a.add(&ev("a", 10));
    assert_eq!(a.event_ids, ["a", "b"]);
    assert_eq!(a.event_count, 2);
    for i in 0..200 {
        a.add(&ev(&format!("x{i}"), 100 + i));
    }
    assert_eq!(a.event_ids.len(), MAX_EVENT_IDS);
    assert_eq!(a.event_count, 202);
    assert_eq!(a.last_time, 299);
    assert_eq!(a.source_ips, ["192.0.2.1"]);
}

#[test]
fn a_listed_id_takes_the_bytes_it_took_before_the_compact_copy() {
    // Grown from empty (at least 8 bytes), as `to_string` of the boxed id
    // made it: the open alerts' bound reads these capacities, and an exact
    // copy made it close other alerts early in the storm.
    let a = Alert::new("r", Severity::High, "k".into(), &[&ev("e1", 1)]);
    assert_eq!(a.event_ids[0].capacity(), 8);
    let b = Alert::new("r", Severity::High, "k".into(), &[&ev("e-123456789", 1)]);
    assert_eq!(b.event_ids[0].capacity(), 11);
}
