//! The sentences of the sequence rules' alerts.

use super::super::alert::{span_words, Alert, EventRef};
use super::super::count::list;

/// `failed_logins_then_success`'s sentence.
pub fn describe_logins(a: &Alert, fails: &[&EventRef], ok: &EventRef) -> String {
    let from = ok
        .source_ip()
        .map(|ip| format!(" from {ip}"))
        .unwrap_or_default();
    format!(
        "{} failed authentications{from}, then a successful one as {} {} later{}.",
        fails.len(),
        ok.principal().unwrap_or("(unknown principal)"),
        span_words(ok.time - a.first_time),
        list(" (credentials tried: ", &a.correlation.identifiers, ")")
    )
}

/// `denied_then_granted`'s sentence.
pub fn describe_denied_granted(a: &Alert, denied: &[&EventRef], ok: &EventRef) -> String {
    format!(
        "{} was denied {} time(s), then granted the same operation on {} {} later.",
        a.principal.as_deref().unwrap_or("(unknown principal)"),
        denied.len(),
        ok.resource().unwrap_or("the same resource"),
        span_words(ok.time - a.first_time)
    )
}

/// A user-defined sequence rule's sentence.
pub fn describe_custom(a: &Alert, first: &[&EventRef], _: &EventRef) -> String {
    format!(
        "Rule {}: {} first-step event(s) then the second step for {} within {}.",
        a.rule,
        first.len(),
        a.group_key,
        span_words(a.last_time - a.first_time)
    )
}
