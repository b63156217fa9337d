use super::*;

const NOW: i64 = 1_741_078_800_000; // 2025-03-04T09:00:00Z

#[test]
fn durations() {
    assert_eq!(duration_ms("90s"), Ok(90_000));
    assert_eq!(duration_ms("2h"), Ok(7_200_000));
    assert_eq!(duration_ms("1h30m"), Ok(5_400_000));
    assert_eq!(duration_ms("7d"), Ok(604_800_000));
    assert!(duration_ms("2")
        .unwrap_err()
        .to_string()
        .contains("no unit"));
    assert!(duration_ms("2x")
        .unwrap_err()
        .to_string()
        .contains("unknown unit"));
    assert!(duration_ms("h").is_err());
    assert!(duration_ms("").is_err());
}

#[test]
fn ranges() {
    let r = |s, f, b, u| Range::resolve(s, f, b, u, NOW);
    assert_eq!(
        r(Some("2h"), None, false, None).unwrap(),
        Range {
            start: Start::Time(NOW - 7_200_000),
            until: None
        }
    );
    assert_eq!(
        r(None, Some("2025-03-04T08:00:00+01:00"), false, Some("1m")).unwrap(),
        Range {
            start: Start::Time(NOW - 7_200_000),
            until: Some(NOW - 60_000)
        }
    );
    assert_eq!(r(None, None, true, None).unwrap().start, Start::Beginning);
    assert_eq!(r(None, None, false, None).unwrap().start, Start::End);
}

#[test]
fn contradictions_are_refused() {
    let r = |s, f, b, u| Range::resolve(s, f, b, u, NOW).unwrap_err().to_string();
    assert!(r(Some("2h"), None, true, None).contains("only one of"));
    assert!(r(None, None, false, Some("1h")).contains("needs a start"));
    assert!(r(Some("1h"), None, false, Some("2h")).contains("before the start"));
    assert!(r(None, Some("yesterday"), false, None).contains("--from"));
}

#[test]
fn until_is_inclusive() {
    let range = Range {
        start: Start::Beginning,
        until: Some(1000),
    };
    assert!(!range.past_until(Some(1000)));
    assert!(range.past_until(Some(1001)));
    assert!(!range.past_until(None));
    let range = Range {
        start: Start::Time(1000),
        until: None,
    };
    assert!(range.before_start(Some(999)));
    assert!(!range.before_start(Some(1000)));
    assert!(!range.before_start(None));
}
