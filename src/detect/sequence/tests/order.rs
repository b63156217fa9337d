//! Ties and arrival order: a first step at its completing event's time,
//! a late one that joins an alert, and the ids `run` gives alerts after
//! a re-anchor.

use super::*;

#[test]
fn run_gives_a_displaced_completion_s_own_alert_another_id_than_the_one_it_sent() {
    // ok1 fires (f0..f3 before it) and goes out with ok1's id; ok0, earlier
    // and with f0, f1 before it, re-anchors that alert, which keeps the id
    // it went out with. ok1, displaced, has f2, f3 of its own after ok0: an
    // alert of its own, which must not take the id the first still holds
    // (one SIEM document would overwrite the other).
    let ip = "203.0.113.74";
    let f = |id: &str, t: i64| authn(id, T + t, ip, "pat", false);
    let ok = |id: &str, t: i64| authn(id, T + t, ip, "pat", true);
    let arrival = [
        f("f0", 0),
        f("f1", 5),
        f("f2", 12),
        f("f3", 14),
        ok("ok1", 16),
        ok("ok0", 10),
    ];
    let out = sent_in_run(&arrival);
    let last = |ids: &[&str]| {
        out.iter()
            .rfind(|a| a.rule == "failed_logins_then_success" && a.event_ids == ids)
            .unwrap_or_else(|| panic!("no alert {ids:?}: {out:#?}"))
            .id
            .clone()
    };
    let first = last(&["f0", "f1", "ok0"]);
    let second = last(&["f2", "f3", "ok1"]);
    assert_ne!(first, second, "two incidents, two documents");
    // The same two ids as a replay in time order gives, one each.
    let in_order = [
        f("f0", 0),
        f("f1", 5),
        ok("ok0", 10),
        f("f2", 12),
        f("f3", 14),
        ok("ok1", 16),
    ];
    let in_order = run_lines(&DetectConfig::default(), &in_order);
    let mut replay: Vec<String> = in_order
        .iter()
        .filter(|a| a.rule == "failed_logins_then_success")
        .map(|a| a.id.clone())
        .collect();
    replay.sort();
    let mut ours = vec![first, second];
    ours.sort();
    assert_eq!(ours, replay);
}

#[test]
fn a_first_step_at_the_completing_event_s_time_counts_before_it() {
    // Millisecond times: the second failure and the success share one.
    let ip = "203.0.113.75";
    let (f1, f2, ok) = (
        at_ms("f1", 0, ip, false),
        at_ms("f2", 3_004, ip, false),
        at_ms("ok", 3_004, ip, true),
    );
    let in_order = [f1.clone(), f2.clone(), ok.clone()];
    let a = same_alert("failed_logins_then_success", &in_order, &[f1, ok, f2]);
    assert_eq!(a.event_ids, ["f1", "f2", "ok"]);
}

#[test]
fn a_denial_tied_with_the_grant_that_arrives_after_it_joins_its_alert() {
    // d10 is dated with the grant g10 and read after it: it belongs to
    // g10's alert (at or before its completing event), and g20 has no
    // denial of its own after g10.
    let e = |id: &str, t: i64, granted: bool| {
        authz(
            id,
            T + t,
            "pat",
            "203.0.113.76",
            "kafka.FetchConsumer",
            "Read",
            "topic=sensitive-x",
            granted,
        )
    };
    let lines = [
        e("d0", 0, false),
        e("g10", 10, true),
        e("d10", 10, false),
        e("g20", 20, true),
    ];
    let a = run_lines(&DetectConfig::default(), &lines);
    // Exactly one alert; ties keep their order of arrival.
    let dtg = only(&a, "denied_then_granted");
    assert_eq!(dtg.event_ids, ["d0", "g10", "d10"]);
}

#[test]
fn a_late_first_step_does_not_move_the_id_of_an_alert_that_began_at_its_completion() {
    // f2, f3 and ok share a time: the alert fired on them begins at its
    // completing event; f1, earlier, joins it late. Its id stays anchored
    // on ok, as in time order (where f1 was first all along).
    let ip = "203.0.113.77";
    let f = |id: &str, ms| at_ms(id, ms, ip, false);
    let ok = at_ms("ok", 3_004, ip, true);
    let in_order = [f("f1", 0), f("f2", 3_004), f("f3", 3_004), ok.clone()];
    let arrival = [f("f2", 3_004), f("f3", 3_004), ok, f("f1", 0)];
    let cfg = DetectConfig::default();
    let a = only(&run_lines(&cfg, &in_order), "failed_logins_then_success").clone();
    let b = only(&run_lines(&cfg, &arrival), "failed_logins_then_success").clone();
    let sorted = |a: &Alert| {
        let mut v = a.event_ids.clone();
        v.sort();
        v
    };
    assert_eq!(sorted(&a), ["f1", "f2", "f3", "ok"]);
    assert_eq!(sorted(&b), sorted(&a));
    assert_eq!(b.id, a.id);
}
