use super::*;

#[test]
fn networks_and_cidrs() {
    assert_eq!(network("192.0.2.77", 24, 64).unwrap(), "192.0.2.0/24");
    assert_eq!(
        network("2001:db8:1:2:3::9", 24, 64).unwrap(),
        "2001:db8:1:2::/64"
    );
    assert!(network("not-an-ip", 24, 64).is_none());
    let c = Cidr::parse("10.0.0.0/8").unwrap();
    assert!(c.contains("10.200.1.1"));
    assert!(!c.contains("11.0.0.1"));
    assert!(Cidr::parse("192.0.2.5").unwrap().contains("192.0.2.5"));
    assert!(Cidr::parse("10.0.0.0/33").is_none());
    assert!(Cidr::parse("2001:db8::/32")
        .unwrap()
        .contains("2001:db8:ffff::1"));
}

#[test]
fn an_ipv4_mapped_address_is_its_ipv4_address() {
    assert_eq!(
        network("::ffff:203.0.113.5", 24, 64).unwrap(),
        "203.0.113.0/24"
    );
    assert_eq!(network("::FFFF:192.0.2.5", 24, 64).unwrap(), "192.0.2.0/24");
    let v4 = Cidr::parse("198.51.100.0/24").unwrap();
    assert!(v4.contains("::ffff:198.51.100.5"));
    assert!(!v4.contains("::ffff:198.51.101.5"));
    // Written mapped, a network is its IPv4 network.
    let mapped = Cidr::parse("::ffff:198.51.100.0/120").unwrap();
    assert_eq!(mapped, v4);
    assert!(mapped.contains("198.51.100.7"));
    assert!(Cidr::parse("::ffff:198.51.100.0/129").is_none());
    // Unchanged: IPv6 stays IPv6, and the two families do not meet.
    assert_eq!(network("2001:db8::1", 24, 64).unwrap(), "2001:db8::/64");
    assert_eq!(network("::198.51.100.5", 24, 64).unwrap(), "::/64");
    assert!(!Cidr::parse("::/0").unwrap().contains("::ffff:198.51.100.5"));
    assert!(Cidr::parse("::/0").unwrap().contains("2001:db8::1"));
    assert!(!v4.contains("2001:db8::1"));
}

#[test]
fn waiting_events_leave_in_time_then_arrival_order() {
    // Against an ordered map of the same entries: mostly in order, some
    // late, some at equal times, pops interleaved with inserts.
    let event = || Copied::Kept(crate::detect::kept::Kept::default());
    let mut w = Queue::default();
    let mut reference = BTreeMap::new();
    let mut x: u64 = 7;
    for arrival in 0..5_000u64 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (x >> 33) % 100;
        let t = arrival as i64 * 10 - if r < 20 { (r as i64) * 37 } else { 0 };
        let at = (t, arrival);
        w.insert(at, (format!("k{arrival}"), String::new(), event(), 0));
        reference.insert(at, format!("k{arrival}"));
        assert_eq!(w.len(), reference.len());
        if r % 3 == 0 {
            assert_eq!(w.first(), reference.first_key_value().map(|(at, _)| *at));
            let (_, want) = reference.pop_first().expect("not empty");
            assert_eq!(w.pop_first().expect("not empty").1 .0, want);
        }
    }
    while let Some((at, want)) = reference.pop_first() {
        assert_eq!(w.first(), Some(at));
        assert_eq!(w.pop_first().expect("not empty").1 .0, want);
    }
    assert!(w.pop_first().is_none() && w.first().is_none());
}

#[test]
fn the_detectors_principal_hash_is_the_rules() {
    // `Detector::observe` hashes a principal once and hands the hash to
    // `new_source_ip`; the rule hashing the key itself (custom rules,
    // waiting events) must agree.
    let rule = NoveltyRule::new("n", Severity::Low, 1, 10, describe_custom);
    let detector = crate::detect::hash::FastState::default();
    for p in [
        "User:sa-00001",
        "",
        "User:ünïcode",
        "User:a-much-longer-principal-name",
    ] {
        assert_eq!(rule.hash(p), detector.hash_str(p), "{p}");
    }
}

/// `new_source_ip` over `lines` (alice's granted produces), every event
/// offered with the watermark `wm`; the rule and its book.
fn offered(ttl: i64, wm: i64, lines: &[String]) -> (NoveltyRule, Book) {
    let mut rule = NoveltyRule::new("new_source_ip", Severity::Medium, ttl, 10, describe_new_ip);
    let mut book = Book::new(crate::detect::Emit::OnClose);
    for l in lines {
        let (_, e) = crate::process::Processor::default()
            .enrich(l.as_bytes(), None, 0)
            .expect("valid");
        let f = Facts::new(&e, l.as_bytes());
        let p = f.principal.expect("a principal");
        let net = network(f.source_ip.expect("an address"), 24, 64).expect("an IP");
        rule.offer(rule.hash(p), p, &net, &f, wm, &mut book);
    }
    (rule, book)
}

fn produce(id: &str, t: i64, ip: &str) -> String {
    crate::detect::tests::authz(
        id,
        t,
        "alice",
        ip,
        "kafka.Produce",
        "Write",
        "topic=o",
        true,
    )
}

const NS: i64 = 1_000_000_000;
const T: i64 = crate::detect::tests::T0;

#[test]
fn a_first_seen_principal_s_repeated_pair_waits_once_and_is_refreshed_to_its_latest() {
    // Twenty produces of a principal not seen before, from one network,
    // all ahead of the watermark: the first waits, the others are noted
    // as times of its pair.
    let lines: Vec<String> = (0..20)
        .map(|i| produce(&format!("e{i}"), T + i, "10.1.1.5"))
        .collect();
    let (mut rule, mut book) = offered(14 * 86_400 * NS, 0, &lines);
    assert_eq!(rule.waiting.len(), 1);
    assert_eq!(rule.pairs.len(), 1);
    rule.advance(i64::MAX, &mut book);
    assert_eq!((rule.waiting.len(), rule.pairs.len()), (0, 0));
    assert_eq!(rule.waiting_held, 0, "the pair's bytes given back");
    // The network was last seen at the last produce, as if each had been
    // decided in turn.
    let hash = rule.hash("User:alice");
    let known = rule.groups.touch(&hash, 0).expect("alice is history");
    assert_eq!(known.values.len(), 1);
    assert_eq!(known.values[0].1, (T + 19) * NS);
}

#[test]
fn an_event_of_the_pair_more_than_the_ttl_later_or_earlier_waits_on_its_own() {
    // ttl 10 s: an event 11 s after the pair's waiting one may find the
    // network forgotten (it waits); an earlier one may be the first.
    let lines = [
        produce("e0", T + 5, "10.1.1.5"),
        produce("e1", T + 16, "10.1.1.6"),
        produce("e2", T + 1, "10.1.1.7"),
        produce("e3", T + 6, "10.1.1.8"),
    ];
    let (rule, _) = offered(10 * NS, 0, &lines);
    // e3 joins the earliest (e2's) pair; e0 and e1 wait.
    assert_eq!(rule.waiting.len(), 3);
    assert_eq!(rule.pairs.len(), 1);
}
