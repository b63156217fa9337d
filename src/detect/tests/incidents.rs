//! One principal's or address's incidents one after another: each its own
//! alert, made of its own events.

use super::*;

/// `n` denials by mallory on `topic`, `step` seconds apart from `start`
/// (seconds after T0), ids `{prefix}{i}`.
fn burst(prefix: &str, n: usize, start: i64, step: i64, topic: &str) -> Vec<String> {
    (0..n)
        .map(|i| {
            let t = T0 + start + i as i64 * step;
            let id = format!("{prefix}{i}");
            authz(
                &id,
                t,
                "mallory",
                "192.0.2.66",
                "kafka.FetchConsumer",
                "Read",
                topic,
                false,
            )
        })
        .collect()
}

fn change(id: &str, secs: i64) -> String {
    authz(
        id,
        T0 + secs,
        "admin",
        "10.0.0.1",
        "mds.Authorize",
        "AlterAccess",
        "topic=sensitive-x*",
        true,
    )
}

fn changes(lines: &[String]) -> Vec<Vec<String>> {
    let a = run(lines);
    let p = of(&a, "privilege_change_during_denials");
    let mut out: Vec<Vec<String>> = p.iter().map(|a| a.event_ids.clone()).collect();
    out.iter_mut().for_each(|v| v.sort());
    out
}

fn ids_of(prefix: &str, n: usize, and: &str) -> Vec<String> {
    let mut v: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    v.push(and.into());
    v.sort();
    v
}

#[test]
fn a_change_meets_only_the_burst_that_is_active() {
    // Two bursts 12 minutes apart (each its `denial_burst` alert); an ACL
    // after the second lists the second's denials, not the first's.
    let mut lines = burst("a", 10, 200, 20, "topic=sensitive-x1");
    lines.extend(burst("b", 10, 1100, 15, "topic=sensitive-x1"));
    lines.push(change("acl", 1280));
    assert_eq!(of(&run(&lines), "denial_burst").len(), 2);
    assert_eq!(changes(&lines), [ids_of("b", 10, "acl")]);
    // Between the bursts (one window after the first's last denial, before
    // the second's first), no burst is active: no alert.
    let mut lines = burst("a", 10, 200, 20, "topic=sensitive-x1");
    lines.push(change("acl", 1100));
    lines.extend(burst("b", 10, 1400, 15, "topic=sensitive-x1"));
    assert!(changes(&lines).is_empty(), "{:?}", changes(&lines));
    // Within the first's window it still meets the first.
    let mut lines = burst("a", 10, 200, 20, "topic=sensitive-x1");
    lines.push(change("acl", 500));
    lines.extend(burst("b", 10, 1400, 15, "topic=sensitive-x1"));
    assert_eq!(changes(&lines), [ids_of("a", 10, "acl")]);
}

/// A change in the middle of a burst lists the burst's denials up to it;
/// a second covering change during the burst joins that alert.
#[test]
fn a_change_lists_the_burst_up_to_it_and_one_burst_is_one_alert() {
    // Denials every 10 s from 200 s to 390 s; a change at 305 s.
    let mut lines = burst("d", 20, 200, 10, "topic=sensitive-x1");
    lines.push(change("acl", 305));
    assert_eq!(changes(&lines), [ids_of("d", 11, "acl")]);
    // A second change at 345 s: one alert, with the denials up to it.
    lines.push(change("acl2", 345));
    let mut want = ids_of("d", 15, "acl");
    want.push("acl2".into());
    want.sort();
    assert_eq!(changes(&lines), [want]);
}

/// A change past the keep-alive of its burst's alert makes the burst's
/// next alert, with the denials after the last change alerted (distinct
/// ids); a denial after it does not move an earlier change into it.
#[test]
fn a_change_past_the_alert_makes_the_next_alert_of_its_burst() {
    // Denials every 20 s from 200 s to 1,200 s; changes at 260 s and 900 s.
    let mut lines = burst("d", 51, 200, 20, "topic=sensitive-x1");
    lines.push(change("c1", 260));
    lines.push(change("c2", 900));
    let a = run(&lines);
    let p = of(&a, "privilege_change_during_denials");
    let ids: Vec<&Vec<String>> = p.iter().map(|a| &a.event_ids).collect();
    let listed = |from: usize, to: usize, c: &str| -> Vec<String> {
        let mut v: Vec<String> = (from..=to).map(|i| format!("d{i}")).collect();
        v.push(c.into());
        v
    };
    assert_eq!(ids, [&listed(0, 3, "c1"), &listed(4, 35, "c2")]);
    assert_ne!(p[0].id, p[1].id);
    for a in p {
        assert_eq!(a.event_count as usize, a.event_ids.len(), "{a:#?}");
    }
}

#[test]
fn failed_logins_then_success_raises_one_alert_per_round() {
    // Fail, fail, success; then again 110 s later, and 40 s later: each
    // round an alert of its own, every event in one.
    let ip = "203.0.113.7";
    let round = |p: &str, at: i64| {
        vec![
            authn(&format!("{p}1"), T0 + at, ip, "bob", false),
            authn(&format!("{p}2"), T0 + at + 5, ip, "bob", false),
            authn(&format!("{p}3"), T0 + at + 10, ip, "bob", true),
        ]
    };
    let fls = |a: &[Alert]| -> Vec<Vec<String>> {
        of(a, "failed_logins_then_success")
            .iter()
            .map(|a| a.event_ids.clone())
            .collect()
    };
    for gap in [110, 40] {
        let mut lines = round("x", 300);
        lines.extend(round("y", 300 + gap));
        let a = run(&lines);
        assert_eq!(fls(&a), [["x1", "x2", "x3"], ["y1", "y2", "y3"]], "{a:#?}");
    }
}

/// Read in arrival order, a burst's denials dated past its keep-alive
/// come before a denial that bridges the gap (another partition was
/// behind): one burst all the same, and a change covering its first
/// denials' topic during it raises `privilege_change_during_denials`
/// with them, as in time order.
#[test]
fn a_burst_bridged_by_a_late_denial_is_one_burst_for_the_change_too() {
    let first = burst("o", 10, 0, 1, "topic=sensitive-a");
    // Past the first ten's keep-alive (9 + 300 s) by one second, while
    // the watermark (30 s behind) has not passed it.
    let second = burst("p", 10, 310, 1, "topic=sensitive-b");
    let bridge = burst("br", 1, 200, 1, "topic=sensitive-b");
    let grant = authz(
        "pc",
        T0 + 315,
        "admin",
        "10.0.0.1",
        "mds.Authorize",
        "AlterAccess",
        "topic=sensitive-a*",
        true,
    );
    let arrival: Vec<String> = [
        &first[..],
        &second[..],
        &bridge[..],
        std::slice::from_ref(&grant),
    ]
    .concat();
    let mut by_time = arrival.clone();
    by_time.sort_by_key(|l| {
        crate::event::time::parse_rfc3339(&l[l.find("\"time\":\"").unwrap() + 8..][..20])
    });
    for lines in [arrival, by_time] {
        let a = run(&lines);
        let bursts = of(&a, "denial_burst");
        assert_eq!(bursts.len(), 1, "{a:#?}");
        assert_eq!(bursts[0].event_count, 21);
        let p = of(&a, "privilege_change_during_denials");
        assert_eq!(p.len(), 1, "{a:#?}");
        let mut want: Vec<String> = (0..10).map(|i| format!("o{i}")).collect();
        want.push("pc".into());
        assert_eq!(p[0].event_ids, want);
    }
}
