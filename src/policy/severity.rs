//! `enrichment.severity`: an ordered rule table, first match wins.
//! Configured rules (`[[severity.rules]]`) come before the defaults below.
//! Method names are a hint here, never the only signal: failed-auth and
//! request-failed verdicts (`docs/audit-log-format.md` §8) carry the weight.

use serde::Deserialize;

use super::recall::Plan;
use super::rule::{Rule, RuleConfig, RuleSection};
use crate::event::{Enrichment, Severity};

/// `[severity]` in the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityConfig {
    /// Resource-name globs whose denials are high severity.
    #[serde(default = "default_sensitive")]
    pub sensitive_resources: Vec<String>,
    /// Overrides, tried before the default table.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

impl Default for SeverityConfig {
    fn default() -> Self {
        SeverityConfig {
            sensitive_resources: default_sensitive(),
            rules: Vec::new(),
        }
    }
}

fn default_sensitive() -> Vec<String> {
    vec!["sensitive-*".to_owned()]
}

/// The admin roles whose grant is critical.
pub const ADMIN_ROLES: &[&str] = &["OrganizationAdmin", "EnvironmentAdmin", "CloudClusterAdmin"];

/// The compiled table.
#[derive(Debug, Clone)]
pub struct SeverityPolicy {
    rules: Vec<(Rule, Severity)>,
    /// The rules as bit masks, for [`Self::classify`]'s fast path (`None`
    /// past 64 rules).
    plan: Option<Plan>,
    /// `[severity] sensitive_resources`, for whoever else means the same
    /// resources (`watch --failed-sensitive`).
    pub sensitive_resources: Vec<String>,
}

impl Default for SeverityPolicy {
    fn default() -> Self {
        SeverityConfig::default()
            .compile()
            .expect("the default table compiles")
    }
}

impl SeverityConfig {
    /// Compiles overrides and defaults; every problem is returned as
    /// `(key, message)` with the rule's key path (`severity.rules[0]`).
    pub fn compile(&self) -> Result<SeverityPolicy, Vec<(String, String)>> {
        let mut rules = Vec::new();
        let mut problems = Vec::new();
        for (i, rc) in self.rules.iter().enumerate() {
            match rc.compile(RuleSection::Severity, format!("severity.rules[{i}]")) {
                Ok(rule) => rules.push((rule, rc.severity.unwrap_or(Severity::Info))),
                Err(p) => {
                    problems.extend(p.into_iter().map(|m| (format!("severity.rules[{i}]"), m)))
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        rules.extend(default_rules(&self.sensitive_resources));
        Ok(SeverityPolicy {
            plan: Plan::new(&rules),
            rules,
            sensitive_resources: self.sensitive_resources.clone(),
        })
    }
}

impl SeverityPolicy {
    /// The severity of the first rule `e` matches ([`Self::classify_each`]),
    /// found with the rules' bit masks and this thread's remembered glob
    /// answers (`super::recall`).
    pub fn classify(&self, e: &Enrichment) -> Severity {
        match &self.plan {
            Some(plan) => plan.classify(&self.rules, e),
            None => self.classify_each(e),
        }
    }

    /// [`Self::classify`] by trying each rule in turn: the reference.
    pub fn classify_each(&self, e: &Enrichment) -> Severity {
        self.rules
            .iter()
            .find(|(rule, _)| rule.matches(e))
            .map_or(Severity::Info, |(_, s)| *s)
    }

    /// The table, first match wins.
    pub fn rules(&self) -> &[(Rule, Severity)] {
        &self.rules
    }
}

fn default_rules(sensitive: &[String]) -> Vec<(Rule, Severity)> {
    use Severity::*;
    let ok = |r: super::rule::RuleBuilder| r.failed_auth(false).request_failed(false);
    vec![
        (
            ok(Rule::builder("admin-role-granted")
                .methods(&["*CreateRoleBinding*", "BindRoleForPrincipal", "GrantRole*"])
                .roles(ADMIN_ROLES))
            .build(),
            Critical,
        ),
        (
            ok(Rule::builder("cluster-or-environment-deleted").methods(&[
                "DeleteEnvironment",
                "Delete*Cluster",
                "Delete*Clusters",
            ]))
            .build(),
            Critical,
        ),
        (
            Rule::builder("privileged-failed-auth")
                .failed_auth(true)
                .methods(&[
                    "mds.Authorize",
                    "kafka.*Acls",
                    "*RoleBinding*",
                    "*Role*ForPrincipal",
                    "ip-filter.Authorize",
                ])
                .build(),
            High,
        ),
        (
            Rule::builder("access-transparency")
                .types(&["io.confluent.cloud/access-transparency"])
                .build(),
            High,
        ),
        (
            Rule::builder("access-transparency")
                .methods(&["confluent.privileged.access"])
                .build(),
            High,
        ),
        (
            Rule::builder("denied-on-sensitive-resource")
                .failed_auth(true)
                .resource_names(sensitive)
                .build(),
            High,
        ),
        (
            Rule::builder("failed-on-sensitive-resource")
                .request_failed(true)
                .resource_names(sensitive)
                .build(),
            High,
        ),
        (
            Rule::builder("failed-auth").failed_auth(true).build(),
            Medium,
        ),
        (
            Rule::builder("request-failed").request_failed(true).build(),
            Medium,
        ),
        (
            Rule::builder("credential-created")
                .methods(&["*CreateAPIKey*", "*CreateApiKey*", "*CreateServiceAccount*"])
                .build(),
            Medium,
        ),
        (
            Rule::builder("acl-changed")
                .methods(&["kafka.CreateAcls", "kafka.DeleteAcls"])
                .build(),
            Medium,
        ),
        (
            Rule::builder("management-change")
                .access_types(&["MODIFICATION"])
                .build(),
            Low,
        ),
        (
            Rule::builder("management-change")
                .methods(&[
                    "*Create*",
                    "*Delete*",
                    "*Update*",
                    "*Alter*",
                    "*Register*",
                    "*Bind*",
                    "*Grant*",
                    "*Revoke*",
                    "*Claim*",
                    "*Remove*",
                ])
                .build(),
            Low,
        ),
    ]
}

#[cfg(test)]
mod tests;
