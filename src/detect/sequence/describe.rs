//! The sentences of the sequence rules' alerts. Each is given the alert,
//! its rounds (first steps then a completing event, one incident: see
//! [`super::SequenceRule`]) and the last completing event; its first
//! steps are its other events.

use super::super::alert::{span_words, Alert, EventRef};
use super::super::count::list;

/// The first steps of an alert of `rounds` rounds: its events but the
/// completing ones.
fn firsts(a: &Alert, rounds: u32) -> u64 {
    a.event_count.saturating_sub(u64::from(rounds))
}

/// " (N times in all)" for an incident that repeated.
fn in_rounds(rounds: u32) -> String {
    match rounds {
        0 | 1 => String::new(),
        n => format!(" ({n} times in all)"),
    }
}

/// `failed_logins_then_success`'s sentence.
pub fn describe_logins(a: &Alert, rounds: u32, ok: &EventRef) -> String {
    let from = ok
        .source_ip()
        .map(|ip| format!(" from {ip}"))
        .unwrap_or_default();
    format!(
        "{} failed authentications{from}, then a successful one as {} {} later{}{}.",
        firsts(a, rounds),
        ok.principal().unwrap_or("(unknown principal)"),
        span_words(ok.time - a.first_time),
        in_rounds(rounds),
        list(" (credentials tried: ", &a.correlation.identifiers, ")")
    )
}

/// `denied_then_granted`'s sentence.
pub fn describe_denied_granted(a: &Alert, rounds: u32, ok: &EventRef) -> String {
    format!(
        "{} was denied {} time(s), then granted the same operation on {} {} later{}.",
        a.principal.as_deref().unwrap_or("(unknown principal)"),
        firsts(a, rounds),
        ok.resource().unwrap_or("the same resource"),
        span_words(ok.time - a.first_time),
        in_rounds(rounds)
    )
}

/// A user-defined sequence rule's sentence.
pub fn describe_custom(a: &Alert, rounds: u32, _: &EventRef) -> String {
    format!(
        "Rule {}: {} first-step event(s) then the second step for {} within {}{}.",
        a.rule,
        firsts(a, rounds),
        a.group_key,
        span_words(a.last_time - a.first_time),
        in_rounds(rounds)
    )
}
