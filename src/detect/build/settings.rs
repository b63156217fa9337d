//! The built-in rules' settings: which each reads, and the checks of
//! their values (every problem listed with its key).

use super::super::config::{DetectConfig, RuleSettings};
use crate::event::Severity;

/// Every built-in rule: name, default severity, and the settings it reads
/// besides `enabled` and `severity`. `new_source_ip` (one alert per new
/// network), `privilege_change_during_denials` (the burst window) and
/// `audit_stream_silence` read no `keep_alive_secs`.
pub const BUILTIN: &[(&str, Severity, &[&str])] = &[
    (
        "auth_bruteforce",
        Severity::High,
        &[
            "threshold",
            "window_secs",
            "by_source_ip",
            "by_identifier",
            "keep_alive_secs",
        ],
    ),
    (
        "failed_logins_then_success",
        Severity::Critical,
        &["threshold", "window_secs", "keep_alive_secs"],
    ),
    (
        "new_source_ip",
        Severity::Medium,
        &["ipv4_prefix", "ipv6_prefix", "history_ttl_secs"],
    ),
    (
        "denial_burst",
        Severity::High,
        &["threshold", "window_secs", "keep_alive_secs"],
    ),
    (
        "denied_then_granted",
        Severity::High,
        &["window_secs", "keep_alive_secs"],
    ),
    ("privilege_change_during_denials", Severity::Critical, &[]),
    (
        "admin_role_granted",
        Severity::High,
        &["roles", "keep_alive_secs"],
    ),
    (
        "destructive_operation",
        Severity::High,
        &["keep_alive_secs"],
    ),
    ("api_key_created", Severity::Medium, &["keep_alive_secs"]),
    ("ip_filter_denied", Severity::Medium, &["keep_alive_secs"]),
    (
        "confluent_staff_access",
        Severity::High,
        &["keep_alive_secs"],
    ),
    ("audit_stream_silence", Severity::High, &["silence_minutes"]),
];

fn present(s: &RuleSettings) -> Vec<&'static str> {
    let mut v = Vec::new();
    let keys: [(&'static str, bool); 10] = [
        ("threshold", s.threshold.is_some()),
        ("window_secs", s.window_secs.is_some()),
        ("by_source_ip", s.by_source_ip.is_some()),
        ("by_identifier", s.by_identifier.is_some()),
        ("ipv4_prefix", s.ipv4_prefix.is_some()),
        ("ipv6_prefix", s.ipv6_prefix.is_some()),
        ("history_ttl_secs", s.history_ttl_secs.is_some()),
        ("roles", s.roles.is_some()),
        ("silence_minutes", s.silence_minutes.is_some()),
        ("keep_alive_secs", s.keep_alive_secs.is_some()),
    ];
    for (k, set) in keys {
        if set {
            v.push(k);
        }
    }
    v
}

/// Lists, through `problem`, every problem of `[detect.rules.*]`: an
/// unknown rule, a setting the rule does not read, a value out of range.
pub(super) fn check(cfg: &DetectConfig, problem: &mut impl FnMut(String, &str)) {
    for (name, s) in &cfg.rules {
        let Some((_, _, keys)) = BUILTIN.iter().find(|(n, _, _)| n == name) else {
            let known: Vec<&str> = BUILTIN.iter().map(|(n, _, _)| *n).collect();
            let message = format!("unknown rule, expected one of {}", known.join(", "));
            problem(format!("detect.rules.{name}"), &message);
            continue;
        };
        for k in present(s) {
            if !keys.contains(&k) {
                problem(
                    format!("detect.rules.{name}.{k}"),
                    "not a setting of this rule",
                );
            }
        }
        if s.threshold == Some(0) {
            problem(
                format!("detect.rules.{name}.threshold"),
                "must be at least 1",
            );
        }
        if s.window_secs == Some(0) {
            problem(
                format!("detect.rules.{name}.window_secs"),
                "must be at least 1",
            );
        }
        if s.ipv4_prefix.is_some_and(|b| b > 32) {
            problem(format!("detect.rules.{name}.ipv4_prefix"), "at most 32");
        }
        if s.ipv6_prefix.is_some_and(|b| b > 128) {
            problem(format!("detect.rules.{name}.ipv6_prefix"), "at most 128");
        }
        if s.silence_minutes == Some(0) {
            problem(
                format!("detect.rules.{name}.silence_minutes"),
                "must be at least 1",
            );
        }
    }
}
