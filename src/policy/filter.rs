//! Filter rules: which well-formed events are not worth forwarding.
//!
//! A drop rule never drops an event whose `failed_auth` is true unless the
//! rule sets `include_failed_auth = true`: the denied attempt is the record
//! a SOC needs. With an allow-list, events that match no allow rule are
//! dropped, again sparing failed auth unless
//! `allow_list_drops_failed_auth = true`.

use serde::Deserialize;

use super::rule::{Rule, RuleConfig, RuleSection};
use crate::event::Enrichment;

/// The drop reason of events that match no allow rule.
pub const NOT_ALLOWED: &str = "not-in-allow-list";

/// `[filter]` in the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// `[[filter.drop]]`: events matching any of these are dropped.
    #[serde(default)]
    pub drop: Vec<RuleConfig>,
    /// `[[filter.allow]]`: when non-empty, only matching events are kept.
    #[serde(default)]
    pub allow: Vec<RuleConfig>,
    /// Let the allow-list drop failed authentication/authorization too.
    #[serde(default)]
    pub allow_list_drops_failed_auth: bool,
}

/// The compiled filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    drop: Vec<(Rule, bool)>,
    allow: Vec<Rule>,
    allow_list_drops_failed_auth: bool,
}

impl FilterConfig {
    /// Compiles every rule; on failure, every problem as `(key, message)`
    /// with the rule's key path (`filter.drop[0]`).
    pub fn compile(&self) -> Result<Filter, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut drop = Vec::new();
        for (i, rc) in self.drop.iter().enumerate() {
            match rc.compile(RuleSection::Drop, format!("filter.drop[{i}]")) {
                Ok(r) => drop.push((r, rc.include_failed_auth.unwrap_or(false))),
                Err(p) => problems.extend(p.into_iter().map(|m| (format!("filter.drop[{i}]"), m))),
            }
        }
        let mut allow = Vec::new();
        for (i, rc) in self.allow.iter().enumerate() {
            match rc.compile(RuleSection::Allow, format!("filter.allow[{i}]")) {
                Ok(r) => allow.push(r),
                Err(p) => problems.extend(p.into_iter().map(|m| (format!("filter.allow[{i}]"), m))),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Filter {
            drop,
            allow,
            allow_list_drops_failed_auth: self.allow_list_drops_failed_auth,
        })
    }
}

impl Filter {
    /// The name of the rule that drops `e`, or `None` to keep it.
    pub fn drop_rule(&self, e: &Enrichment) -> Option<&str> {
        for (rule, include_failed_auth) in &self.drop {
            if (!e.failed_auth || *include_failed_auth) && rule.matches(e) {
                return Some(&rule.name);
            }
        }
        let spared = e.failed_auth && !self.allow_list_drops_failed_auth;
        if !self.allow.is_empty() && !spared && !self.allow.iter().any(|r| r.matches(e)) {
            return Some(NOT_ALLOWED);
        }
        None
    }
}
