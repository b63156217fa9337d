use super::*;

const BASE: i64 = 1_741_078_801; // 2025-03-04T09:00:01Z

#[test]
fn fraction_digits_zero_to_nine() {
    let cases = [
        ("2025-03-04T09:00:01Z", 0),
        ("2025-03-04T09:00:01.1Z", 100_000_000),
        ("2025-03-04T09:00:01.12Z", 120_000_000),
        ("2025-03-04T09:00:01.112Z", 112_000_000),
        ("2025-03-04T09:00:01.1123Z", 112_300_000),
        ("2025-03-04T09:00:01.11234Z", 112_340_000),
        ("2025-03-04T09:00:01.958333Z", 958_333_000),
        ("2025-03-04T09:00:01.9583331Z", 958_333_100),
        ("2025-03-04T09:00:01.95833312Z", 958_333_120),
        ("2025-03-04T09:00:01.906895813Z", 906_895_813),
    ];
    for (s, frac) in cases {
        assert_eq!(parse_rfc3339(s), Some(BASE * 1_000_000_000 + frac), "{s}");
    }
    assert_eq!(parse_rfc3339("2025-03-04T09:00:01.1234567890Z"), None);
    assert_eq!(parse_rfc3339("2025-03-04T09:00:01.Z"), None);
}

#[test]
fn offsets_and_lowercase() {
    let utc = parse_rfc3339("2025-03-04T09:00:01Z").unwrap();
    assert_eq!(parse_rfc3339("2025-03-04t09:00:01z"), Some(utc));
    assert_eq!(parse_rfc3339("2025-03-04T10:30:01+01:30"), Some(utc));
    assert_eq!(parse_rfc3339("2025-03-04T04:00:01-05:00"), Some(utc));
    assert_eq!(parse_rfc3339("2025-03-04T09:00:01+00:00"), Some(utc));
    assert_eq!(parse_rfc3339("2025-03-04T09:00:01"), None);
    assert_eq!(parse_rfc3339("2025-03-04T09:00:01+0100"), None);
    assert_eq!(parse_rfc3339("2025-03-04T09:00:01+24:00"), None);
}

#[test]
fn out_of_range_values() {
    for s in [
        "+999999999-12-31T23:59:59.999999999-18:00",
        "2025-13-01T00:00:00Z",
        "2025-00-01T00:00:00Z",
        "2025-02-29T00:00:00Z",
        "2025-04-31T00:00:00Z",
        "2025-03-04T24:00:00Z",
        "2025-03-04T23:60:00Z",
        "2025-03-04T23:59:61Z",
        "1500-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "not a time",
        "",
    ] {
        assert_eq!(parse_rfc3339(s), None, "{s}");
    }
    assert!(parse_rfc3339("2024-02-29T00:00:00Z").is_some());
    assert!(parse_rfc3339("2016-12-31T23:59:60Z").is_some());
}

#[test]
fn before_epoch_and_round_trip() {
    let t = parse_rfc3339("1969-12-31T23:59:59.5Z").unwrap();
    assert_eq!(t, -500_000_000);
    assert_eq!(format_rfc3339_nanos(t), "1969-12-31T23:59:59.500000000Z");
    let t = parse_rfc3339("2025-03-04T10:30:01.906895813+01:30").unwrap();
    assert_eq!(format_rfc3339_nanos(t), "2025-03-04T09:00:01.906895813Z");
    assert_eq!(format_rfc3339_nanos(0), "1970-01-01T00:00:00.000000000Z");
}
