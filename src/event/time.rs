//! Event times (rule TIME of `docs/audit-log-format.md` §11).
//!
//! RFC 3339 with `T`/`t`, 0 to 9 fraction digits and `Z`/`z` or `±hh:mm`
//! gives Unix nanoseconds; anything else, including values outside what an
//! `i64` of nanoseconds holds (years 1678 to 2261), gives `None` and the
//! caller falls back to the Kafka record timestamp. Hand-written because it
//! runs once per event on the hot path and needs nothing a calendar library
//! offers beyond it.

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Parses an RFC 3339 timestamp into Unix nanoseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let year = digits(&b[0..4])? as i64;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // 60 is a leap second; it is counted as the first second of the next minute.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let n = i - start;
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(&b[start..i])? * 10u32.pow((9 - n) as u32);
    }
    let offset_secs: i64 = match &b[i..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let oh = digits(&[*h1, *h2])? as i64;
            let om = digits(&[*m1, *m2])? as i64;
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64 - offset_secs;
    let total = secs as i128 * NANOS_PER_SEC + nanos as i128;
    i64::try_from(total).ok()
}

/// Formats Unix nanoseconds as RFC 3339 UTC with 9 fraction digits.
pub fn format_rfc3339_nanos(unix_nanos: i64) -> String {
    let mut out = Vec::with_capacity(30);
    write_rfc3339_nanos(unix_nanos, &mut out);
    String::from_utf8(out).expect("ASCII digits")
}

/// Appends `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (no quotes) to `out`.
pub fn write_rfc3339_nanos(unix_nanos: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(&rfc3339_nanos(unix_nanos));
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, always 30 bytes (an `i64` of
/// nanoseconds spans the years 1677–2262), on the stack.
pub fn rfc3339_nanos(unix_nanos: i64) -> [u8; 30] {
    let secs = unix_nanos.div_euclid(NANOS_PER_SEC as i64);
    let nanos = unix_nanos.rem_euclid(NANOS_PER_SEC as i64) as u64;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u64;
    let (y, m, d) = civil_from_days(days);
    let y = y.clamp(0, 9999) as u64;
    // Two digits per table lookup: the digit-by-digit loop's divisions
    // were about 300 instructions per enrichment.
    let mut out = *b"0000-00-00T00:00:00.000000000Z";
    let mut pair = |at: usize, v: u64| {
        let i = (v % 100) as usize * 2;
        out[at] = PAIRS[i];
        out[at + 1] = PAIRS[i + 1];
    };
    pair(0, y / 100);
    pair(2, y);
    pair(5, m as u64);
    pair(8, d as u64);
    pair(11, sod / 3600);
    pair(14, (sod / 60) % 60);
    pair(17, sod % 60);
    pair(21, nanos / 1_000_000);
    pair(23, nanos / 10_000);
    pair(25, nanos / 100);
    pair(27, nanos);
    out[20] = b'0' + (nanos / 100_000_000) as u8;
    out
}

/// `00`, `01`, … `99`.
const PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

fn digits(b: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

#[cfg(test)]
mod tests;
