//! What every HTTP sink shares, so that each sink folder holds only what
//! its protocol adds (`docs/sinks.md` for the protocols themselves).
//!
//! | file | concept |
//! |---|---|
//! | [`client`] | the `reqwest` client: rustls with the sink's `tls.*`, timeouts, user agent, headers |
//! | [`exchange`] | one request → [`Answer`] (status, body, `Retry-After`) or [`Failure`] (what is known about delivery) |
//! | [`status`] | THE status table: HTTP status → [`status::Class`] |
//! | [`split`] | the 413 rule: halve the request, reject a document refused alone |
//!
//! Plus [`Verdict`], the shape every sink's `classify` returns, and
//! [`not_sent`], the outcome of the documents an attempt gives up on.
//!
//! # The status table, and 501
//!
//! One table ([`status::class`]) decides what a status means for every
//! HTTP sink: 2xx success (the sink reads the body), 413 split, 408 and
//! 429 retry, **501 misconfigured**, every other 5xx retry, everything
//! else misconfigured. A sink may *refine* a class from the body (HEC's
//! 400 code 6 is one bad event, ES reads `items` on a 2xx, HEC's 400 code
//! 11 rotates the channel) and words each message for its own keys, but
//! never turns a retried status into a paused one or back.
//!
//! 501 Not Implemented means the server (or a proxy in front of it) does
//! not implement the method or endpoint we call: sending the same request
//! again cannot succeed, so it is `Misconfigured` (the pipeline pauses
//! the sink, reports it unhealthy and resends later; nothing is
//! dead-lettered). Vector decides the same (`retry_action` in its
//! `src/sinks/util/http.rs`: "endpoint not implemented" is not retried,
//! every other 5xx is). Before this table existed HEC retried a 501 and
//! Elasticsearch paused on it; HEC now pauses too. 505 and 506 follow the
//! general 5xx rule (retry), as in Vector; Elasticsearch used to pause on
//! them.

pub(crate) mod client;
pub(crate) mod exchange;
pub(crate) mod split;
pub(crate) mod status;

pub(crate) use client::{client, ClientOptions};
pub(crate) use exchange::{exchange, Answer, Failure};

use super::Outcome;

/// What one answer means for the documents of its request: the shape
/// every HTTP sink's `classify` returns. `D` is what only that sink's
/// protocol says about a successful (or partly successful) request: HEC's
/// ackId or bad-event number, Elasticsearch's per-item results.
///
/// Syslog has no answers to classify (it writes to a stream and watches
/// the connection), so its `classify` keeps its own connection-level
/// types. The other `Verdict`s in the crate mean something else:
/// `event::Verdict` is an audit event's authorization result,
/// `validate::Verdict` the result of one `validate` check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict<D> {
    /// Every document of the request gets this outcome (retry, pause,
    /// ambiguous); the rest of the batch is not sent in this attempt.
    All(Outcome),
    /// HTTP 413: halve the request ([`split`]); a document refused alone
    /// is rejected. The text says what the server answered.
    TooLarge(String),
    /// What only this sink's protocol says about the request (HEC: ackId,
    /// one bad event, channel lost; Elasticsearch: one result per item).
    Protocol(D),
}

/// The outcome for the documents an attempt does not send because a
/// whole request before them failed with `o` (a sick server sees one
/// request per attempt, not a storm); `None` when `o` does not end the
/// attempt.
pub(crate) fn not_sent(o: &Outcome) -> Option<Outcome> {
    match o {
        Outcome::Accepted | Outcome::Rejected { .. } => None,
        Outcome::Misconfigured(m) => Some(Outcome::Misconfigured(format!("not sent: {m}"))),
        Outcome::Retryable(m) | Outcome::Ambiguous(m) => Some(Outcome::Retryable(format!(
            "not sent after an earlier request of the batch failed: {m}"
        ))),
    }
}
