//! What the aggregation reads of one event, read once and shared by the
//! chains, the principals and the counters.

use std::borrow::Cow;
use std::sync::LazyLock;

use crate::detect::facts::{Authn, Extras, Facts};
use crate::event::Enrichment;

/// `connection_id` or `connectionId` may be in the record: built once (a
/// searcher made per event cost more than the search).
static CONNECTION: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new(b"onnection"));

/// How an event ended, as the report counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Denied,
    Granted,
    AuthFailed,
    AuthSucceeded,
    /// Any other verdict (`success`, `failure`, `unknown`).
    Other(&'static str),
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Denied => "denied",
            Outcome::Granted => "granted",
            Outcome::AuthFailed => "auth_failed",
            Outcome::AuthSucceeded => "auth_succeeded",
            Outcome::Other(v) => v,
        }
    }

    /// Denied authorizations and failed authentications: what the tops
    /// count and what makes a chain notable.
    pub fn refused(self) -> bool {
        matches!(self, Outcome::Denied | Outcome::AuthFailed)
    }
}

/// One event, as the aggregation sees it.
#[derive(Debug)]
pub struct Observed<'a> {
    pub e: &'a Enrichment,
    /// Event time, Unix nanoseconds.
    pub time: i64,
    /// Normalised principal; `None:UNKNOWN_USER` is kept (it is who failed
    /// to log in, as the event says).
    pub principal: Option<&'a str>,
    pub source_ip: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub connection_id: Option<String>,
    pub outcome: Outcome,
    /// The operation, or the method when the event names none.
    pub operation: Option<&'a str>,
    /// The resource's own name (`orders`).
    pub resource_name: Option<&'a str>,
    /// The resource's kind (`topic`, `Topic`, …).
    pub resource_type: Option<&'a str>,
    /// The full CRN.
    pub resource_crn: Option<&'a str>,
    /// The resource name matches `[severity] sensitive_resources`.
    pub sensitive: bool,
    /// A granted change of who may do what (ACL, role binding).
    pub privilege_change: bool,
    /// [`Observed::resource_label`], made once.
    label: Option<Cow<'a, str>>,
    /// [`Observed::resource_hash`], made once.
    label_hash: Option<u64>,
}

impl<'a> Observed<'a> {
    /// Reads `e` (and, for the few events that need it, `raw`).
    pub fn new(
        e: &'a Enrichment,
        raw: &[u8],
        time: i64,
        sensitive: impl Fn(&str) -> bool,
    ) -> Observed<'a> {
        let f = Facts::new(e, raw);
        let outcome = match f.authn {
            Authn::Failed => Outcome::AuthFailed,
            Authn::Succeeded => Outcome::AuthSucceeded,
            Authn::NotAuthn if f.denied => Outcome::Denied,
            Authn::NotAuthn if f.granted => Outcome::Granted,
            Authn::NotAuthn => Outcome::Other(e.verdict.as_str()),
        };
        // The connection id lives in the JSON only; look for it only
        // where the record names one.
        let connection_id = f.extras().connection_id.clone().or_else(|| {
            CONNECTION.find(raw).and_then(|_| {
                Extras::from_spans(raw, &e.extras)
                    .unwrap_or_else(|| Extras::read(raw))
                    .connection_id
            })
        });
        let crn = e.crn();
        let resource_name = crn.resource_name.or(e.resource_name());
        let resource_type = crn.resource_type.or(e.resource_type());
        let mut o = Observed {
            e,
            time,
            principal: e.principal().normalized,
            source_ip: e.source_ip(),
            client_id: e.client_id(),
            connection_id,
            outcome,
            operation: e.operation().or(e.method()),
            resource_name,
            resource_type,
            resource_crn: crn.raw,
            sensitive: resource_name.is_some_and(sensitive),
            privilege_change: f.privilege_change,
            label: None,
            label_hash: None,
        };
        o.label = o.make_label();
        o.label_hash = o.label.as_deref().map(|l| fnv(l.as_bytes()));
        o
    }

    /// `topic=orders`: the resource as the report names it.
    pub fn resource_label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// Borrowed from the CRN when its last part says just `topic=orders`
    /// (the usual case), built otherwise.
    fn make_label(&self) -> Option<Cow<'a, str>> {
        let n = self.resource_name?;
        if let Some(last) = self.resource_crn.and_then(|c| c.rsplit('/').next()) {
            if let Some((k, v)) = last.split_once('=') {
                if v == n && self.resource_type == Some(k) {
                    return Some(Cow::Borrowed(last));
                }
            }
        }
        Some(match self.resource_type {
            Some(t) => Cow::Owned(format!("{}={n}", t.to_ascii_lowercase())),
            None => Cow::Borrowed(n),
        })
    }

    /// A hash of [`Observed::resource_label`] (FNV-1a).
    pub fn resource_hash(&self) -> Option<u64> {
        self.label_hash
    }
}

/// FNV-1a of `b`: cheap and fixed (the same input, the same hash).
pub fn fnv(b: &[u8]) -> u64 {
    crate::detect::alert::fnv1a(crate::detect::alert::FNV_OFFSET, b)
}
