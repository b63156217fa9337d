//! A change that was only tried: `authorizationInfo.dryRun` (the newer
//! audit schema, docs/audit-log-format.md §3A and §3B; snake case
//! `authorization_info.dry_run` as the payload aliases of §3B). A granted
//! dry run asks whether the principal *could* delete a topic or bind a
//! role, and does neither: it is no deletion and no privilege change.
//!
//! A denied dry run is no denial either, and a granted one no grant: the
//! principal asked, and did not try (`denial_burst`,
//! `denied_then_granted`, `privilege_change_during_denials`' bursts).
//!
//! Read from the scanner's ranges ([`dry_run`]: the value's bytes, no
//! parse) when it vouches for them, else from the JSON.

use serde::{Deserialize, Deserializer};

use super::extras::{object, Scalar};
use crate::event::extra::{Extra, ExtraSpans};

/// [`is_dry_run`], read from the scanner's ranges when it vouches for
/// them (`true` is the JSON literal's text), else from the JSON.
#[inline]
pub fn dry_run(spans: &ExtraSpans, raw: &[u8]) -> bool {
    if !spans.usable(raw) {
        return is_dry_run(raw);
    }
    let is_true = |f| {
        spans
            .get(f)
            .is_some_and(|r| raw.get(r) == Some(&b"true"[..]))
    };
    is_true(Extra::DryRun) || is_true(Extra::DryRunSnake)
}

/// True when the event's `authorizationInfo.dryRun` (or
/// `authorization_info.dry_run`) is `true`. Anything else — absent, false,
/// a string, JSON the typed read refuses — is not a dry run: an event the
/// rules cannot read so is taken as what its verdict says.
pub fn is_dry_run(raw: &[u8]) -> bool {
    let finder = |k: &[u8]| memchr::memmem::find(raw, k).is_some();
    if !finder(b"\"dryRun\"") && !finder(b"\"dry_run\"") {
        return false;
    }
    serde_json::from_slice::<Record>(raw).is_ok_and(|r| {
        let (a, b) = (&r.data.authorization_info, &r.data.authorization_info_snake);
        a.camel.0 || a.snake.0 || b.camel.0 || b.snake.0
    })
}

#[derive(Deserialize, Default)]
struct Record {
    #[serde(default, deserialize_with = "object")]
    data: Data,
}

#[derive(Deserialize, Default)]
struct Data {
    #[serde(default, rename = "authorizationInfo", deserialize_with = "object")]
    authorization_info: Authz,
    #[serde(default, rename = "authorization_info", deserialize_with = "object")]
    authorization_info_snake: Authz,
}

#[derive(Deserialize, Default)]
struct Authz {
    #[serde(default, rename = "dryRun")]
    camel: Flag,
    #[serde(default, rename = "dry_run")]
    snake: Flag,
}

/// `true` only for the JSON literal `true`; any other value is false.
#[derive(Default)]
struct Flag(bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Flag(matches!(Scalar::deserialize(d)?, Scalar::Bool(true))))
    }
}

#[cfg(test)]
mod tests {
    use super::is_dry_run;

    #[test]
    fn only_a_true_flag_in_the_authorization_is_a_dry_run() {
        let ev = |authz: &str| {
            format!(
                r#"{{"id":"x","data":{{"methodName":"kafka.DeleteTopics","authorizationInfo":{authz}}}}}"#
            )
        };
        assert!(is_dry_run(
            ev(r#"{"granted":true,"dryRun":true}"#).as_bytes()
        ));
        assert!(!is_dry_run(
            ev(r#"{"granted":true,"dryRun":false}"#).as_bytes()
        ));
        assert!(!is_dry_run(
            ev(r#"{"granted":true,"dryRun":"true"}"#).as_bytes()
        ));
        assert!(!is_dry_run(ev(r#"{"granted":true}"#).as_bytes()));
        let snake = r#"{"data":{"authorization_info":{"dry_run":true}}}"#;
        assert!(is_dry_run(snake.as_bytes()));
        // The key elsewhere (a request's own data) is not the verdict's.
        let elsewhere =
            r#"{"data":{"request":{"data":{"dryRun":true}},"authorizationInfo":{"granted":true}}}"#;
        assert!(!is_dry_run(elsewhere.as_bytes()));
        // JSON the typed read refuses is taken at its verdict.
        assert!(!is_dry_run(
            br#"{"data":{"authorizationInfo":{"dryRun":true}"#
        ));
    }
}
