//! One address, one group: `auth_bruteforce` and
//! `failed_logins_then_success` group an address written several ways
//! (IPv6 long or short, upper case, IPv4-mapped) as one, and
//! `new_source_ip` takes an IPv4-mapped address for its IPv4 address.
//! Alerts still list the addresses as the events wrote them.

use super::*;

use super::spread::{brute, fail, key_ids};

#[test]
fn bruteforce_groups_an_address_written_two_ways_as_one() {
    let (short, long) = ("2001:db8::1", "2001:db8:0:0:0:0:0:1");
    let lines = [
        fail("s0", 0, short, "carol"),
        fail("s1", 10, short, "carol"),
        fail("s2", 20, "2001:DB8::1", "carol"),
        fail("l0", 30, long, "carol"),
        fail("l1", 40, long, "carol"),
    ];
    // One address: its alert, keyed by the canonical text, and nothing
    // by identifier (that address reaches the threshold alone).
    let all = ["s0", "s1", "s2", "l0", "l1"];
    assert_eq!(brute(&lines), [key_ids("source_ip=2001:db8::1", &all)]);
    let a = run(&lines);
    let alert = of(&a, "auth_bruteforce")[0];
    // The events' addresses as written.
    assert_eq!(alert.source_ips, [short, "2001:DB8::1", long]);
    // Unchanged: two addresses are two, and the failures spread over
    // them are the identifier's.
    let lines = [
        fail("a0", 0, short, "carol"),
        fail("a1", 10, short, "carol"),
        fail("a2", 20, short, "carol"),
        fail("b0", 30, "2001:db8::2", "carol"),
        fail("b1", 40, "2001:db8::2", "carol"),
    ];
    let want = key_ids("identifier=carol", &["a0", "a1", "a2", "b0", "b1"]);
    assert_eq!(brute(&lines), [want]);
}

#[test]
fn bruteforce_takes_an_ipv4_mapped_address_for_its_ipv4_address() {
    let lines = [
        fail("m0", 0, "::ffff:203.0.113.9", "dave"),
        fail("m1", 10, "::ffff:203.0.113.9", "erin"),
        fail("m2", 20, "::ffff:203.0.113.9", "frank"),
        fail("v0", 30, "203.0.113.9", "grace"),
        fail("v1", 40, "203.0.113.9", "heidi"),
    ];
    let want = key_ids("source_ip=203.0.113.9", &["m0", "m1", "m2", "v0", "v1"]);
    assert_eq!(brute(&lines), [want]);
    // An IPv4 address alone is keyed as before.
    let want = key_ids("source_ip=203.0.113.9", &["v0", "v1", "v2", "v3", "v4"]);
    let lines: Vec<String> = (0..5)
        .map(|i| fail(&format!("v{i}"), i * 10, "203.0.113.9", "ivan"))
        .collect();
    assert_eq!(brute(&lines), [want]);
}

#[test]
fn a_success_from_the_same_address_written_otherwise_follows_its_failures() {
    let logins = |ok_ip: &str| {
        let lines = [
            fail("f0", 0, "2001:db8::7", "judy"),
            fail("f1", 10, "2001:db8::7", "judy"),
            authn("ok", T0 + 20, ok_ip, "judy", true),
        ];
        of(&run(&lines), "failed_logins_then_success")
            .iter()
            .map(|a| (a.group_key.clone(), a.event_ids.clone()))
            .collect::<Vec<_>>()
    };
    let want = key_ids("source_ip=2001:db8::7", &["f0", "f1", "ok"]);
    assert_eq!(logins("2001:db8:0:0:0:0:0:7"), std::slice::from_ref(&want));
    assert_eq!(logins("2001:db8::7"), [want]);
    // Another address is another group.
    assert!(logins("2001:db8::8").is_empty());
}

#[test]
fn new_source_ip_takes_an_ipv4_mapped_address_for_its_ipv4_address() {
    let e = |id: &str, t, ip| {
        let (m, op, res) = ("kafka.Metadata", "Describe", "topic=t");
        authz(id, T0 + t, "bob", ip, m, op, res, true)
    };
    let new_ip = |cfg: &DetectConfig, lines: &[String]| -> Vec<Vec<String>> {
        let a = run_lines(cfg, lines);
        of(&a, "new_source_ip")
            .iter()
            .map(|a| a.event_ids.clone())
            .collect()
    };
    let cfg = DetectConfig::default();
    // Each mapped address is its own /24, not one `::/64`; one in a /24
    // already used is not new.
    let lines = [
        e("h", 0, "198.51.100.21"),
        e("same", 100, "::ffff:198.51.100.22"),
        e("x", 200, "::ffff:203.0.113.5"),
        e("y", 300, "::ffff:192.0.2.5"),
    ];
    assert_eq!(new_ip(&cfg, &lines), [["x"], ["y"]]);
    // A trusted IPv4 network covers its mapped addresses.
    let trusted = DetectConfig {
        trusted_networks: vec!["203.0.113.0/24".into(), "192.0.2.0/24".into()],
        ..DetectConfig::default()
    };
    assert!(new_ip(&trusted, &lines).is_empty());
    // Unchanged: IPv6 networks are /64s.
    let lines = [
        e("h", 0, "2001:db8:1:2::5"),
        e("same", 100, "2001:db8:1:2::99"),
        e("x", 200, "2001:db8:1:3::5"),
    ];
    assert_eq!(new_ip(&cfg, &lines), [["x"]]);
}

#[test]
fn custom_rules_count_an_address_written_two_ways_once() {
    // Distinct source addresses per principal: three texts, two addresses.
    let c: DetectConfig = toml::from_str(
        r#"
[[custom]]
name = "many_addresses"
kind = "distinct"
match = { verdict = "denied" }
group_by = ["principal"]
field = "source_ip"
threshold = 3
window_secs = 300
"#,
    )
    .unwrap();
    let d = |id: &str, t, ip: &str| eve_denied(id, t, ip, "kafka.Produce", "Write", "topic=t");
    let two = [
        d("a", 0, "2001:db8::1"),
        d("b", 10, "2001:db8:0:0:0:0:0:1"),
        d("c", 20, "2001:db8::2"),
    ];
    assert!(of(&run_lines(&c, &two), "many_addresses").is_empty());
    let three = [
        two[0].clone(),
        two[1].clone(),
        two[2].clone(),
        d("e", 30, "192.0.2.7"),
    ];
    let got = run_lines(&c, &three);
    assert_eq!(of(&got, "many_addresses").len(), 1, "{got:?}");
}

#[test]
fn ip_filter_denials_from_an_address_written_two_ways_are_one_alert() {
    let d = |id: &str, t, ip: &str| eve_denied(id, t, ip, "ip-filter.Authorize", "Access", "");
    let got = run(&[d("a", 0, "2001:db8::1"), d("b", 10, "2001:db8:0:0:0:0:0:1")]);
    let alerts = of(&got, "ip_filter_denied");
    assert_eq!(alerts.len(), 1, "{got:?}");
    assert_eq!(alerts[0].event_count, 2);
    assert_eq!(
        alerts[0].group_key,
        "principal=User:eve,source_ip=2001:db8::1"
    );
}

/// `User:eve` denied `method` (`op` on `resource`) from `ip`, `t` seconds
/// after T0.
fn eve_denied(id: &str, t: i64, ip: &str, method: &str, op: &str, resource: &str) -> String {
    authz(id, T0 + t, "eve", ip, method, op, resource, false)
}
