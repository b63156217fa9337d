//! The `[detect]` section: which rules run, with which thresholds, windows
//! and group keys, and where their alerts go. `config.example.toml` shows
//! every key; `docs/detect.md` has the rule table.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::field::Field;
use crate::event::Severity;
use crate::policy::rule::{RuleConfig, RuleSection};
use crate::policy::Rule;

/// `[detect]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectConfig {
    /// The section turns detection on; `enabled = false` turns it off.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Names of the sinks that receive alerts; default: every sink.
    pub sinks: Option<Vec<String>>,
    /// How late (event time) an event may arrive and still count.
    #[serde(default = "default_lateness")]
    pub allowed_lateness_secs: u64,
    /// Most group keys each rule keeps; the least recently seen go first.
    #[serde(default = "default_max_keys")]
    pub max_keys_per_rule: usize,
    /// The rules' state in bytes (an estimate), all rules together; over
    /// it, the least recently touched groups go.
    #[serde(default = "default_max_state_bytes")]
    pub max_state_bytes: usize,
    /// The open alerts in bytes (an estimate); over it, the least
    /// recently joined are closed early and handed out as they are.
    #[serde(default = "default_max_open_alert_bytes")]
    pub max_open_alert_bytes: usize,
    /// Globs on resource names that `denial_burst` watches.
    #[serde(default = "default_sensitive")]
    pub sensitive_resources: Vec<String>,
    /// Networks (`10.0.0.0/8`, `2001:db8::/32`, or one address) that
    /// `new_source_ip` never reports.
    #[serde(default)]
    pub trusted_networks: Vec<String>,
    /// `run` only: `false` makes this member a detector only: audit events
    /// go to no sink (their records resolve once the rules saw them), the
    /// alerts to `sinks`. For one detecting member in its own consumer
    /// group beside forwarding members (docs/detect.md, Scale-out).
    #[serde(default = "yes")]
    pub forward_events: bool,
    /// `run` only: how much of the topic (by Kafka timestamp) is re-read
    /// at start to rebuild the rules' state, up to the committed offsets.
    /// Default: the longest window with its keep-alive, plus the allowed
    /// lateness; raise it to rebuild more of `new_source_ip`'s history.
    pub restore_lookback_secs: Option<u64>,
    /// Settings of the built-in rules, by rule name.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleSettings>,
    /// User-defined rules.
    #[serde(default)]
    pub custom: Vec<CustomRule>,
}

fn yes() -> bool {
    true
}
fn default_lateness() -> u64 {
    30
}
fn default_max_keys() -> usize {
    100_000
}
/// 12 MiB: with the pipeline's defaults (≈ 39 MB of buffers, ≈ 25–35 MB
/// of process base, DESIGN.md "Memory"), the open alerts' 4 MiB and the
/// ≈ 5 MB of remembered event ids, `run` stays under 100 MB even under an
/// alert storm, where the estimate costs ≈ 1.5–2× in RSS (16 MiB and
/// 8 MiB measured 110–116 MB there; BENCHMARKS.md "Detector", session
/// 13). The storm's 5,000 incidents all still fit.
pub const DEFAULT_MAX_STATE_BYTES: usize = 12 << 20;
/// The least `max_state_bytes` accepted: below it even a quiet stream's
/// groups would be shed.
pub const MIN_STATE_BYTES: usize = 1 << 20;
/// The most: more is a mistake in units, not a plan.
pub const MAX_STATE_BYTES: usize = 64 << 30;
fn default_max_state_bytes() -> usize {
    DEFAULT_MAX_STATE_BYTES
}
/// 4 MiB: over a thousand open alerts (an alert holds ≈ 3 KB with its 20
/// event ids), and with `max_state_bytes` and the rest of the defaults
/// under 100 MB in all (BENCHMARKS.md, "What bounds memory"); the 5,000
/// open alerts of a storm of 20 denials each weigh ≈ 16 MB, and most
/// close early (handed out as they are, none lost). The bound takes
/// `max_state_bytes`' limits.
pub const DEFAULT_MAX_OPEN_ALERT_BYTES: usize = 4 << 20;
fn default_max_open_alert_bytes() -> usize {
    DEFAULT_MAX_OPEN_ALERT_BYTES
}
fn default_sensitive() -> Vec<String> {
    vec!["sensitive-*".to_owned()]
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            enabled: true,
            sinks: None,
            allowed_lateness_secs: default_lateness(),
            max_keys_per_rule: default_max_keys(),
            max_state_bytes: default_max_state_bytes(),
            max_open_alert_bytes: default_max_open_alert_bytes(),
            sensitive_resources: default_sensitive(),
            trusted_networks: Vec::new(),
            forward_events: true,
            restore_lookback_secs: None,
            rules: BTreeMap::new(),
            custom: Vec::new(),
        }
    }
}

/// Settings of one built-in rule; each rule reads the keys that apply to
/// it (the rule table says which) and refuses the others.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
    pub threshold: Option<u32>,
    pub window_secs: Option<u64>,
    /// An open alert absorbs events of its group up to this long after its
    /// last one, instead of a new alert opening.
    pub keep_alive_secs: Option<u64>,
    /// `auth_bruteforce`: count per source address / per identifier.
    pub by_source_ip: Option<bool>,
    pub by_identifier: Option<bool>,
    /// `new_source_ip`: prefix lengths and how long history is kept.
    pub ipv4_prefix: Option<u8>,
    pub ipv6_prefix: Option<u8>,
    pub history_ttl_secs: Option<u64>,
    /// `admin_role_granted`: role names (globs) that count as admin.
    pub roles: Option<Vec<String>>,
    /// `audit_stream_silence`: minutes without any event.
    pub silence_minutes: Option<u64>,
}

/// The kind of a user-defined rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomKind {
    /// At least `threshold` matching events per group within the window.
    Count,
    /// At least `threshold` distinct values of `field` per group.
    Distinct,
    /// A value of `field` the group has not shown before.
    NewValue,
    /// At least `threshold` events matching `match`, then one matching
    /// `then`, per group, within the window.
    Sequence,
}

impl CustomKind {
    /// Every kind, as written in `kind`.
    pub const NAMES: &'static str = "`count`, `distinct`, `new_value`, `sequence`";

    /// The kind as written in `kind`.
    pub fn name(self) -> &'static str {
        match self {
            CustomKind::Count => "count",
            CustomKind::Distinct => "distinct",
            CustomKind::NewValue => "new_value",
            CustomKind::Sequence => "sequence",
        }
    }

    /// Whether a rule of this kind reads `key` (of the keys only some
    /// kinds read; docs/detect.md, "User-defined rules").
    fn reads(self, key: &str) -> bool {
        use CustomKind::*;
        match key {
            "then" => self == Sequence,
            "field" => matches!(self, Distinct | NewValue),
            // A new value fires once per value: no count, and its window
            // is how long values are remembered, not an alert's life.
            "threshold" | "keep_alive_secs" => self != NewValue,
            _ => true,
        }
    }
}

/// `[[detect.custom]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRule {
    /// Required, as `kind` is: optional here so that a rule without them
    /// is one more listed problem ([`CustomRule::compile`]), not a failed
    /// read of `[detect]` that would hide every other problem.
    pub name: Option<String>,
    pub kind: Option<CustomKind>,
    /// Which events the rule sees, in the filter rule language.
    #[serde(rename = "match", default)]
    pub matches: RuleConfig,
    /// `sequence` only: the second step.
    pub then: Option<RuleConfig>,
    #[serde(default)]
    pub group_by: Vec<Field>,
    /// `distinct` and `new_value`: the field whose values count.
    pub field: Option<Field>,
    pub threshold: Option<u32>,
    pub window_secs: Option<u64>,
    pub keep_alive_secs: Option<u64>,
    pub severity: Option<Severity>,
}

/// A compiled user-defined rule.
#[derive(Debug, Clone)]
pub struct CompiledCustom {
    pub name: String,
    pub kind: CustomKind,
    pub matches: Rule,
    pub then: Option<Rule>,
    pub group_by: Vec<Field>,
    pub field: Option<Field>,
    pub threshold: u32,
    pub window_ns: i64,
    pub keep_alive_ns: i64,
    pub severity: Severity,
}

/// Seconds to nanoseconds, saturating.
pub fn secs(s: u64) -> i64 {
    (s as i64).saturating_mul(1_000_000_000)
}

impl CustomRule {
    /// Checks and compiles; every problem with its key
    /// (`detect.custom[0].then`).
    pub fn compile(&self, index: usize) -> Result<CompiledCustom, Vec<(String, String)>> {
        let at = format!("detect.custom[{index}]");
        let name = self.name.clone().unwrap_or_else(|| at.clone());
        let mut problems: Vec<(String, String)> = Vec::new();
        let compile = |r: &RuleConfig, what: &str, problems: &mut Vec<(String, String)>| {
            let mut r = r.clone();
            if r.name.is_none() {
                r.name = Some(name.clone());
            }
            r.compile(RuleSection::Allow, name.clone())
                .map_err(|ps| problems.extend(ps.into_iter().map(|p| (format!("{at}.{what}"), p))))
                .ok()
        };
        let matches = compile(&self.matches, "match", &mut problems);
        let then = self
            .then
            .as_ref()
            .and_then(|t| compile(t, "then", &mut problems));
        let mut problem =
            |key: &str, message: String| problems.push((format!("{at}.{key}"), message));
        match &self.name {
            None => problem("name", "missing field `name` (the alerts' `rule`)".into()),
            Some(n) if n.trim().is_empty() => problem("name", "must not be empty".into()),
            Some(_) => {}
        }
        match self.kind {
            None => problem(
                "kind",
                format!(
                    "missing field `kind`, expected one of {}",
                    CustomKind::NAMES
                ),
            ),
            Some(kind) => self.kind_problems(kind, &mut problem),
        }
        if self.threshold == Some(0) {
            problem("threshold", "must be at least 1".into());
        }
        if self.window_secs == Some(0) {
            problem("window_secs", "must be at least 1".into());
        }
        let (Some(matches), Some(kind), true) = (matches, self.kind, problems.is_empty()) else {
            return Err(problems);
        };
        // New values are remembered for the window: two weeks unless set.
        let window = self.window_secs.unwrap_or(match kind {
            CustomKind::NewValue => 14 * 24 * 3600,
            _ => 300,
        });
        Ok(CompiledCustom {
            name,
            kind,
            matches,
            then,
            group_by: self.group_by.clone(),
            field: self.field,
            threshold: self.threshold.unwrap_or(match kind {
                CustomKind::Count | CustomKind::Distinct => 5,
                _ => 1,
            }),
            window_ns: secs(window),
            // A sequence's next round is an alert of its own unless a
            // keep-alive merges it (docs/detect.md, "One alert per incident").
            keep_alive_ns: secs(self.keep_alive_secs.unwrap_or(match kind {
                CustomKind::Sequence => 0,
                _ => window,
            })),
            severity: self.severity.unwrap_or(Severity::Medium),
        })
    }

    /// What `kind` needs and does not read: a key it needs missing, a key
    /// it does not read present.
    fn kind_problems(&self, kind: CustomKind, problem: &mut impl FnMut(&str, String)) {
        match kind {
            CustomKind::Sequence if self.then.is_none() => {
                problem("then", "a sequence rule needs its second step".into())
            }
            CustomKind::Distinct | CustomKind::NewValue if self.field.is_none() => problem(
                "field",
                format!("a {} rule needs the field whose values count", kind.name()),
            ),
            _ => {}
        }
        let present = [
            ("then", self.then.is_some()),
            ("field", self.field.is_some()),
            ("threshold", self.threshold.is_some()),
            ("keep_alive_secs", self.keep_alive_secs.is_some()),
        ];
        for (key, _) in present
            .into_iter()
            .filter(|&(k, set)| set && !kind.reads(k))
        {
            problem(key, format!("not used by kind = \"{}\"", kind.name()));
        }
    }
}

#[cfg(test)]
mod tests;
