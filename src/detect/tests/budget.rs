//! The rules' state held to `max_state_bytes`: a flood of distinct groups
//! stays within it, the estimate follows the groups, and shedding takes
//! the least recently touched groups first.

use super::*;

/// A failed login from an address of its own (`10.x.y.z` from `i`).
fn distinct_fail(i: usize, t: i64) -> String {
    let ip = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    authn(&format!("flood{i}"), t, &ip, &format!("user{i}"), false)
}

fn detector(bound: usize) -> Detector {
    let mut d = Detector::new(&DetectConfig::default(), Emit::OnClose).unwrap();
    d.rules.max_state_bytes = bound;
    d
}

fn feed(d: &mut Detector, l: &str, out: &mut Vec<Alert>) {
    let (_, e) = Processor::default().enrich(l.as_bytes(), None, 0).unwrap();
    d.observe(&e, l.as_bytes(), out);
}

#[test]
fn a_flood_of_distinct_groups_stays_within_the_bound_after_each_sweep() {
    let bound = 1 << 20;
    let mut d = detector(bound);
    let mut out = Vec::new();
    let (mut sweeps, mut peak_before_sweep) = (0, 0);
    for i in 0..20_000 {
        feed(&mut d, &distinct_fail(i, T0 + i as i64 / 200), &mut out);
        let s = d.stats();
        if s.events % SWEEP_EVERY == 0 {
            sweeps += 1;
            assert!(s.state_bytes <= bound as u64, "{s:?} after a sweep");
            // Shed to nine tenths, not to nothing.
            assert!(s.state_bytes > bound as u64 / 2, "{s:?}");
        } else {
            peak_before_sweep = peak_before_sweep.max(s.state_bytes);
        }
    }
    assert_eq!(sweeps, 4);
    // The flood did go over the bound between sweeps, and groups went.
    assert!(peak_before_sweep > bound as u64, "{peak_before_sweep}");
    let s = d.stats();
    assert!(s.evictions > 10_000, "{s:?}");
    // Without the bound the same flood holds several times as much.
    let mut free = detector(1 << 30);
    for i in 0..20_000 {
        feed(&mut free, &distinct_fail(i, T0 + i as i64 / 200), &mut out);
    }
    let f = free.stats();
    assert!(f.state_bytes > 5 * bound as u64, "{f:?}");
    assert!(f.evictions < s.evictions, "{f:?} vs {s:?}");
}

#[test]
fn the_estimate_grows_with_groups_and_shrinks_when_they_go() {
    let mut d = detector(1 << 30);
    let mut out = Vec::new();
    let mut last = d.stats().state_bytes;
    assert_eq!(last, 0);
    for i in 0..3_000 {
        feed(&mut d, &distinct_fail(i, T0), &mut out);
        let now = d.stats().state_bytes;
        assert!(now > last, "{i}: {now} after {last}");
        last = now;
    }
    // Three rules keep each failure: both `auth_bruteforce` counts (a
    // slot, a key, a vector of hits) and the login sequence, and the one
    // event copy they share, counted once; more than 600 bytes and less
    // than 4 KB per failure.
    let per = last / 3_000;
    assert!((600..4_000).contains(&per), "{per} bytes per failure");
    // Forced down to a third: about two thirds of the groups go.
    let keys = d.stats().keys;
    d.rules.max_state_bytes = (last / 3) as usize;
    d.sweep();
    let s = d.stats();
    assert!(s.state_bytes <= last / 3, "{s:?}");
    let gone = keys - s.keys;
    assert!((5_000..8_000).contains(&gone), "{gone} of {keys} keys went");
    assert_eq!(s.evictions, gone);
}

#[test]
fn every_rule_s_counters_return_to_zero_when_all_its_groups_are_shed() {
    // Every rule kind with state: counts, sequences (first and second
    // steps, kept grants), new values (history and events waiting for
    // the watermark), denial bursts. A counter that missed a change on
    // the way would not come back to zero (or would trip its debug
    // check below zero).
    let mut lines = Vec::new();
    for i in 0..40 {
        let t = T0 + i;
        let ip = format!("203.0.113.{}", i % 7);
        let ok = i % 3 == 0;
        lines.push(authn(&format!("a{i}"), t, &ip, &format!("u{}", i % 5), ok));
        let topic = format!("topic=sensitive-{}", i % 4);
        let user = format!("p{}", i % 3);
        let granted = i % 2 == 0;
        let id = format!("z{i}");
        lines.push(authz(
            &id,
            t,
            &user,
            &ip,
            "kafka.Produce",
            "Write",
            &topic,
            granted,
        ));
    }
    lines.extend(denials(12, T0 + 50, 1, "sensitive-pii-eu"));
    let mut d = detector(1 << 30);
    let mut out = Vec::new();
    for l in &lines {
        feed(&mut d, l, &mut out);
    }
    let r = &d.rules;
    assert!(r.new_ip.as_ref().unwrap().0.waiting() > 0);
    assert!(r.privilege.as_ref().unwrap().size().keys > 0);
    let s = d.stats();
    assert!(s.state_bytes > 20_000, "{s:?}");
    d.rules.max_state_bytes = 0;
    // An open `auth_bruteforce` alert by identifier keeps its events
    // until it closes (it may still lose some): closed, they go too.
    d.book.close_all();
    d.sweep();
    let after = d.stats();
    assert_eq!(after.state_bytes, 0, "{after:?}");
    assert_eq!(
        after.keys,
        d.seen.len() as u64,
        "only the event ids are left"
    );
    assert!(after.evictions > s.evictions, "{after:?}");
}

#[test]
fn shedding_takes_groups_least_on_their_way_first_and_both_incidents_still_fire() {
    // An old brute force (3 failures at the start) and a recent one (3
    // failures just before the sweep at event 12,288) amid a flood of
    // distinct addresses (one failure each, older than the recent one);
    // then each gets the 2 failures that make 5. Under the bound the
    // flood's groups go first, though the old incident is older: it has
    // more of its threshold.
    let mut lines = fails(3, T0, 0, "198.51.100.1");
    for i in 0..12_000 {
        lines.push(distinct_fail(i, T0 + i as i64 / 200));
    }
    for k in 0..3 {
        lines.push(authn(
            &format!("r{k}"),
            T0 + 60,
            "198.51.100.2",
            "alice",
            false,
        ));
    }
    // Up to the sweep, and past it.
    for i in 12_000..12_400 {
        lines.push(distinct_fail(i, T0 + 61));
    }
    for (n, ip) in [("o", "198.51.100.1"), ("n", "198.51.100.2")] {
        for k in 0..2 {
            lines.push(authn(&format!("{n}{k}"), T0 + 62, ip, "alice", false));
        }
    }
    let alerts_for = |bound: usize| {
        let mut d = detector(bound);
        let mut out = Vec::new();
        for l in &lines {
            feed(&mut d, l, &mut out);
        }
        let evicted = d.stats().evictions;
        d.finish(&mut out);
        let mut keys: Vec<String> = of(&out, "auth_bruteforce")
            .iter()
            .map(|a| a.group_key.clone())
            .filter(|k| k.starts_with("source_ip=198.51.100."))
            .collect();
        keys.sort();
        (keys, evicted)
    };
    let (unbounded, _) = alerts_for(1 << 30);
    assert_eq!(
        unbounded,
        ["source_ip=198.51.100.1", "source_ip=198.51.100.2"]
    );
    let (bounded, evicted) = alerts_for(1 << 20);
    assert!(evicted > 10_000, "{evicted}");
    // Both kept, both fire with all 5 (a shed group's 3 failures would
    // be forgotten, and 2 are not 5).
    assert_eq!(bounded, unbounded);
    // Among groups alike (one failure each), the least recently touched
    // go first: the flood's first addresses were shed, its last kept.
    let mut d = detector(1 << 20);
    let mut out = Vec::new();
    for l in &lines[..lines.len() - 4] {
        feed(&mut d, l, &mut out);
    }
    let ip = |rule: &mut count::CountRule, i: usize| {
        let key = format!(
            "source_ip=10.{}.{}.{}",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        );
        rule.holds(&key)
    };
    let rule = d.rules.bruteforce_ip.as_mut().unwrap();
    assert!(!ip(rule, 0) && !ip(rule, 1_000), "the oldest went");
    assert!(ip(rule, 12_200) && ip(rule, 12_399), "the newest stayed");
}

#[test]
fn a_failure_kept_by_three_rules_is_counted_once() {
    let line = distinct_fail(7, T0);
    let (_, e) = Processor::default()
        .enrich(line.as_bytes(), None, 0)
        .unwrap();
    let f = facts::Facts::new(&e, line.as_bytes());
    let scratch = crate::detect::intern::Interner::new(Default::default());
    let copy = EventRef::interned(f.time, EventRef::fields_of(&f), &scratch);
    let mut d = detector(1 << 30);
    let mut out = Vec::new();
    feed(&mut d, &line, &mut out);
    // Both `auth_bruteforce` counts and `failed_logins_then_success`
    // hold it; its copy is counted once, and its principal's and
    // resource's text once, in the interner.
    assert_eq!(d.stats().keys, 3 + 1, "three groups and the id seen");
    let shared = d.interner.bytes();
    assert_eq!(shared, scratch.bytes());
    let bytes = copy.bytes() + shared;
    assert_eq!(d.rules.ledger.bytes(), bytes);
    let rules: usize = d.rules.each().iter().map(|r| r.bytes()).sum();
    assert_eq!(d.stats().state_bytes, (rules + bytes) as u64);
    // Shed to nothing: the copy goes with its last holder.
    d.rules.max_state_bytes = 0;
    d.sweep();
    assert_eq!(d.rules.ledger.bytes(), 0);
    assert_eq!(d.stats().state_bytes, 0);
}
