//! `auth_bruteforce` by identifier counts only the failures of addresses
//! that do not reach the threshold alone: an address's own brute force is
//! its `source_ip` alert, whichever comes first.

use super::*;

/// A failed login for `user` from `ip`, `secs` after T0.
pub(super) fn fail(id: &str, secs: i64, ip: &str, user: &str) -> String {
    authn(id, T0 + secs, ip, user, false)
}

pub(super) fn brute(lines: &[String]) -> Vec<(String, Vec<String>)> {
    brute_with(&DetectConfig::default(), lines)
}

pub(super) fn brute_with(cfg: &DetectConfig, lines: &[String]) -> Vec<(String, Vec<String>)> {
    let a = run_lines(cfg, lines);
    let mut got: Vec<(String, Vec<String>)> = of(&a, "auth_bruteforce")
        .iter()
        .map(|a| (a.group_key.clone(), a.event_ids.clone()))
        .collect();
    got.sort();
    got
}

pub(super) fn key_ids(key: &str, ids: &[&str]) -> (String, Vec<String>) {
    (key.into(), ids.iter().map(|s| s.to_string()).collect())
}

#[test]
fn an_address_that_reaches_the_threshold_after_the_identifier_did_leaves_it() {
    // Four from one address, one from another (the identifier has five),
    // then the first address's fifth: it is that address's brute force,
    // and the identifier is left with one failure of its own.
    let (a, b) = ("203.0.113.60", "198.51.100.30");
    let lines = [
        fail("a1", 0, a, "carol"),
        fail("a2", 10, a, "carol"),
        fail("a3", 20, a, "carol"),
        fail("a4", 30, a, "carol"),
        fail("b1", 45, b, "carol"),
        fail("a5", 50, a, "carol"),
    ];
    let want = key_ids("source_ip=203.0.113.60", &["a1", "a2", "a3", "a4", "a5"]);
    assert_eq!(brute(&lines), [want]);
    // Without a5, the identifier's five come from two addresses, neither
    // alone: the identifier's alert.
    let want = key_ids("identifier=carol", &["a1", "a2", "a3", "a4", "b1"]);
    assert_eq!(brute(&lines[..5]), [want]);
}

#[test]
fn without_the_count_by_address_every_failure_counts_for_the_identifier() {
    // `by_source_ip = false`: an address has no alert of its own, so its
    // failures are the identifier's.
    let cfg: DetectConfig =
        toml::from_str("[rules.auth_bruteforce]\nby_source_ip = false\n").expect("valid");
    let one: Vec<String> = (0..5)
        .map(|i| fail(&format!("n{i}"), i * 10, "203.0.113.62", "erin"))
        .collect();
    let all = ["n0", "n1", "n2", "n3", "n4"];
    assert_eq!(brute_with(&cfg, &one), [key_ids("identifier=erin", &all)]);
    // An address reaching the threshold after the identifier's alert
    // fired stays in it (the case above, with the count by address).
    let (a, b) = ("203.0.113.60", "198.51.100.30");
    let lines = [
        fail("a1", 0, a, "carol"),
        fail("a2", 10, a, "carol"),
        fail("a3", 20, a, "carol"),
        fail("a4", 30, a, "carol"),
        fail("b1", 45, b, "carol"),
        fail("a5", 50, a, "carol"),
    ];
    let all = ["a1", "a2", "a3", "a4", "b1", "a5"];
    assert_eq!(
        brute_with(&cfg, &lines),
        [key_ids("identifier=carol", &all)]
    );
    // With it (the default), unchanged: the address's own alert only.
    let want = key_ids("source_ip=203.0.113.62", &["n0", "n1", "n2", "n3", "n4"]);
    assert_eq!(brute(&one), [want]);
}

#[test]
fn a_spread_alert_keeps_only_its_spread_failures() {
    // Five addresses once each (a spray), then one address five times:
    // two incidents, each event in one alert.
    let mut lines: Vec<String> = (0..5)
        .map(|i| fail(&format!("o{i}"), i * 5, &format!("192.0.2.{i}"), "dave"))
        .collect();
    lines.extend((0..5).map(|i| fail(&format!("x{i}"), 40 + i * 5, "203.0.113.61", "dave")));
    assert_eq!(
        brute(&lines),
        [
            key_ids("identifier=dave", &["o0", "o1", "o2", "o3", "o4"]),
            key_ids("source_ip=203.0.113.61", &["x0", "x1", "x2", "x3", "x4"]),
        ]
    );
}

#[test]
fn settling_keeps_what_still_makes_an_incident() {
    use crate::detect::count::settle_spread;
    use std::sync::Arc;
    let e = |id: &str, t: i64, ip: &str| {
        Arc::new(EventRef::sample(
            id,
            t * 1_000_000_000,
            Some("User:x"),
            Some(ip),
        ))
    };
    let window = 300 * 1_000_000_000;
    // Three spread, three from one address: below two alone, they stay.
    let mut events = vec![e("s1", 0, "10.0.0.1"), e("s2", 1, "10.0.0.2")];
    events.extend((0..3).map(|i| e(&format!("a{i}"), 2 + i, "10.0.0.9")));
    let ids = |v: &[Arc<EventRef>]| v.iter().map(|e| e.id().to_owned()).collect::<Vec<_>>();
    let kept = settle_spread(&events, 5, window).expect("five, none alone");
    assert_eq!(ids(&kept), ["s1", "s2", "a0", "a1", "a2"]);
    // The address's fifth: alone, it leaves, and two are not an incident.
    events.extend((3..5).map(|i| e(&format!("a{i}"), 2 + i, "10.0.0.9")));
    assert!(settle_spread(&events, 5, window).is_none());
    // Five spread ones still are, in time order, whatever order they came in.
    events.extend(
        (3..6)
            .rev()
            .map(|i| e(&format!("s{i}"), 10 + i, &format!("10.0.1.{i}"))),
    );
    let kept = settle_spread(&events, 5, window).expect("five spread");
    assert_eq!(ids(&kept), ["s1", "s2", "s3", "s4", "s5"]);
    // Too far apart, they are not.
    let apart: Vec<_> = (0..5)
        .map(|i| e(&format!("p{i}"), i * 100, &format!("10.0.2.{i}")))
        .collect();
    assert!(settle_spread(&apart, 5, window).is_none());
}

#[test]
fn an_identifier_alert_settled_without_its_first_events_takes_the_id_of_those_it_keeps() {
    // The first address tries `root` first and reaches the threshold on it
    // alone: its failures leave the identifier's alert when it closes, and
    // the id follows the window of the five that stay.
    let a = "203.0.113.63";
    let mut lines: Vec<String> = (0..5)
        .map(|i| fail(&format!("a{i}"), i * 20, a, "root"))
        .collect();
    lines.extend((0..5).map(|i| {
        fail(
            &format!("b{i}"),
            5 + i * 2,
            &format!("198.51.100.{}", 40 + i),
            "root",
        )
    }));
    lines.sort_by_key(|l| l[l.find(r#""time":""#).unwrap()..].to_owned());
    let alerts = run(&lines);
    let by_id = of(&alerts, "auth_bruteforce");
    let id = by_id
        .iter()
        .find(|x| x.group_key == "identifier=root")
        .unwrap_or_else(|| panic!("{alerts:#?}"));
    assert_eq!(ids(id), ["b0", "b1", "b2", "b3", "b4"]);
    let start = id.first_time;
    assert_eq!(
        id.id,
        crate::detect::alert::alert_id(&id.rule, &id.group_key, start)
    );
}
