//! The threshold rules' window search against a full scan, and the bound
//! on a group that cannot fire.

use super::*;
use crate::detect::book::Emit;

const S: i64 = 1_000_000_000;
/// 2025-03-04T09:00:00Z.
const T0: i64 = 1_741_078_800 * S;

fn hit(n: usize, time: i64, ip: Option<&str>, value: Option<&str>) -> Hit {
    Hit {
        event: Arc::new(EventRef::sample(&format!("e{n}"), time, None, ip)),
        value: value.map(str::to_owned),
    }
}

/// The search as first written: every start, its whole window scanned.
fn full_scan(
    hits: &[Hit],
    threshold: u32,
    window: i64,
    distinct: bool,
    spread: bool,
) -> Option<(usize, usize)> {
    let n = threshold as usize;
    // An address is alone when `n` of its hits fall within one window.
    let alone = |ip: &str| {
        hits.iter().any(|h| {
            let within = |o: &&Hit| {
                o.event.source_ip() == Some(ip)
                    && o.event.time >= h.event.time
                    && o.event.time <= h.event.time.saturating_add(window)
            };
            h.event.source_ip() == Some(ip) && hits.iter().filter(within).count() >= n
        })
    };
    for from in 0..hits.len() {
        let end_time = hits[from].event.time.saturating_add(window);
        let to = from + hits[from..].partition_point(|h| h.event.time <= end_time);
        let reached = if distinct {
            let mut values: Vec<&str> = hits[from..to]
                .iter()
                .filter_map(|h| h.value.as_deref())
                .collect();
            values.sort_unstable();
            values.dedup();
            values.len() >= n
        } else {
            let counted = hits[from..to]
                .iter()
                .filter(|h| !(spread && h.event.source_ip().is_some_and(alone)))
                .count();
            counted >= n
        };
        if reached {
            return Some((from, to));
        }
    }
    None
}

#[test]
fn the_one_pass_search_finds_the_window_a_full_scan_finds() {
    let mut rng = crate::xorshift::XorShift::new(0x2545_f491_4f6c_dd1d);
    let mut next = move |m: u64| rng.below(m);
    let ips = [Some("198.51.100.1"), Some("198.51.100.2"), None];
    let values = [Some("alice"), Some("bob"), Some("carol"), None];
    let mut found = 0;
    for case in 0..4_000 {
        let len = next(30) as usize;
        let mut t = 0;
        let hits: Vec<Hit> = (0..len)
            .map(|i| {
                t += next(4) as i64;
                // Mostly one address, so one-address windows are common.
                let ip = ips[if next(3) == 0 { next(3) as usize } else { 0 }];
                hit(i, t, ip, values[next(4) as usize])
            })
            .collect();
        let (distinct, spread) = (case % 2 == 1, case % 4 >= 2);
        let threshold = 1 + next(5) as u32;
        let window = next(12) as i64;
        let want = full_scan(&hits, threshold, window, distinct, spread);
        found += want.is_some() as u32;
        assert_eq!(
            qualifying(&hits, threshold, window, distinct, spread),
            want,
            "case {case}: threshold {threshold}, window {window}, distinct {distinct}, spread {spread}"
        );
    }
    assert!(found > 1_000, "the cases must often find a window: {found}");
}

/// `auth_bruteforce` by address, at its defaults (5 in 300 s).
fn by_address() -> CountRule {
    CountRule::new(
        "auth_bruteforce",
        Severity::High,
        5,
        300 * S,
        300 * S,
        false,
        10,
        describe_bruteforce,
    )
}

/// `auth_bruteforce` by identifier, at its defaults.
fn by_identifier() -> CountRule {
    let mut rule = by_address();
    rule.spread = true;
    rule
}

#[test]
fn a_group_that_cannot_fire_keeps_at_most_max_hits_and_fires_when_another_address_joins() {
    // `auth_bruteforce` by identifier: a single address explains it, so
    // 5,000 failures from one address within the window never fire here.
    let mut rule = by_identifier();
    let mut book = Book::new(Emit::OnClose);
    let mut used = Vec::new();
    let flood = 5_000;
    for i in 0..flood {
        let h = hit(i, T0 + i as i64 * S / 100, Some("203.0.113.9"), None);
        rule.offer("identifier=admin".into(), h, 0, &mut book, &mut used);
    }
    assert_eq!(book.open_count(), 0);
    let held = rule.groups.values().map(|g| g.hits.len()).sum::<usize>();
    assert!(
        (max_hits(5)..=max_hits(5) * 5 / 4).contains(&held),
        "{held} held"
    );
    assert_eq!(rule.size().evictions, (flood - held) as u64);
    assert_eq!(rule.size().keys, 1);

    // Other addresses: the flooding one has its own alert (by address),
    // so only theirs count towards the identifier's threshold.
    for i in 0..5 {
        let other = hit(
            flood + i,
            T0 + 51 * S,
            Some(&format!("198.51.100.{i}")),
            None,
        );
        rule.offer("identifier=admin".into(), other, 0, &mut book, &mut used);
        let want = usize::from(i == 4);
        assert_eq!(book.open_count(), want, "after {} other addresses", i + 1);
    }
    assert!(used.iter().any(|e| e.id() == "e5004"), "{used:?}");
}

#[test]
fn by_identifier_counts_only_addresses_under_the_threshold_alone() {
    let offer = |rule: &mut CountRule, book: &mut Book, addrs: &[&str]| {
        // The events the rule's alert was made of or extended with.
        let (mut used, mut total) = (Vec::new(), 0);
        for (i, a) in addrs.iter().enumerate() {
            let h = hit(i, T0 + i as i64 * 10 * S, Some(a), None);
            rule.offer("identifier=svc".into(), h, 0, book, &mut used);
            total += used.len();
            used.clear();
        }
        total
    };
    let (a, b) = ("203.0.113.1", "203.0.113.2");
    // Five from one address (its own alert) and one from another: nothing
    // more to say by identifier.
    let mut book = Book::new(Emit::OnClose);
    assert_eq!(
        offer(&mut by_identifier(), &mut book, &[a, a, a, a, a, b]),
        0
    );
    assert_eq!(book.open_count(), 0);
    // Four and four: neither address reaches five alone; the identifier does.
    let mut book = Book::new(Emit::OnClose);
    assert_eq!(
        offer(&mut by_identifier(), &mut book, &[a, b, a, b, a, b, a, b]),
        8
    );
    assert_eq!(book.open_count(), 1);
}

/// Read in arrival order, an event dated past an alert's keep-alive can
/// arrive before the one that extends the alert up to it (or before the
/// alert fired): it is kept toward a new window, and joins the alert as
/// soon as the alert's keep-alive reaches it. Time order gives the same.
#[test]
fn an_event_kept_past_the_keep_alive_joins_the_alert_once_the_gap_is_bridged() {
    let burst = || {
        CountRule::new(
            "denial_burst",
            Severity::High,
            3,
            60 * S,
            100 * S,
            false,
            10,
            describe_burst,
        )
    };
    let at = |n: usize, secs: i64| hit(n, T0 + secs * S, Some("192.0.2.1"), None);
    // (event, second): three fire at 0–2 s; 150 s is past their
    // keep-alive (2 + 100) until 90 s bridges the gap.
    let events = [(0, 0), (1, 1), (5, 150), (2, 2), (3, 90), (6, 160)];
    let mut orders = vec![events.to_vec()];
    let mut sorted = events.to_vec();
    sorted.sort_by_key(|&(_, s)| s);
    orders.push(sorted);
    // The late one before the alert fires.
    orders.push(vec![(5, 150), (0, 0), (1, 1), (2, 2), (3, 90), (6, 160)]);
    for order in orders {
        let mut rule = burst();
        let mut book = Book::new(Emit::OnClose);
        let (mut used, mut all) = (Vec::new(), Vec::new());
        for &(n, s) in &order {
            rule.offer(
                "principal=p".into(),
                at(n, s),
                T0 - 30 * S,
                &mut book,
                &mut used,
            );
            all.extend(used.iter().map(|e| e.id().to_owned()));
        }
        book.close_all();
        let ids: Vec<&str> = book
            .out
            .iter()
            .flat_map(|a| &a.event_ids)
            .map(|s| &**s)
            .collect();
        assert_eq!(book.out.len(), 1, "{order:?}");
        assert_eq!(ids, ["e0", "e1", "e2", "e3", "e5", "e6"], "{order:?}");
        // Each one handed to the rules that follow bursts, once.
        all.sort();
        assert_eq!(all, ["e0", "e1", "e2", "e3", "e5", "e6"], "{order:?}");
    }
}

/// A late event that makes an earlier window reach the threshold: the
/// alert fired on a later window among the events that had arrived, and
/// the events of the earlier one join it, as in time order.
#[test]
fn a_late_event_that_opens_an_earlier_window_brings_its_events_in() {
    let at = |n: &str, secs: i64| Hit {
        event: Arc::new(EventRef::sample(n, T0 + secs * S, None, Some("192.0.2.1"))),
        value: None,
    };
    // x, e0–e2 and e4, e5 in one window from e0; with e3 (299 s) the
    // window from x (0–300 s) holds five.
    let arrival = [
        ("x", 0),
        ("e0", 290),
        ("e1", 292),
        ("e2", 295),
        ("e4", 301),
        ("e5", 302),
        ("e3", 299),
    ];
    let mut by_time = arrival;
    by_time.sort_by_key(|&(_, s)| s);
    let mut alerts = Vec::new();
    for order in [by_time, arrival] {
        let mut r = by_address();
        let mut book = Book::new(Emit::OnClose);
        let mut used = Vec::new();
        for &(n, s) in &order {
            r.offer(
                "source_ip=192.0.2.1".into(),
                at(n, s),
                T0 + (s - 30) * S,
                &mut book,
                &mut used,
            );
        }
        book.close_all();
        assert_eq!(book.out.len(), 1);
        alerts.push(book.out.remove(0));
    }
    assert_eq!(
        alerts[0].event_ids,
        ["x", "e0", "e1", "e2", "e3", "e4", "e5"]
    );
    assert_eq!(alerts[1].event_ids, alerts[0].event_ids);
    assert_eq!(
        alerts[1].id, alerts[0].id,
        "the id follows the window's start"
    );
}

#[test]
fn a_list_at_its_cap_says_its_count_is_a_lower_bound() {
    let items = |n: usize| (0..n).map(|i| format!("u{i}")).collect::<Vec<_>>();
    assert_eq!(super::list("(", &items(0), ")"), "");
    assert_eq!(super::list("(", &items(3), ")"), "(u0, u1, u2)");
    assert_eq!(super::list("(", &items(5), ")"), "(u0, u1, u2 and 2 more)");
    // 40 credentials tried, 20 kept: not "and 17 more".
    let cap = crate::detect::alert::MAX_LIST;
    assert_eq!(
        super::list("(", &items(cap), ")"),
        format!("(u0, u1, u2 and at least {} more)", cap - 3)
    );
}
