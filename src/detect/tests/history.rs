//! `new_source_ip`'s history over days: each network is forgotten
//! `history_ttl_secs` (14 days) after it was last used, in event time,
//! whatever comes after it.

use super::*;

const DAY: i64 = 86_400;

/// A granted produce by alice from `ip`, `day` days (and `secs`) after T0.
fn produce(id: &str, day: i64, secs: i64, ip: &str) -> String {
    let t = T0 + day * DAY + secs;
    authz(
        id,
        t,
        "alice",
        ip,
        "kafka.Produce",
        "Write",
        "topic=orders",
        true,
    )
}

fn new_ips(lines: &[String]) -> Vec<Vec<String>> {
    let a = run_lines(&DetectConfig::default(), lines);
    let n = of(&a, "new_source_ip");
    n.iter().map(|a| a.event_ids.clone()).collect()
}

#[test]
fn a_network_last_used_before_the_ttl_is_not_known_to_a_later_event() {
    // On day 16 both networks are more than 14 days old: e3 is the first
    // sight of a principal with no history left (nothing), and e4, an
    // hour later, comes from a network forgotten while 10.2.2.0/24 was
    // just used: new.
    let base = [
        produce("e1", 0, 0, "10.1.1.5"),
        produce("e2", 1, 0, "10.2.2.2"),
        produce("e3", 16, 0, "10.2.2.3"),
    ];
    assert_eq!(new_ips(&base), [["e2"]], "without e4");
    let mut all = base.to_vec();
    all.push(produce("e4", 16, 3600, "10.1.1.6"));
    // e4 does not change what e3 was: an event decides nothing about the
    // ones before it.
    assert_eq!(new_ips(&all), [["e2"], ["e4"]]);
}

#[test]
fn each_network_is_forgotten_on_its_own() {
    // 10.1.1.0/24 last used on day 0, 10.2.2.0/24 on day 10: on day 20
    // alice has history (10.2.2.0/24) and 10.1.1.0/24 is new again.
    let lines = [
        produce("e1", 0, 0, "10.1.1.5"),
        produce("e2", 10, 0, "10.2.2.2"),
        produce("e3", 20, 0, "10.1.1.6"),
    ];
    assert_eq!(new_ips(&lines), [["e2"], ["e3"]]);
    // Used again on day 13, it is still known on day 20.
    let mut kept = lines[..2].to_vec();
    kept.insert(1, produce("e1b", 13, 0, "10.1.1.9"));
    kept.push(lines[2].clone());
    assert_eq!(new_ips(&kept), [["e2"]]);
}
