//! Envelope validity: which records go to the dead-letter store, and why
//! (`docs/audit-log-format.md` §11 and the fixtures' dead-letter policy).

use serde::de::IgnoredAny;
use thiserror::Error;

use super::view::{Envelope, Field, Obj};

/// serde_json's own recursion limit; deeper records are dead-lettered.
pub const MAX_DEPTH: usize = 128;

/// Why a record cannot be forwarded. The `code()` is stable (metrics
/// labels, dead-letter entries); the message carries the detail.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DeadLetterReason {
    #[error("not_utf8: invalid UTF-8 at byte {valid_up_to}")]
    NotUtf8 { valid_up_to: usize },
    #[error("too_large: {bytes} bytes, the limit is {max}")]
    TooLarge { bytes: usize, max: usize },
    #[error("too_deep: nesting deeper than {MAX_DEPTH}")]
    TooDeep,
    #[error("not_json: {0}")]
    NotJson(String),
    #[error("not_object: the record is {0}, not a JSON object")]
    NotObject(&'static str),
    #[error("invalid_attribute: `{name}` is {found}, expected a non-empty string")]
    InvalidAttribute {
        name: &'static str,
        found: &'static str,
    },
    #[error("unsupported_specversion: {0:?} (accepted: \"1.0\", \"0.3\")")]
    UnsupportedSpecversion(String),
    #[error("missing_data: the event has no `data` object")]
    MissingData,
    #[error("data_not_object: `data` is {0}")]
    DataNotObject(&'static str),
    #[error("foreign_type: {0:?} is not an io.confluent.* event type")]
    ForeignType(String),
    #[error("verdict_type: `{field}` is {found}, expected {expected}")]
    VerdictType {
        field: &'static str,
        found: &'static str,
        expected: &'static str,
    },
    #[error("invalid_shape: {0}")]
    InvalidShape(String),
}

impl DeadLetterReason {
    /// The stable code: the part of the message before the colon.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotUtf8 { .. } => "not_utf8",
            Self::TooLarge { .. } => "too_large",
            Self::TooDeep => "too_deep",
            Self::NotJson(_) => "not_json",
            Self::NotObject(_) => "not_object",
            Self::InvalidAttribute { .. } => "invalid_attribute",
            Self::UnsupportedSpecversion(_) => "unsupported_specversion",
            Self::MissingData => "missing_data",
            Self::DataNotObject(_) => "data_not_object",
            Self::ForeignType(_) => "foreign_type",
            Self::VerdictType { .. } => "verdict_type",
            Self::InvalidShape(_) => "invalid_shape",
        }
    }
}

/// Checks size, encoding, depth and shape, and returns the text and the
/// parsed view of a record that may be forwarded.
pub fn parse(raw: &[u8], max_bytes: usize) -> Result<(&str, Envelope<'_>), DeadLetterReason> {
    let mut env = super::scan::empty();
    let text = parse_with(raw, max_bytes, false, &mut env)?;
    Ok((text, env))
}

/// [`parse`] into the caller's `env` (fresh from [`super::scan::empty`]):
/// the view is about 750 bytes, and returning it in the `Result` cost a
/// copy per event on the hot path ([`crate::process::Processor`]). On an
/// error `env` is left partly filled.
pub fn parse_into<'a>(
    raw: &'a [u8],
    max_bytes: usize,
    env: &mut Envelope<'a>,
) -> Result<&'a str, DeadLetterReason> {
    parse_with(raw, max_bytes, false, env)
}

/// The CloudEvents `type` of the bridge's own alerts (`docs/detect.md`).
/// Valid only for records the bridge made itself ([`parse_own`]): on the
/// audit topic it is a foreign type like any other.
pub const ALERT_TYPE: &str = "io.siem-bridge.detection.alert";

/// [`parse`] for a record the bridge made itself: an alert, whose type is
/// [`ALERT_TYPE`] rather than `io.confluent.*`.
pub fn parse_own(raw: &[u8]) -> Result<(&str, Envelope<'_>), DeadLetterReason> {
    let mut env = super::scan::empty();
    let text = parse_with(raw, usize::MAX, true, &mut env)?;
    Ok((text, env))
}

fn parse_with<'a>(
    raw: &'a [u8],
    max_bytes: usize,
    own: bool,
    out: &mut Envelope<'a>,
) -> Result<&'a str, DeadLetterReason> {
    if raw.len() > max_bytes {
        return Err(DeadLetterReason::TooLarge {
            bytes: raw.len(),
            max: max_bytes,
        });
    }
    let text = super::scan::text(raw).map_err(|e| DeadLetterReason::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    // The scanner takes plain records (and never accepts one nested deeper
    // than MAX_DEPTH); serde_json decides everything else and words the
    // reasons (see `scan`).
    if super::scan::read(text, out) {
        check(out, own)?;
        return Ok(text);
    }
    if exceeds_depth(raw, MAX_DEPTH) {
        return Err(DeadLetterReason::TooDeep);
    }
    let first = raw.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first != Some(b'{') {
        return Err(match serde_json::from_str::<IgnoredAny>(text) {
            Ok(_) => DeadLetterReason::NotObject(match first {
                Some(b'[') => "an array",
                Some(b'"') => "a string",
                Some(b'n') => "null",
                Some(b't' | b'f') => "a boolean",
                _ => "a number",
            }),
            Err(e) => DeadLetterReason::NotJson(e.to_string()),
        });
    }
    let env: Envelope = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => DeadLetterReason::InvalidShape(e.to_string()),
        _ => DeadLetterReason::NotJson(e.to_string()),
    })?;
    check(&env, own)?;
    *out = env;
    Ok(text)
}

fn check(env: &Envelope, own: bool) -> Result<(), DeadLetterReason> {
    for (name, f) in [
        ("id", &env.id),
        ("source", &env.source),
        ("type", &env.event_type),
    ] {
        if f.non_empty().is_none() {
            let found = match f {
                Field::Str(_) => "an empty string",
                other => other.kind(),
            };
            return Err(DeadLetterReason::InvalidAttribute { name, found });
        }
    }
    match env.specversion.as_str() {
        Some("1.0" | "0.3") => {}
        Some(other) => return Err(DeadLetterReason::UnsupportedSpecversion(other.into())),
        None => {
            return Err(DeadLetterReason::InvalidAttribute {
                name: "specversion",
                found: env.specversion.kind(),
            })
        }
    }
    let ty = env.event_type.as_str().unwrap_or_default();
    let ours = own && ty == ALERT_TYPE;
    if !ty.starts_with("io.confluent.") && !ours {
        return Err(DeadLetterReason::ForeignType(ty.to_owned()));
    }
    let data = match &env.data {
        Obj::Object(d) => d,
        Obj::Absent | Obj::Null => return Err(DeadLetterReason::MissingData),
        Obj::Other(kind) => return Err(DeadLetterReason::DataNotObject(kind)),
    };
    for (field, obj) in [
        (
            "data.authenticationInfo",
            data.authentication_info.wrong_kind(),
        ),
        (
            "data.authorizationInfo",
            data.authorization_info.wrong_kind(),
        ),
        ("data.result", data.result.wrong_kind()),
    ] {
        if let Some(found) = obj {
            return Err(DeadLetterReason::VerdictType {
                field,
                found,
                expected: "an object",
            });
        }
    }
    if let Some(authz) = data.authorization_info.get() {
        expect(&authz.granted, "data.authorizationInfo.granted", Kind::Bool)?;
        expect(&authz.result, "data.authorizationInfo.result", Kind::Str)?;
    }
    if let Some(authn) = data.authentication_info.get() {
        expect(&authn.result, "data.authenticationInfo.result", Kind::Str)?;
    }
    if let Some(result) = data.result.get() {
        expect(&result.status, "data.result.status", Kind::Str)?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Kind {
    Bool,
    Str,
}

/// A verdict field must have its schema type, or be absent or null.
fn expect(f: &Field, field: &'static str, kind: Kind) -> Result<(), DeadLetterReason> {
    let ok = matches!(
        (f, kind),
        (Field::Absent | Field::Null, _)
            | (Field::Bool(_), Kind::Bool)
            | (Field::Str(_), Kind::Str)
    );
    if ok {
        return Ok(());
    }
    let expected = match kind {
        Kind::Bool => "a boolean",
        Kind::Str => "a string",
    };
    Err(DeadLetterReason::VerdictType {
        field,
        found: f.kind(),
        expected,
    })
}

/// Whether `raw` nests arrays and objects deeper than `max`. A count of
/// opening brackets is a cheap upper bound; only records with more than
/// `max` of them are scanned exactly.
fn exceeds_depth(raw: &[u8], max: usize) -> bool {
    let opens = memchr::memchr2_iter(b'{', b'[', raw).count();
    if opens <= max {
        return false;
    }
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    for &b in raw {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests;
