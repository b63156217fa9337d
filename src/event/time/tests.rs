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

/// The digit-by-digit formatting `rfc3339_nanos` had before its two-digit
/// table, as the reference.
fn reference(unix_nanos: i64) -> String {
    let secs = unix_nanos.div_euclid(NANOS_PER_SEC as i64);
    let nanos = unix_nanos.rem_euclid(NANOS_PER_SEC as i64) as u64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u64;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        y.clamp(0, 9999),
        m,
        d,
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        nanos
    )
}

#[test]
fn two_digit_table_matches_the_digit_loop() {
    let mut rng = crate::xorshift::XorShift::new(0x2545_f491_4f6c_dd1d);
    let mut values = vec![0, -1, 1, i64::MIN, i64::MAX, 999_999_999, -999_999_999];
    for _ in 0..20_000 {
        // Spread over the whole i64 range and its low digits.
        let t = rng.next_u64() as i64;
        values.push(t);
        values.push(t % 4_000_000_000_000_000_000);
    }
    for v in values {
        let got = rfc3339_nanos(v);
        assert_eq!(std::str::from_utf8(&got).unwrap(), reference(v), "{v}");
    }
}
