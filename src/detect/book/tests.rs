use super::*;
use crate::event::Severity;

fn ev(id: &str, t: i64) -> EventRef {
    let resource = "crn:///kafka=C1/topic=sensitive-pii";
    let fields = ["User:alice", "192.0.2.1", resource, "cli"].map(Some);
    let [principal, ip, resource, client] = fields;
    EventRef::new(
        t,
        [
            Some(id),
            principal,
            ip,
            resource,
            client,
            None,
            Some(id),
            None,
        ],
    )
}

/// 400 alerts of 3 events each, then 2 more events for each, in a
/// book that holds about 100 of them: the least recently joined close
/// early, every alert comes out once with all its events.
#[test]
fn over_its_bound_the_book_closes_the_oldest_early_and_loses_nothing() {
    for emit in [Emit::OnClose, Emit::OnFireAndClose] {
        let mut book = Book::new(emit);
        book.max_bytes = 100 * 1_500;
        let key = |g: i64| format!("principal=p{g}");
        let id = |g: i64, k: i64| format!("e{g}-{k}");
        for g in 0..400 {
            let evs: Vec<EventRef> = (0..3).map(|k| ev(&id(g, k), g * 10 + k)).collect();
            let refs: Vec<&EventRef> = evs.iter().collect();
            book.fire(
                "denial_burst",
                Alert::new("denial_burst", Severity::High, key(g), &refs),
                i64::MAX / 4,
            );
            assert!(book.bytes() <= book.max_bytes, "{} over", book.bytes());
        }
        let early = book.closed_early;
        assert!((250..400).contains(&early), "{early}");
        assert_eq!(book.open_count() as u64 + early, 400);
        // Later events of a group whose alert closed early are not
        // joined to it (its group starts afresh: the rule's concern).
        let mut joined = 0;
        for g in 0..400 {
            for k in 3..5 {
                joined +=
                    u64::from(book.extend("denial_burst", &key(g), &ev(&id(g, k), g * 10 + k)));
            }
        }
        book.close_all();
        assert_eq!(book.bytes(), 0);
        // The last version of each alert: all 400, each with its 3
        // events and those that joined it while it was open.
        let mut last: std::collections::BTreeMap<String, &Alert> = Default::default();
        for a in &book.out {
            last.insert(a.group_key.clone(), a);
        }
        assert_eq!(last.len(), 400, "{emit:?}");
        let events: u64 = last.values().map(|a| a.event_count).sum();
        assert_eq!(events, 400 * 3 + joined, "{emit:?}");
        for g in 0..400 {
            let a = last[&key(g)];
            // `run` hands out an alert when it fires, and again when it
            // closes only if events joined it.
            assert!(a.closed || emit == Emit::OnFireAndClose);
            let n = a.event_count as usize;
            assert!(n == 3 || n == 5, "{n}");
            let want: Vec<String> = (0..n as i64).map(|k| id(g, k)).collect();
            assert_eq!(a.event_ids, want);
        }
        // The first groups closed early; the last stayed open and got
        // their two later events.
        assert_eq!(last[&key(0)].event_count, 3);
        assert_eq!(last[&key(399)].event_count, 5);
    }
}

/// An earlier event that joins an open alert moves its window's start:
/// in `detect` (handed out on close) the id follows it, so the same
/// events give the same id in either order; in `run` the id handed out
/// when it fired stays. An id anchored on another event stays too.
#[test]
fn the_id_follows_the_window_start_until_the_alert_is_handed_out() {
    let rule = "destructive_operation";
    let key = "principal=User:alice".to_owned();
    let (early, late) = (ev("e-early", 10), ev("e-late", 20));
    let in_order = Alert::new(rule, Severity::High, key.clone(), &[&early, &late]);
    assert_eq!(in_order.id, crate::detect::alert::alert_id(rule, &key, 10));
    for emit in [Emit::OnClose, Emit::OnFireAndClose] {
        let mut book = Book::new(emit);
        let fired = Alert::new(rule, Severity::High, key.clone(), &[&late]);
        let first_id = fired.id.clone();
        book.fire(rule, fired, 1_000);
        assert!(book.extend(rule, &key, &early));
        book.close_all();
        let last = book.out.last().unwrap();
        assert_eq!(last.first_time, 10);
        assert_eq!(last.event_ids, in_order.event_ids);
        match emit {
            Emit::OnClose => assert_eq!(last.id, in_order.id, "the order does not show"),
            Emit::OnFireAndClose => assert_eq!(last.id, first_id, "one id per alert in run"),
        }
    }
    // Anchored on its completing event (a sequence): the id stays.
    let mut book = Book::new(Emit::OnClose);
    let mut anchored = Alert::new(rule, Severity::High, key.clone(), &[&late]);
    anchored.id = crate::detect::alert::alert_id(rule, &key, 99);
    book.fire(rule, anchored, 1_000);
    book.extend(rule, &key, &early);
    book.close_all();
    assert_eq!(
        book.out[0].id,
        crate::detect::alert::alert_id(rule, &key, 99)
    );
}

/// Read in arrival order, an alert of a group that starts past the open
/// alert's keep-alive waits behind it, not handed out; an event that
/// arrives late and bridges the gap makes the two one alert.
#[test]
fn a_later_alert_waits_behind_the_open_one_and_joins_it_when_the_gap_is_bridged() {
    let rule = "destructive_operation";
    let key = "principal=User:alice".to_owned();
    let fire = |book: &mut Book, e: &EventRef| {
        if !book.extend(rule, &key, e) {
            let a = Alert::new(rule, Severity::High, key.clone(), &[e]);
            book.fire(rule, a, 100);
        }
    };
    for emit in [Emit::OnClose, Emit::OnFireAndClose] {
        let mut book = Book::new(emit);
        fire(&mut book, &ev("a", 0));
        // Past the keep-alive (0 + 100): a new alert, which waits.
        fire(&mut book, &ev("c", 180));
        fire(&mut book, &ev("d", 190));
        let handed_out = book.out.len();
        assert_eq!(handed_out, usize::from(emit == Emit::OnFireAndClose));
        // The watermark has not passed the first alert's keep-alive:
        // the bridge may still come, and does.
        book.close_before(100);
        fire(&mut book, &ev("b", 90));
        assert_eq!(book.out.len(), handed_out, "nothing handed out meanwhile");
        book.close_all();
        let last = book.out.last().unwrap();
        assert_eq!(last.event_ids, ["a", "b", "c", "d"], "{emit:?}");
        assert_eq!(last.event_count, 4);
        assert!(book.out.iter().all(|a| a.id == last.id), "one alert");
        assert_eq!(book.bytes(), 0);
    }
}

/// No bridge before the watermark passes the open alert's keep-alive:
/// it closes, and the alert that waited is handed out then (in `run`, as
/// it fires), with the events that joined it meanwhile.
#[test]
fn a_waiting_alert_is_handed_out_when_the_one_before_it_closes() {
    let rule = "destructive_operation";
    let key = "principal=User:alice".to_owned();
    for emit in [Emit::OnClose, Emit::OnFireAndClose] {
        let mut book = Book::new(emit);
        let first = Alert::new(rule, Severity::High, key.clone(), &[&ev("a", 0)]);
        book.fire(rule, first, 100);
        let second = Alert::new(rule, Severity::High, key.clone(), &[&ev("c", 180)]);
        book.fire(rule, second, 100);
        assert!(
            book.extend(rule, &key, &ev("d", 250)),
            "joins the waiting one"
        );
        book.close_before(101);
        let ids: Vec<(Vec<String>, bool)> = book
            .out
            .iter()
            .map(|a| (a.event_ids.clone(), a.closed))
            .collect();
        let (a, cd) = (vec!["a".to_owned()], vec!["c".to_owned(), "d".to_owned()]);
        match emit {
            Emit::OnClose => assert_eq!(ids, [(a, true)]),
            Emit::OnFireAndClose => assert_eq!(ids, [(a.clone(), false), (cd, false)]),
        }
        book.out.clear();
        book.close_before(351);
        assert_eq!(book.open_count(), 0);
        // Handed out already, and unchanged since: not again in `run`.
        match emit {
            Emit::OnClose => assert_eq!(book.out.len(), 1),
            Emit::OnFireAndClose => assert!(book.out.is_empty()),
        }
        if let Some(last) = book.out.last() {
            assert_eq!(last.event_ids, ["c", "d"]);
            assert_ne!(last.id, crate::detect::alert::alert_id(rule, &key, 0));
        }
        assert_eq!(book.bytes(), 0);
    }
}
