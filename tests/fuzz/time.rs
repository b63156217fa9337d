//! The RFC 3339 parser (`src/event/time.rs`) against chrono: timestamps
//! built from parts parse to exactly chrono's instant, or to `None` exactly
//! where chrono has no such date or the instant leaves an `i64` of
//! nanoseconds; arbitrary text never panics; format → parse round-trips.

use chrono::{FixedOffset, NaiveDate, TimeZone};
use proptest::prelude::*;
use siem_bridge::event::time::{format_rfc3339_nanos, parse_rfc3339};

use crate::gen::config;

/// chrono's Unix nanoseconds for the parts, `None` when the date does not
/// exist. A leap second (60) is the first second of the next minute, as
/// the parser documents.
#[allow(clippy::too_many_arguments)]
fn reference(
    y: i32,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    nanos: u32,
    off: i32,
) -> Option<i64> {
    let date = NaiveDate::from_ymd_opt(y, mo, d)?;
    let (s, carry) = if s == 60 { (59, 1) } else { (s, 0) };
    let naive = date.and_hms_nano_opt(h, mi, s, nanos)?;
    let dt = FixedOffset::east_opt(off)?
        .from_local_datetime(&naive)
        .single()?;
    let secs = dt.timestamp() + carry;
    let total = secs as i128 * 1_000_000_000 + dt.timestamp_subsec_nanos() as i128;
    i64::try_from(total).ok()
}

proptest! {
    #![proptest_config(config(5000))]

    #[test]
    fn parts_agree_with_chrono(
        y in prop_oneof![0i32..=9999, 1677i32..=1678, 2261i32..=2262, 1969i32..=2100],
        mo in 0u32..=13, d in 0u32..=32, h in 0u32..=24, mi in 0u32..=60, s in 0u32..=61,
        frac_digits in 0usize..=10, frac in 0u64..10_000_000_000,
        off_h in 0u32..=24, off_m in 0u32..=60, neg in any::<bool>(), zulu in 0u8..4,
        t in prop::sample::select(vec!['T', 't']),
    ) {
        let frac_text = format!("{frac:010}");
        let frac_part = if frac_digits == 0 { String::new() } else { format!(".{}", &frac_text[..frac_digits]) };
        let offset = match zulu {
            0 => "Z".to_owned(),
            1 => "z".to_owned(),
            _ => format!("{}{off_h:02}:{off_m:02}", if neg { '-' } else { '+' }),
        };
        let text = format!("{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{frac_part}{offset}");
        let got = parse_rfc3339(&text);
        let valid_parts = h <= 23 && mi <= 59 && s <= 60 && frac_digits <= 9
            && (zulu < 2 || (off_h <= 23 && off_m <= 59));
        let want = if valid_parts {
            let nanos = if frac_digits == 0 { 0 } else {
                (frac_text[..frac_digits].parse::<u64>().unwrap() * 10u64.pow(9 - frac_digits as u32)) as u32
            };
            let off = if zulu < 2 { 0 } else {
                let o = (off_h * 3600 + off_m * 60) as i32;
                if neg { -o } else { o }
            };
            reference(y, mo, d, h, mi, s, nanos, off)
        } else {
            None
        };
        prop_assert_eq!(got, want, "{}", text);
    }

    #[test]
    fn format_then_parse_round_trips(n in any::<i64>()) {
        let text = format_rfc3339_nanos(n);
        prop_assert_eq!(text.len(), 30);
        prop_assert_eq!(parse_rfc3339(&text), Some(n), "{}", text);
        // chrono reads the same instant.
        let c = chrono::DateTime::parse_from_rfc3339(&text).unwrap();
        prop_assert_eq!(c.timestamp_nanos_opt(), Some(n));
    }

    #[test]
    fn arbitrary_text_never_panics(s in "[0-9T:.Zz+\\-é ]{0,40}", raw in "\\PC{0,40}") {
        let _ = parse_rfc3339(&s);
        let _ = parse_rfc3339(&raw);
        // Near-valid: one character of a valid timestamp replaced.
        let base = "2025-03-04T09:00:01.123456789+01:00";
        for (i, _) in base.char_indices() {
            if let Some(c) = s.chars().next() {
                let mut t = base.to_owned();
                t.replace_range(i..i + 1, &c.to_string());
                let _ = parse_rfc3339(&t);
            }
        }
    }
}
