//! Tests of the tracker: the watermark never passes an unresolved record.

use super::*;
use rdkafka::error::KafkaError;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Recorder(Mutex<Vec<(String, i32, i64)>>);

impl OffsetStore for Recorder {
    fn store(&self, offsets: &[(String, i32, i64)]) -> Result<(), KafkaError> {
        self.0.lock().unwrap().extend_from_slice(offsets);
        Ok(())
    }
}

fn setup() -> (Tracker, Arc<Recorder>) {
    let t = Tracker::new();
    let r = Arc::new(Recorder::default());
    t.attach(Arc::downgrade(&r));
    t.assign(&[("t".into(), 0), ("t".into(), 1)]);
    (t, r)
}

fn stored(r: &Recorder) -> Vec<i64> {
    r.0.lock().unwrap().iter().map(|x| x.2).collect()
}

#[test]
fn out_of_order_completion_keeps_the_watermark() {
    let (t, r) = setup();
    let a: Vec<Ticket> = (0..100).map(|o| t.register("t", 0, o, 10)).collect();
    let b: Vec<Ticket> = (100..200).map(|o| t.register("t", 0, o, 10)).collect();
    t.resolve(&b);
    assert!(stored(&r).is_empty(), "B must not move the offset past A");
    assert_eq!(t.blocked_at(), vec![("t".into(), 0, 0)]);
    t.resolve(&a);
    assert_eq!(stored(&r), vec![200]);
    assert_eq!(t.pending_bytes(), 0);
    assert_eq!(t.pending_records(), 0);
}

#[test]
fn a_hole_holds_the_partition_and_other_partitions_move() {
    let (t, r) = setup();
    let tickets: Vec<Ticket> = (0..10).map(|o| t.register("t", 0, o, 1)).collect();
    let other = t.register("t", 1, 5, 1);
    t.resolve(tickets.iter().filter(|x| x.offset != 4));
    assert_eq!(stored(&r), vec![4]);
    t.resolve([&other]);
    assert_eq!(r.0.lock().unwrap().last().unwrap(), &("t".to_owned(), 1, 6));
    t.resolve([&tickets[4]]);
    assert_eq!(
        r.0.lock().unwrap().last().unwrap(),
        &("t".to_owned(), 0, 10)
    );
}

#[test]
fn records_behind_a_hole_count_as_in_flight() {
    let (t, _r) = setup();
    let tickets: Vec<Ticket> = (0..10).map(|o| t.register("t", 0, o, 100)).collect();
    t.resolve(&tickets[1..]);
    assert_eq!(
        t.pending_bytes(),
        1000,
        "nothing is committable behind offset 0"
    );
    t.resolve(&tickets[..1]);
    assert_eq!(t.pending_bytes(), 0);
    t.register("t", 1, 0, 7);
    t.revoke(&[("t".into(), 1)]);
    assert_eq!(t.pending_bytes(), 0, "revoking releases the window");
}

#[test]
fn gaps_in_offsets_are_fine() {
    let (t, r) = setup();
    let a = t.register("t", 0, 10, 1);
    let b = t.register("t", 0, 15, 1);
    t.resolve([&b, &a]);
    assert_eq!(stored(&r), vec![16]);
}

#[test]
fn revoked_partitions_never_store_again() {
    let (t, r) = setup();
    let old = t.register("t", 0, 0, 1);
    t.revoke(&[("t".into(), 0)]);
    t.resolve([&old]);
    assert!(stored(&r).is_empty());
    // Assigned again: the old epoch's late completion is still ignored.
    t.assign(&[("t".into(), 0)]);
    let new = t.register("t", 0, 0, 1);
    t.resolve([&old]);
    assert!(stored(&r).is_empty());
    t.resolve([&new]);
    assert_eq!(stored(&r), vec![1]);
    assert_eq!(t.pending_bytes(), 0);
}

#[test]
fn topics_are_told_apart_and_found_by_name_not_pointer() {
    let t = Tracker::new();
    let r = Arc::new(Recorder::default());
    t.attach(Arc::downgrade(&r));
    t.assign(&[("a".into(), 0), ("b".into(), 0)]);
    let a: Vec<Ticket> = (0..3).map(|o| t.register("a", 0, o, 1)).collect();
    let b = t.register("b", 0, 0, 1);
    t.resolve([&b]);
    assert_eq!(*r.0.lock().unwrap(), vec![("b".to_owned(), 0, 1)]);
    // A ticket whose topic is a different allocation of the same name.
    let copy = Ticket {
        topic: Arc::from(String::from("a")),
        ..a[0].clone()
    };
    assert!(!Arc::ptr_eq(&copy.topic, &a[0].topic));
    assert!(t.is_current(&copy));
    t.resolve([&copy]);
    assert_eq!(r.0.lock().unwrap().last().unwrap(), &("a".to_owned(), 0, 1));
    t.resolve(&a[2..]);
    assert_eq!(r.0.lock().unwrap().last().unwrap(), &("a".to_owned(), 0, 1));
    t.resolve(&a[1..2]);
    assert_eq!(r.0.lock().unwrap().last().unwrap(), &("a".to_owned(), 0, 3));
    assert_eq!(
        t.stored(),
        vec![("a".into(), 0, Some(3)), ("b".into(), 0, Some(1))]
    );
}

#[test]
fn all_current_is_false_once_any_partition_is_revoked() {
    let (t, r) = setup();
    let tickets = vec![t.register("t", 0, 0, 1), t.register("t", 1, 0, 1)];
    assert!(t.all_current(&tickets));
    t.revoke(&[("t".into(), 1)]);
    assert!(!t.all_current(&tickets));
    assert!(t.is_current(&tickets[0]));
    t.resolve(&tickets);
    assert_eq!(*r.0.lock().unwrap(), vec![("t".to_owned(), 0, 1)]);
}

#[test]
fn pending_bytes_follow_register_resolve_and_revoke() {
    let (t, _r) = setup();
    let a = t.register("t", 0, 0, 5);
    t.register("t", 1, 0, 7);
    assert_eq!(t.pending_bytes(), 12);
    t.resolve([&a]);
    assert_eq!(t.pending_bytes(), 7);
    t.revoke(&[("t".into(), 1)]);
    assert_eq!(t.pending_bytes(), 0);
    assert_eq!(t.pending_records(), 0);
}

#[test]
fn events_being_delivered_count_in_flight_until_their_batch_is_done() {
    let (t, r) = setup();
    let t = Arc::new(t);
    let a = t.register("t", 0, 0, 5);
    let delivering = t.delivering(40);
    assert_eq!(t.pending_bytes(), 45, "the record and its rendered event");
    // Resolved: the record's offset moves at once; the event's bytes
    // stay counted until the delivery task lets go of its batch.
    t.resolve([&a]);
    assert_eq!(stored(&r), vec![1]);
    assert_eq!(t.pending_bytes(), 40);
    drop(delivering);
    assert_eq!(t.pending_bytes(), 0);
}

#[test]
fn an_event_counts_from_joining_its_batch_and_the_batch_adopts_it() {
    let (t, _r) = setup();
    let t = Arc::new(t);
    let _a = t.register("t", 0, 0, 5);
    t.rendered(40);
    assert_eq!(t.pending_bytes(), 45, "counted as it joins the open batch");
    let delivering = t.adopt(40);
    assert_eq!(t.pending_bytes(), 45, "handing the batch over adds nothing");
    drop(delivering);
    assert_eq!(t.pending_bytes(), 5);
}

#[test]
fn a_record_of_an_unassigned_partition_gets_its_own_epoch() {
    let (t, r) = setup();
    let x = t.register("other", 3, 10, 1);
    assert!(t.is_current(&x));
    t.assign(&[("t".into(), 2)]);
    let y = t.register("other", 3, 11, 1);
    assert_eq!(x.epoch, y.epoch, "same partition, same epoch");
    let z = t.register("t", 2, 0, 1);
    assert_ne!(z.epoch, x.epoch);
    t.resolve([&x, &y]);
    assert_eq!(*r.0.lock().unwrap(), vec![("other".to_owned(), 3, 12)]);
}

#[test]
fn alert_bytes_count_in_flight_until_their_record_goes() {
    let (t, r) = setup();
    let a = t.register("t", 0, 10, 100);
    let b = t.register("t", 0, 11, 100);
    t.add_bytes(&a, 5_000);
    assert_eq!(t.pending_bytes(), 5_200);
    // Resolving the later record first releases nothing: the first holds.
    t.resolve([&b]);
    assert_eq!(t.pending_bytes(), 5_200);
    t.resolve([&a]);
    assert_eq!(t.pending_bytes(), 0);
    assert_eq!(stored(&r), vec![12]);
    // A ticket of a revoked partition adds nothing.
    let c = t.register("t", 1, 0, 100);
    t.revoke(&[("t".into(), 1)]);
    t.add_bytes(&c, 5_000);
    assert_eq!(t.pending_bytes(), 0);
}
