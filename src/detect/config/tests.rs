//! `[[detect.custom]]` problems: a rule without `kind` or `name`, or of an
//! unknown kind, is listed with every other problem of `[detect]`, each
//! with its key and line; keys a kind does not read are problems.

use crate::config::{detect_from, ConfigError, Document};

/// Every problem `validate` lists for `text` (a file with only
/// `[detect]`), as `line N: key: message`, in file order.
fn problems(text: &str) -> Vec<String> {
    let mut doc = Document::parse("t.toml", text).unwrap();
    let detect = detect_from(&mut doc);
    match doc.finish_with(detect) {
        Err(ConfigError::Invalid { problems, .. }) => problems
            .iter()
            .map(|p| format!("line {}: {}: {}", p.line.unwrap_or(0), p.key, p.message))
            .collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

const KINDS: &str = "expected one of `count`, `distinct`, `new_value`, `sequence`";

#[test]
fn a_rule_without_kind_hides_nothing() {
    let got = problems(
        r#"[detect]
max_state_bytes = 100

[[detect.custom]]
name = "x"
match = { verdict = "denied" }
group_by = ["principal"]
"#,
    );
    assert_eq!(
        got,
        [
            "line 2: detect.max_state_bytes: must be between 1048576 (1 MiB) and 68719476736 (64 GiB) bytes".to_owned(),
            format!("line 4: detect.custom[0].kind: missing field `kind`, {KINDS}"),
        ]
    );
}

#[test]
fn structural_errors_are_listed_with_the_other_rules_and_settings() {
    let got = problems(
        r#"[detect]
max_open_alert_bytes = 5

[[detect.custom]]
name = "bad_kind"
kind = "counter"
threshold = 0

[[detect.custom]]
match = { verdikt = "denied" }

[[detect.custom]]
name = "seq"
kind = "sequence"
match = { verdict = "denied" }

[detect.rules.denial_burst]
threshold = "ten"
bogus = 1
"#,
    );
    assert_eq!(
        got,
        [
            "line 2: detect.max_open_alert_bytes: must be between 1048576 (1 MiB) and 68719476736 (64 GiB) bytes".to_owned(),
            format!("line 6: detect.custom[0].kind: unknown variant `counter`, {KINDS}"),
            "line 7: detect.custom[0].threshold: must be at least 1".to_owned(),
            "line 9: detect.custom[1].name: missing field `name` (the alerts' `rule`)".to_owned(),
            format!("line 9: detect.custom[1].kind: missing field `kind`, {KINDS}"),
            "line 10: detect.custom[1].match.verdikt: unknown field `verdikt`, expected one of `name`, `type`, `method`, `principal`, `crn`, `verdict`, `operation`, `resource_type`, `resource_name`, `access_type`, `role`, `failed_auth`, `request_failed`, `min_severity`, `max_severity`, `include_failed_auth`, `severity`".to_owned(),
            "line 12: detect.custom[2].then: a sequence rule needs its second step".to_owned(),
            "line 18: detect.rules.denial_burst.threshold: invalid type: string \"ten\", expected u32".to_owned(),
            "line 19: detect.rules.denial_burst.bogus: unknown field `bogus`, expected one of `enabled`, `severity`, `threshold`, `window_secs`, `keep_alive_secs`, `by_source_ip`, `by_identifier`, `ipv4_prefix`, `ipv6_prefix`, `history_ttl_secs`, `roles`, `silence_minutes`".to_owned(),
        ]
    );
}

#[test]
fn keys_a_kind_does_not_read_are_problems() {
    let got = problems(
        r#"[detect]
[[detect.custom]]
name = "c1"
kind = "count"
match = { verdict = "denied" }
then = { method = "x" }
field = "method"

[[detect.custom]]
name = "n1"
kind = "new_value"
field = "resource_name"
threshold = 3
keep_alive_secs = 60
then = { verdict = "allowed" }

[[detect.custom]]
name = "s1"
kind = "sequence"
match = { verdict = "denied" }
then = { verdict = "allowed" }
field = "principal"
"#,
    );
    assert_eq!(
        got,
        [
            "line 6: detect.custom[0].then: not used by kind = \"count\"",
            "line 7: detect.custom[0].field: not used by kind = \"count\"",
            "line 13: detect.custom[1].threshold: not used by kind = \"new_value\"",
            "line 14: detect.custom[1].keep_alive_secs: not used by kind = \"new_value\"",
            "line 15: detect.custom[1].then: not used by kind = \"new_value\"",
            "line 22: detect.custom[2].field: not used by kind = \"sequence\"",
        ]
    );
}

#[test]
fn what_each_kind_reads_is_accepted() {
    // Defaults (threshold, window, keep-alive) may be left out; an empty
    // `group_by` is one group; a sequence's threshold is its first steps.
    let text = r#"[detect]
[[detect.custom]]
name = "c"
kind = "count"
group_by = []
[[detect.custom]]
name = "d"
kind = "distinct"
field = "resource_name"
threshold = 3
window_secs = 60
keep_alive_secs = 60
[[detect.custom]]
name = "n"
kind = "new_value"
field = "resource_name"
window_secs = 86400
[[detect.custom]]
name = "s"
kind = "sequence"
match = { verdict = "denied" }
then = { verdict = "allowed" }
threshold = 3
keep_alive_secs = 10
"#;
    let mut doc = Document::parse("t.toml", text).unwrap();
    let detect = detect_from(&mut doc);
    let cfg = doc.finish_with(detect).unwrap().unwrap();
    let rules = crate::detect::build::build(&cfg).ok().unwrap();
    assert_eq!(rules.custom.len(), 4);
}

#[test]
fn a_summary_is_an_unknown_key_not_silently_ignored() {
    // Each kind writes its alerts' summary; a `summary` in the rule would
    // do nothing, so it is a problem like any other unknown key.
    let got = problems(
        r#"[detect]
[[detect.custom]]
name = "x"
kind = "count"
summary = "a sentence"
"#,
    );
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("line 5: detect.custom[0].summary: unknown field `summary`"),
        "{got:?}"
    );
}

#[test]
fn a_rule_setting_the_rule_does_not_read_is_a_problem() {
    // `new_source_ip` raises one alert per new network, and
    // `privilege_change_during_denials` keeps its alert for the burst
    // window: a `keep_alive_secs` there would be ignored, so it is listed.
    let got = problems(
        r#"[detect]
[detect.rules.new_source_ip]
keep_alive_secs = 600
ipv4_prefix = 16

[detect.rules.privilege_change_during_denials]
keep_alive_secs = 60
threshold = 3

[detect.rules.destructive_operation]
keep_alive_secs = 60
"#,
    );
    assert_eq!(
        got,
        [
            "line 3: detect.rules.new_source_ip.keep_alive_secs: not a setting of this rule",
            "line 7: detect.rules.privilege_change_during_denials.keep_alive_secs: not a setting of this rule",
            "line 8: detect.rules.privilege_change_during_denials.threshold: not a setting of this rule",
        ]
    );
}
