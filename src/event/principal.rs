//! Principals (rule NP of `docs/audit-log-format.md` §7).
//!
//! The broker dialect writes a string `Type:name` (split at the *first*
//! `:`; the name may hold `:`, `=`, `,`, `/`). The cloud dialect writes an
//! object naming a user, a service account or an external account. The id
//! prefix (`u-`, `sa-`, `pool-`, `group-`), not the type, says what kind of
//! principal it is.

use std::borrow::Cow;

use super::view::{Field, RawJson};
use serde::{Deserialize, Serialize};

/// What kind of identity a normalised principal names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    ServiceAccount,
    IdentityPool,
    GroupMapping,
    External,
    UnknownUser,
    ConfluentStaff,
    Other,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::ServiceAccount => "service_account",
            PrincipalKind::IdentityPool => "identity_pool",
            PrincipalKind::GroupMapping => "group_mapping",
            PrincipalKind::External => "external",
            PrincipalKind::UnknownUser => "unknown_user",
            PrincipalKind::ConfluentStaff => "confluent_staff",
            PrincipalKind::Other => "other",
        }
    }
}

#[derive(Deserialize)]
struct Object<'a> {
    #[serde(borrow, default)]
    email: Field<'a>,
    #[serde(
        default,
        rename = "confluentServiceAccount",
        alias = "confluent_service_account"
    )]
    service_account: Option<IdHolder<'a>>,
    #[serde(default, rename = "confluentUser", alias = "confluent_user")]
    user: Option<IdHolder<'a>>,
    #[serde(default, rename = "externalAccount", alias = "external_account")]
    external: Option<External<'a>>,
}

#[derive(Deserialize)]
struct IdHolder<'a> {
    #[serde(borrow, default, rename = "resourceId", alias = "resource_id")]
    resource_id: Field<'a>,
}

#[derive(Deserialize)]
struct External<'a> {
    #[serde(borrow, default)]
    subject: Field<'a>,
}

/// Normalises a principal given as raw JSON (string or object).
/// `resource_id` is `authenticationInfo.principalResourceId`.
/// Returns `(normalized, email)`, borrowed from `raw` when they appear in it
/// unchanged (the common `"User:sa-…"` string).
pub fn normalize<'a>(
    raw: impl Into<RawJson<'a>>,
    resource_id: Option<&str>,
) -> (Option<Cow<'a, str>>, Option<Cow<'a, str>>) {
    let text = raw.into().get();
    match text.as_bytes().first() {
        Some(b'"') => {
            // A JSON string without a backslash is its own text between the
            // quotes (the raw value is valid JSON, so the only special byte
            // its body can hold is a backslash); only escapes need decoding.
            if text.len() >= 2
                && text.ends_with('"')
                && super::escape::first_special(&text.as_bytes()[1..text.len() - 1]).is_none()
            {
                let inner = &text[1..text.len() - 1];
                return (normalize_str(inner, resource_id), None);
            }
            let Some(s) = text
                .get(1..text.len().saturating_sub(1))
                .and_then(super::escape::unescape)
            else {
                return (None, None);
            };
            // `normalize_str` borrows only when the answer is the decoded
            // string itself (`User:CN=alice,…`): hand that string over
            // rather than copying it.
            let n = match normalize_str(&s, resource_id) {
                Some(Cow::Borrowed(_)) => Some(s),
                n => n.map(Cow::into_owned),
            };
            (n.map(Cow::Owned), None)
        }
        Some(b'{') => match serde_json::from_str::<Object>(text) {
            Ok(o) => (
                normalize_object(&o).map(Cow::Owned),
                o.email.non_empty().map(|e| Cow::Owned(e.to_owned())),
            ),
            Err(_) => (None, None),
        },
        _ => (None, None),
    }
}

/// Rule NP step 2, for string principals: `s` itself when it already has
/// the `Type:name` form.
pub fn normalize_str<'a>(s: &'a str, resource_id: Option<&str>) -> Option<Cow<'a, str>> {
    if s.is_empty() {
        return None;
    }
    let split = split_colon(s);
    let (kind, name) = split.unwrap_or(("User", s));
    if kind == "User" && !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(id) = resource_id.filter(|id| !id.is_empty()) {
            return Some(Cow::Owned(join("User", id)));
        }
    }
    match split {
        Some(_) => Some(Cow::Borrowed(s)),
        None => Some(Cow::Owned(join(kind, name))),
    }
}

/// `s.split_once(':')`, by a byte loop: principals are short, and the
/// `char` searcher's setup cost more than the search.
#[inline]
fn split_colon(s: &str) -> Option<(&str, &str)> {
    let at = s.bytes().position(|b| b == b':')?;
    // `:` is ASCII, so `at` and `at + 1` are character boundaries.
    Some((&s[..at], &s[at + 1..]))
}

/// `kind:name` in one allocation (`format!` costs several times more on
/// the hot path).
fn join(kind: &str, name: &str) -> String {
    let mut s = String::with_capacity(kind.len() + 1 + name.len());
    s.push_str(kind);
    s.push(':');
    s.push_str(name);
    s
}

fn normalize_object(o: &Object) -> Option<String> {
    let id = o
        .service_account
        .as_ref()
        .and_then(|h| h.resource_id.non_empty())
        .or_else(|| o.user.as_ref().and_then(|h| h.resource_id.non_empty()));
    if let Some(id) = id {
        let id = id.strip_prefix("User:").unwrap_or(id);
        return Some(join("User", id));
    }
    o.external
        .as_ref()
        .and_then(|e| e.subject.as_str())
        .map(|s| join("External", s))
}

/// The kind of a normalised principal.
pub fn kind_of(normalized: &str) -> PrincipalKind {
    let (kind, name) = split_colon(normalized).unwrap_or(("User", normalized));
    match kind {
        "None" if name == "UNKNOWN_USER" => PrincipalKind::UnknownUser,
        "External" => PrincipalKind::External,
        "User" if name == "confluent.privileged" => PrincipalKind::ConfluentStaff,
        "User" if name.starts_with("sa-") => PrincipalKind::ServiceAccount,
        "User" if name.starts_with("pool-") => PrincipalKind::IdentityPool,
        "User" if name.starts_with("group-") => PrincipalKind::GroupMapping,
        "User" => PrincipalKind::User,
        _ => PrincipalKind::Other,
    }
}

#[cfg(test)]
mod tests;
