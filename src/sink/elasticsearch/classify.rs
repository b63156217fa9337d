//! One `_bulk` response → one outcome per document (`docs/sinks.md` §2.3–2.4).
//! Pure: status and body in, decision out.
//!
//! The rules that keep at-least-once without duplicates piling up:
//! a 200 is not "all done" (read `errors`/`items` item by item); a 409 on
//! `create` means the id is already stored (a replay), so it is accepted;
//! only 429/5xx items are worth resending; a response we cannot match to
//! what we sent is ambiguous, and resending it is safe because of `_id`.

use std::borrow::Cow;

use serde::Deserialize;

use super::config::Action;
use crate::sink::http::status::{self, Class};
use crate::sink::http::Verdict;
use crate::sink::Outcome;

/// Per-item outcomes and what they hide.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Items {
    /// One outcome per document, in request order.
    pub outcomes: Vec<Outcome>,
    /// 409 on `create`: already stored by an earlier attempt.
    pub duplicates: usize,
    /// 2xx with `failure_store: used`: ES stored it in the data stream's
    /// failure store instead (accepted, but someone should look).
    pub failure_store: usize,
}

/// Classifies an HTTP status and body: the shared status table first
/// ([`status::class`]), then what `_bulk` adds. `ids` are the `_id`s
/// sent, in order.
pub(crate) fn classify(status: u16, body: &[u8], ids: &[&str], op: Action) -> Verdict<Items> {
    let summary = || error_summary(body);
    match status::class(status) {
        Class::Success => match items(body, ids, op) {
            Ok(items) => Verdict::Protocol(items),
            Err(why) => Verdict::All(Outcome::Ambiguous(format!("HTTP {status} but {why}; resending (ids make it safe)"))),
        },
        Class::TooLarge => Verdict::TooLarge(format!("HTTP 413{}", summary())),
        Class::Retry => Verdict::All(Outcome::Retryable(format!("HTTP {status}{}", summary()))),
        Class::Misconfigured => Verdict::All(Outcome::Misconfigured(match status {
            401 | 403 => format!(
                "HTTP {status}{}: check the credentials and the role's privileges (create_doc / create_index on the target)",
                summary()
            ),
            404 => format!("HTTP 404{}: check `endpoint` (a path prefix?)", summary()),
            400 => format!(
                "HTTP 400 for the whole request{}: a parameter the server refuses (wrong `flavor`?) or a bug; not retried blindly",
                summary()
            ),
            _ => format!("unexpected HTTP {status}{}", summary()),
        })),
    }
}

#[derive(Deserialize)]
struct BulkResponse<'a> {
    #[serde(borrow, default)]
    items: Option<Vec<ItemWrap<'a>>>,
}

/// `{"<op>": {...}}`: the key is the action; we only sent one kind.
#[derive(Deserialize)]
struct ItemWrap<'a> {
    #[serde(borrow, alias = "index", alias = "update", alias = "delete")]
    create: Item<'a>,
}

#[derive(Deserialize)]
struct Item<'a> {
    status: Option<u16>,
    #[serde(borrow, rename = "_id")]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error: Option<ItemError<'a>>,
    #[serde(borrow)]
    failure_store: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ItemError<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reason: Option<Cow<'a, str>>,
}

/// Why a 2xx body cannot be matched to what was sent: the request is
/// ambiguous (resent whole; `_id` keeps it free of duplicates).
#[derive(Debug, thiserror::Error)]
enum Unmatched {
    #[error("the body is not a bulk response ({0})")]
    NotBulk(serde_json::Error),
    #[error("the body has no `items`")]
    NoItems,
    #[error("{got} items came back for {sent} documents")]
    Count { got: usize, sent: usize },
    #[error("item {i} is for `_id` {id}, not {sent}")]
    OtherId { i: usize, id: String, sent: String },
    #[error("item {0} has no status")]
    NoStatus(usize),
}

fn items(body: &[u8], ids: &[&str], op: Action) -> Result<Items, Unmatched> {
    let parsed: BulkResponse = serde_json::from_slice(body).map_err(Unmatched::NotBulk)?;
    let list = parsed.items.ok_or(Unmatched::NoItems)?;
    if list.len() != ids.len() {
        return Err(Unmatched::Count {
            got: list.len(),
            sent: ids.len(),
        });
    }
    let mut out = Items {
        outcomes: Vec::with_capacity(list.len()),
        ..Items::default()
    };
    for (i, (wrap, sent)) in list.into_iter().zip(ids).enumerate() {
        let item = wrap.create;
        if let Some(id) = &item.id {
            if id != sent {
                return Err(Unmatched::OtherId {
                    i,
                    id: id.to_string(),
                    sent: sent.to_string(),
                });
            }
        }
        let Some(status) = item.status else {
            return Err(Unmatched::NoStatus(i));
        };
        let (kind, reason) = match &item.error {
            Some(e) => (
                e.kind.as_deref().unwrap_or("error"),
                e.reason.as_deref().unwrap_or(""),
            ),
            None => ("", ""),
        };
        let outcome = item_outcome(status, kind, reason, op);
        if status == 409 && outcome == Outcome::Accepted {
            out.duplicates += 1;
        }
        if (200..300).contains(&status) && item.failure_store.as_deref() == Some("used") {
            out.failure_store += 1;
        }
        out.outcomes.push(outcome);
    }
    Ok(out)
}

/// Error types that say the sink (index, pipeline, privileges) is wrong,
/// not the document: dead-lettering every event would hide the problem.
const MISCONFIG_TYPES: &[&str] = &[
    "index_not_found_exception",
    "invalid_index_name_exception",
    "index_closed_exception",
    "security_exception",
];

/// One item's status and error → outcome.
pub(crate) fn item_outcome(status: u16, kind: &str, reason: &str, op: Action) -> Outcome {
    let what = || {
        if reason.is_empty() {
            format!("{kind} ({status})")
        } else {
            format!("{kind}: {reason}")
        }
    };
    match status {
        200..=299 => Outcome::Accepted,
        409 if op == Action::Create => Outcome::Accepted,
        408 | 409 | 429 | 500..=599 => Outcome::Retryable(format!("item {}", what())),
        401 | 403 | 404 => Outcome::Misconfigured(what()),
        _ if MISCONFIG_TYPES.contains(&kind) => Outcome::Misconfigured(what()),
        // Ingest pipeline missing: every document would fail the same way.
        400 if reason.starts_with("pipeline with id [") && reason.ends_with("does not exist") => {
            Outcome::Misconfigured(format!("{}; check `pipeline`", what()))
        }
        // `index` action into a data stream: the target is misconfigured.
        400 if reason.contains("op_type of create") => {
            Outcome::Misconfigured(format!("{}; use `data_stream`", what()))
        }
        400..=499 => Outcome::Rejected {
            reason: what(),
            status: Some(status.to_string()),
        },
        _ => Outcome::Ambiguous(format!("unexpected item status {}", what())),
    }
}

/// `": type: reason"` from an ES error body, or nothing when unreadable.
fn error_summary(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::new();
    };
    match &v["error"] {
        serde_json::Value::String(t) => format!(": {t}"),
        e @ serde_json::Value::Object(_) => format!(
            ": {}: {}",
            e["type"].as_str().unwrap_or("error"),
            e["reason"].as_str().unwrap_or("")
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz;
