//! What the detection rules need to know about one event, read from its
//! [`Enrichment`] and, for the few events that need more, from its JSON.
//!
//! The enrichment answers most questions (principal, source address,
//! verdict, CRN, operation). Four facts are not in it: the credential a
//! failed login tried (`authenticationInfo.metadata.identifier` or the
//! cloud dialect's `credentials.*.credentialId`), the connection id, the
//! target pattern of a role binding (`request.data.crn_pattern`) and the
//! error type of a failed data-plane request. They are decoded ([`Extras`])
//! only for events that are authentications, denials, failures or
//! privilege changes — a small share of a real stream — so a granted read
//! costs nothing extra; from the byte ranges the scanner kept
//! ([`crate::event::extra`]), or, when it could not vouch for them, by a
//! second, typed parse of the record. `docs/audit-log-format.md`
//! §7–§8 define the principal and verdict rules used here.

use std::cell::OnceCell;
use std::sync::Arc;

use super::alert::EventRef;
use super::dry_run::dry_run;
pub use super::extras::Extras;
use super::intern::Interner;
pub use super::resource::{crn_identity, is_plain_identity, ResourcePath};

use super::words::{is_login_method, is_look_only, is_privilege_change, is_removal, verb_at};
use crate::event::{CrnField, Enrichment, Verdict};

/// The extras of an event that needs none.
static NO_EXTRAS: Extras = Extras {
    identifier: None,
    connection_id: None,
    crn_pattern: None,
    pattern_type: None,
    error_type: None,
    target_principal: None,
};

/// What an authentication event says, if it is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authn {
    NotAuthn,
    Failed,
    Succeeded,
}

/// The facts of one event.
#[derive(Debug)]
pub struct Facts<'a> {
    pub e: &'a Enrichment,
    pub id: &'a str,
    /// Event time, Unix nanoseconds.
    pub time: i64,
    /// Normalised principal; `None:UNKNOWN_USER` and absent principals are
    /// `None` here (they name nobody).
    pub principal: Option<&'a str>,
    pub source_ip: Option<&'a str>,
    pub authn: Authn,
    /// Denied authorization, or a data-plane request refused for lack of
    /// authorization (Confluent Cloud reports produce/fetch denials so).
    pub denied: bool,
    /// A request event that failed for a reason the event does not give
    /// (`result.status` FAILURE, no authorization error type): on Confluent
    /// Cloud, produce and fetch denials look so (docs/audit-log-format.md
    /// §8). `denial_burst` counts it on sensitive resources.
    pub failed_request: bool,
    /// Granted authorization.
    pub granted: bool,
    /// Granted or successful, and not a failed request.
    pub ok: bool,
    /// `ok`, and not an authorization check of a look-only operation
    /// ([`is_look_only`]): what may be a change. [`Facts::changed`] also
    /// rules out a dry run.
    pub changes: bool,
    /// A change of who may do what ([`is_privilege_change`], or a role
    /// binding request), not a dry run.
    pub privilege_change: bool,
    /// The event's JSON, read again by the rare checks that need it.
    raw: &'a [u8],
    /// `data.methodName` as written (empty when absent): rules match its
    /// words without regard to case ([`super::words`]).
    pub method: &'a str,
    /// The method in lower case ([`Facts::method_lc`]), made on first use.
    method_lc: OnceCell<String>,
    /// Where the method's last dot-separated part ([`verb`](super::words::verb))
    /// starts.
    verb_at: usize,
    pub operation: Option<&'a str>,
    /// The resource's display form: the raw CRN.
    pub resource_crn: Option<&'a str>,
    /// The resource's own name (last CRN value, or authorizationInfo's).
    pub resource_name: Option<&'a str>,
    /// The [`Extras`] of an event that needs them ([`Facts::extras`]);
    /// boxed, so that a granted event, which has none, does not write
    /// and move six empty fields with its facts (the move was a
    /// `memcpy` of the whole struct per event).
    extras: Option<Box<Extras>>,
    /// A box for extras, reused from event to event (`with_spare`'s
    /// `spare`): an event that needs extras allocates none.
    spare: Option<Box<Extras>>,
    /// The event as rules keep it, made on first use and then shared.
    event: OnceCell<Arc<EventRef>>,
}

impl<'a> Facts<'a> {
    /// Reads the facts of `e`; `raw` is the event's JSON, read again only
    /// when the event needs [`Extras`].
    pub fn new(e: &'a Enrichment, raw: &'a [u8]) -> Facts<'a> {
        Facts::with_spare(e, raw, None)
    }

    /// [`Facts::new`], with the [`Extras`], if the event needs them,
    /// written into `spare` (a box the caller reuses from event to event:
    /// take it back with [`Facts::into_spare`]).
    /// Inlined into `Detector::observe` (measured: 22 fewer instructions
    /// per granted event, BENCHMARKS.md "Detector", session det5), and
    /// made as one struct expression, nothing changed after, so that it
    /// is built in place rather than moved (session `hot`).
    #[inline(always)]
    pub fn with_spare(e: &'a Enrichment, raw: &'a [u8], spare: Option<Box<Extras>>) -> Facts<'a> {
        let principal = e.principal_normalized().filter(|p| !p.starts_with("None:"));
        let method = e.method().unwrap_or("");
        let verb_at = verb_at(method);
        // The verdict first: only a success needs the type and method read.
        let authn = if e.failed_auth && e.verdict == Verdict::Failure {
            Authn::Failed
        } else if e.verdict == Verdict::Success
            && (e.event_type().ends_with("/authentication") || is_login_method(method))
        {
            Authn::Succeeded
        } else {
            Authn::NotAuthn
        };
        // A CRN taken from `source` (the event has no `data.resourceName`
        // and no `subject`) names the service that logged the event, not
        // what it acted on: an authorization's own resource name (plain,
        // docs/audit-log-format.md §3A) is then the resource.
        let (crn_raw, crn_name) = match (e.crn_field(), e.resource_name()) {
            (Some(CrnField::Source), Some(_)) => (None, None),
            _ => e.crn_raw_and_name(),
        };
        let resource_name = crn_name.or_else(|| e.resource_name());
        let granted = e.verdict == Verdict::Allowed;
        let operation = e.operation();
        let ok = matches!(e.verdict, Verdict::Allowed | Verdict::Success) && !e.request_failed;
        // A change: granted or successful, not a look-only check
        // ([`is_look_only`]), and (read last, from the JSON: rare) not a
        // dry run.
        let changes = ok && !operation.is_some_and(is_look_only);
        let privilege_change = changes
            && (is_privilege_change(operation, &method[verb_at..])
                || (e.role().is_some() && !is_removal(&method[verb_at..])))
            && !dry_run(&e.extras, raw);
        let wants_extras = authn != Authn::NotAuthn
            || e.verdict == Verdict::Denied
            || e.request_failed
            || privilege_change;
        // A dry run asked, and did not try: no denial.
        let mut denied = e.verdict == Verdict::Denied && !dry_run(&e.extras, raw);
        // A granted event decodes no extras, and keeps the spare box.
        let (extras, spare) = if wants_extras {
            let x = Extras::from_spans(raw, &e.extras).unwrap_or_else(|| Extras::read(raw));
            denied |= e.request_failed
                && e.event_type().ends_with("/request")
                && x.error_type
                    .as_deref()
                    .is_some_and(|t| t.contains("AUTHORIZATION"));
            let mut b = spare.unwrap_or_default();
            *b = x;
            (Some(b), None)
        } else {
            (None, spare)
        };
        Facts {
            e,
            id: e.event_id(),
            time: e.time_unix_nanos,
            principal,
            source_ip: e.source_ip(),
            authn,
            denied,
            failed_request: e.request_failed && !denied && e.event_type().ends_with("/request"),
            granted,
            ok,
            changes,
            privilege_change,
            raw,
            method,
            method_lc: OnceCell::new(),
            verb_at,
            operation: operation.or_else(|| e.method()),
            resource_crn: crn_raw,
            resource_name,
            extras,
            spare,
            event: OnceCell::new(),
        }
    }

    /// A change that happened: [`Facts::changes`], and not a dry run
    /// (`authorizationInfo.dryRun`, read from the JSON: call it after the
    /// cheaper tests).
    pub fn changed(&self) -> bool {
        self.changes && !self.dry_run()
    }

    /// `authorizationInfo.dryRun` is `true` ([`dry_run`]).
    pub fn dry_run(&self) -> bool {
        dry_run(&self.e.extras, self.raw)
    }

    /// The facts read from the JSON ([`Extras`]); all absent for an event
    /// that needs none (a granted one).
    #[inline]
    pub fn extras(&self) -> &Extras {
        self.extras.as_deref().unwrap_or(&NO_EXTRAS)
    }

    /// `data.methodName` in lower case (empty when absent), made on first
    /// use (few events need it: a role binding, a method that deletes or
    /// creates).
    pub fn method_lc(&self) -> &str {
        self.method_lc
            .get_or_init(|| self.method.to_ascii_lowercase())
    }

    /// The method's last dot-separated part, as written
    /// ([`verb`](super::words::verb)).
    pub fn verb_raw(&self) -> &'a str {
        &self.method[self.verb_at..]
    }

    /// The method's last dot-separated part, in lower case.
    pub fn verb(&self) -> &str {
        &self.method_lc()[self.verb_at..]
    }

    /// The box given to [`Facts::with_spare`] (or the one the extras
    /// took), for the next event's.
    pub fn into_spare(self) -> Option<Box<Extras>> {
        self.extras.or(self.spare)
    }

    /// The event as rules keep it (one allocation per event, however many
    /// rules keep it).
    pub fn event(&self) -> Arc<EventRef> {
        self.event
            .get_or_init(|| Arc::new(EventRef::of(self)))
            .clone()
    }

    /// Makes the event as rules keep it now, its principal's and
    /// resource's text shared through `interner` ([`super::intern`]),
    /// rather than on first use with text of its own.
    pub fn share_text(&self, interner: &Interner) {
        self.event.get_or_init(|| {
            Arc::new(EventRef::interned(
                self.time,
                EventRef::fields_of(self),
                interner,
            ))
        });
    }

    /// The credential of an authentication: the identifier it tried, or
    /// its principal.
    pub fn identifier(&self) -> Option<&str> {
        self.extras().identifier.as_deref().or(self.principal)
    }

    /// The resource acted on, as a CRN path without authority
    /// (`kafka=lkc-1/topic=orders`), when the event names one. Parsed on
    /// demand: most rules never ask.
    pub fn resource_path(&self) -> Option<ResourcePath> {
        self.resource_crn.and_then(ResourcePath::parse_crn)
    }

    /// The resource's CRN without the parts only some of its forms write
    /// ([`crn_identity`]), and whether it is its own decoded path (no `%`
    /// escape, no empty segment: [`is_plain_identity`]): from the
    /// enrichment's cut of it (plain), or a scan when that cut is not.
    pub fn resource_identity(&self) -> Option<(&'a str, bool)> {
        let crn = self.resource_crn?;
        Some(match self.e.crn_identity() {
            Some(id) => (id, true),
            None => {
                let id = crn_identity(crn);
                (id, is_plain_identity(id))
            }
        })
    }

    /// The resource key of "the same resource": the CRN path without the
    /// scopes only some forms write ([`crn_identity`]), or the
    /// authorization's type and name.
    pub fn resource_key(&self) -> Option<String> {
        if let Some((r, _)) = self.resource_identity() {
            // `crn://x/` gives back a path to parse; the authority is
            // left out of the key either way.
            let crn = format!("crn:///{r}");
            if let Some(r) = ResourcePath::parse_crn(&crn) {
                return Some(r.display());
            }
        }
        match (self.e.resource_type(), self.e.resource_name()) {
            (Some(t), Some(n)) => Some(format!("{t}:{n}")),
            (None, Some(n)) => Some(n.to_owned()),
            _ => None,
        }
    }

    /// The resources a granted privilege change reaches.
    pub fn privilege_targets(&self) -> Vec<ResourcePath> {
        let mut out = Vec::new();
        if let Some(p) = self.extras().crn_pattern.as_deref() {
            out.extend(ResourcePath::parse_crn(p));
        }
        if let Some(mut r) = self.resource_path() {
            if self.extras().pattern_type.as_deref().is_some_and(|t| {
                t.eq_ignore_ascii_case("PREFIXED") || t.eq_ignore_ascii_case("PREFIX")
            }) {
                r.prefix = true;
            }
            if out.is_empty() {
                out.push(r);
            }
        }
        out
    }
}

impl EventRef {
    /// The copy of `f`'s event that rules keep.
    pub fn of(f: &Facts<'_>) -> EventRef {
        EventRef::new(f.time, EventRef::fields_of(f))
    }

    /// The text fields of `f`'s event, in the order of [`EventRef`]'s.
    pub fn fields_of<'f>(f: &'f Facts<'_>) -> [Option<&'f str>; 8] {
        [
            Some(f.id),
            f.principal,
            f.source_ip,
            f.resource_crn.or(f.resource_name),
            f.e.client_id(),
            f.extras().connection_id.as_deref(),
            f.e.correlation_id(),
            f.extras().identifier.as_deref(),
        ]
    }
}

#[cfg(test)]
mod tests;
