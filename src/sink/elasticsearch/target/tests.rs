use super::*;

// 2025-03-04T09:00:01.112Z
const T: i64 = 1_741_078_801_112_000_000;

#[test]
fn renders_from_event_time_in_utc() {
    let p = IndexPattern::parse("confluent-audit-%Y.%m.%d").unwrap();
    assert_eq!(p.render(T), "confluent-audit-2025.03.04");
    assert_eq!(p.render(0), "confluent-audit-1970.01.01");
    // One nanosecond before midnight stays on the day before.
    let midnight = 1_741_132_800_000_000_000; // 2025-03-05T00:00:00Z
    assert_eq!(p.render(midnight - 1), "confluent-audit-2025.03.04");
    assert_eq!(p.render(midnight), "confluent-audit-2025.03.05");
    let h = IndexPattern::parse("a-%Y%m%d%H-100%%").unwrap();
    assert_eq!(h.render(T), "a-2025030409-100%");
}

#[test]
fn template_glob() {
    assert_eq!(
        IndexPattern::parse("confluent-audit-%Y.%m.%d")
            .unwrap()
            .glob(),
        "confluent-audit-*"
    );
    assert_eq!(IndexPattern::parse("a-%Y%m-b").unwrap().glob(), "a-*-b");
    assert_eq!(IndexPattern::parse("plain").unwrap().glob(), "plain");
}

#[test]
fn invalid_patterns() {
    for (p, want) in [
        ("Audit-%Y", "must be lowercase"),
        ("a-%j", "unknown `%j`"),
        ("a-%", "lone `%`"),
        ("_a", "must not start with"),
        ("a b", "must not contain ` `"),
        ("a:b", "must not contain `:`"),
        ("", "must not be empty"),
    ] {
        let e = IndexPattern::parse(p).unwrap_err();
        assert!(e.to_string().contains(want), "{p}: {e}");
    }
    assert!(Target::data_stream("logs-confluent.audit-default").is_ok());
    assert!(Target::data_stream("logs-%Y").is_err());
}
