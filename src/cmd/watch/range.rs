//! Time-range selection: `--since 2h`, `--from <RFC 3339>`,
//! `--from-beginning`, `--until`, turned into where each partition starts
//! and when it is done. Pure: the Kafka lookups happen in `consume`.

use crate::event::time::parse_rfc3339;

use super::WatchError;

/// Where reading starts on every partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The oldest retained record (`--from-beginning`).
    Beginning,
    /// The first record with a timestamp at or after this many Unix
    /// milliseconds (`--since`, `--from`), found with `offsets_for_times`.
    Time(i64),
    /// Only records produced from now on (no range flag: follow live).
    End,
}

/// `--since`, `--from`, `--from-beginning` and `--until`, resolved against
/// `now_ms` (so tests can fix the clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: Start,
    /// Stop each partition past this time (Unix ms) or at its high
    /// watermark at start, whichever comes first. `None`: follow live.
    pub until: Option<i64>,
}

impl Range {
    /// The range of the flags at `now_ms`; conflicting or malformed flags
    /// are usage errors.
    pub fn resolve(
        since: Option<&str>,
        from: Option<&str>,
        from_beginning: bool,
        until: Option<&str>,
        now_ms: i64,
    ) -> Result<Range, WatchError> {
        let start = match (since, from, from_beginning) {
            (None, None, false) => Start::End,
            (Some(s), None, false) => Start::Time(now_ms - duration_ms(s).map_err(bad("--since"))?),
            (None, Some(f), false) => Start::Time(time_ms(f, now_ms).map_err(bad("--from"))?),
            (None, None, true) => Start::Beginning,
            _ => {
                return Err(WatchError::Query(
                    "give only one of --since, --from, --from-beginning".to_owned(),
                ))
            }
        };
        let until = until
            .map(|u| time_ms(u, now_ms).map_err(bad("--until")))
            .transpose()?;
        if until.is_some() && start == Start::End {
            return Err(WatchError::Query(
                "--until needs a start: --since, --from or --from-beginning".to_owned(),
            ));
        }
        if let (Start::Time(s), Some(u)) = (start, until) {
            if u < s {
                return Err(WatchError::Query(format!(
                    "--until is before the start of the range ({} < {})",
                    fmt_ms(u),
                    fmt_ms(s)
                )));
            }
        }
        Ok(Range { start, until })
    }

    /// Whether a record with this timestamp lies before `--since/--from`.
    pub fn before_start(&self, timestamp_ms: Option<i64>) -> bool {
        matches!((self.start, timestamp_ms), (Start::Time(s), Some(t)) if t < s)
    }

    /// Whether a record with this timestamp lies past `--until`.
    pub fn past_until(&self, timestamp_ms: Option<i64>) -> bool {
        matches!((self.until, timestamp_ms), (Some(u), Some(t)) if t > u)
    }
}

fn bad(flag: &'static str) -> impl Fn(TimeArgError) -> WatchError {
    move |m| WatchError::Query(format!("{flag}: {m}"))
}

fn fmt_ms(ms: i64) -> String {
    crate::event::time::format_rfc3339_nanos(ms.saturating_mul(1_000_000))
}

/// Why a `--since`, `--from` or `--until` value is not a duration or a
/// time; each message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeArgError {
    /// Nothing was given.
    #[error("empty duration (examples: 90s, 15m, 2h, 1h30m, 7d)")]
    Empty,
    /// A letter that is not s, m, h, d or w.
    #[error("{text:?}: unknown unit {unit:?} (use s, m, h, d or w)")]
    UnknownUnit {
        /// The value given.
        text: String,
        /// The letter.
        unit: char,
    },
    /// A unit without a number before it.
    #[error("{text:?}: a number must come before {unit:?}")]
    NoNumber {
        /// The value given.
        text: String,
        /// The unit.
        unit: char,
    },
    /// More milliseconds than an `i64` holds.
    #[error("{0:?} is too long")]
    TooLong(String),
    /// A trailing number without a unit.
    #[error("{text:?}: the number {number} has no unit (s, m, h, d or w)")]
    NoUnit {
        /// The value given.
        text: String,
        /// The number.
        number: String,
    },
    /// Neither an RFC 3339 time nor a duration.
    #[error("{0:?} is neither an RFC 3339 time (2025-03-04T09:00:00Z) nor a duration (2h)")]
    NotATime(String),
}

/// `90s`, `15m`, `2h`, `7d`, `1h30m` → milliseconds.
pub fn duration_ms(s: &str) -> Result<i64, TimeArgError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(TimeArgError::Empty);
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1_000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            'w' => 7 * 86_400_000,
            _ => {
                return Err(TimeArgError::UnknownUnit {
                    text: s.to_owned(),
                    unit: c,
                })
            }
        };
        let n: i64 = number.parse().map_err(|_| TimeArgError::NoNumber {
            text: s.to_owned(),
            unit: c,
        })?;
        number.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| TimeArgError::TooLong(s.to_owned()))?;
    }
    if !number.is_empty() {
        return Err(TimeArgError::NoUnit {
            text: s.to_owned(),
            number,
        });
    }
    Ok(total)
}

/// An RFC 3339 time, or a duration meaning that long ago.
pub fn time_ms(s: &str, now_ms: i64) -> Result<i64, TimeArgError> {
    if let Some(nanos) = parse_rfc3339(s.trim()) {
        return Ok(nanos.div_euclid(1_000_000));
    }
    duration_ms(s)
        .map(|d| now_ms - d)
        .map_err(|_| TimeArgError::NotATime(s.to_owned()))
}

#[cfg(test)]
mod tests;
