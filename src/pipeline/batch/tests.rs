//! The alert batcher: several records' alerts in one batch, each record's
//! event and ticket with them, closed by count, bytes or age.

use super::*;
use crate::event::Disposition;
use crate::process::Processor;

fn event(id: &str) -> Event {
    let raw = format!(
        r#"{{"specversion":"1.0","id":"{id}","source":"crn://confluent.cloud/","type":"io.confluent.kafka.server/authorization","time":"2026-01-01T00:00:00Z","data":{{"methodName":"kafka.Produce","authorizationInfo":{{"granted":false}}}}}}"#
    );
    match Processor::default().process(raw.as_bytes(), None, 0) {
        Disposition::Forward(e) => e,
        other => panic!("not forwarded: {}", other.label()),
    }
}

fn ticket(offset: i64) -> Ticket {
    Ticket {
        topic: Arc::from("audit"),
        partition: 0,
        epoch: 1,
        offset,
        bytes: 100,
    }
}

fn limits(max_events: usize, max_bytes: usize) -> Limits {
    Limits {
        max_events,
        max_bytes,
        linger: Duration::from_secs(1),
    }
}

fn ids(events: &[Arc<Event>]) -> Vec<&str> {
    events.iter().map(|e| e.id()).collect()
}

#[test]
fn records_alerts_go_out_together_with_their_events_and_tickets() {
    let l = limits(10, 1 << 20);
    let mut a = AlertBatcher::default();
    assert_eq!(a.deadline(), None);
    let before = Instant::now();
    let kept = a.push(
        vec![Arc::new(event("a1"))],
        Some(event("e1")),
        Some(ticket(1)),
        &l,
    );
    assert!(kept.is_none());
    let deadline = a.deadline().expect("open");
    assert!(before + ALERT_LINGER <= deadline && deadline <= Instant::now() + ALERT_LINGER);
    std::thread::sleep(Duration::from_millis(2));
    // A record the filter dropped: its ticket is held, it has no event.
    let alerts = vec![Arc::new(event("a2")), Arc::new(event("a3"))];
    assert!(a.push(alerts, None, Some(ticket(2)), &l).is_none());
    // The deadline stays the first alert's.
    assert_eq!(a.deadline(), Some(deadline));

    let b = a.take().expect("a batch");
    assert_eq!(ids(&b.alerts), ["a1", "a2", "a3"]);
    assert_eq!(ids(&b.events), ["e1"]);
    assert_eq!(b.tickets, [ticket(1)]);
    assert_eq!(b.held, [ticket(2)]);
    assert_eq!(b.bytes, b.events[0].json.len());
    assert_eq!(b.alerted_at, Some(deadline - ALERT_LINGER));
    assert!(a.take().is_none());
    assert_eq!(a.deadline(), None);
}

#[test]
fn the_batch_closes_at_max_events_alerts() {
    let l = limits(3, 1 << 20);
    let mut a = AlertBatcher::default();
    let two = || vec![Arc::new(event("x")), Arc::new(event("y"))];
    assert!(a.push(two(), None, Some(ticket(1)), &l).is_none());
    let b = a
        .push(two(), None, Some(ticket(2)), &l)
        .expect("full at 4 ≥ 3");
    assert_eq!(b.alerts.len(), 4);
    assert_eq!(b.held, [ticket(1), ticket(2)]);
    assert!(a.take().is_none(), "nothing left open");
    // The next push opens a fresh batch.
    assert!(a.push(two(), None, Some(ticket(3)), &l).is_none());
    assert_eq!(a.take().unwrap().held, [ticket(3)]);
}

#[test]
fn the_batch_closes_at_max_bytes_of_alerts_and_events() {
    let alert = Arc::new(event("a"));
    let e = event("e");
    // Room for one record's alert and event, not two.
    let one = alert.json.len() + e.json.len();
    let l = limits(100, one + 1);
    let mut a = AlertBatcher::default();
    assert!(a
        .push(vec![alert.clone()], Some(e), Some(ticket(1)), &l)
        .is_none());
    let b = a.push(vec![alert], Some(event("e")), Some(ticket(2)), &l);
    let b = b.expect("over max_bytes");
    assert_eq!(b.tickets, [ticket(1), ticket(2)]);
    assert!(a.take().is_none());
}
