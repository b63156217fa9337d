//! One matching rule, shared by filter rules and severity overrides.
//!
//! Every condition given must hold (AND); within one condition any listed
//! value may match (OR). Globs use `*` and `?`.

use std::collections::BTreeMap;

use super::glob::Glob;
use serde::Deserialize;

use crate::event::{Enrichment, Severity, Verdict};

/// One value or a list of values in TOML (`verdict = "denied"` or
/// `verdict = ["denied", "failure"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOrMany<T = String>(pub Vec<T>);

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany(Vec::new())
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        let raw = Raw::deserialize(d)
            .map_err(|_| serde::de::Error::custom("expected a string or a list of strings"))?;
        let items = match raw {
            Raw::One(s) => vec![s],
            Raw::Many(v) => v,
        };
        items
            .iter()
            .map(|s| T::deserialize(serde::de::value::StrDeserializer::<D::Error>::new(s)))
            .collect::<Result<_, _>>()
            .map(OneOrMany)
    }
}

/// A rule as written in TOML (`[[filter.drop]]`, `[[filter.allow]]`,
/// `[[severity.rules]]`). Keys that do not apply to a section are refused
/// by [`RuleConfig::compile`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Shown as the drop reason and in metrics.
    pub name: Option<String>,
    /// Event `type` globs.
    #[serde(default, rename = "type")]
    pub event_type: OneOrMany,
    /// `data.methodName` globs.
    #[serde(default)]
    pub method: OneOrMany,
    /// Normalised principal globs (rule NP, `docs/audit-log-format.md` §7),
    /// case-sensitive.
    #[serde(default)]
    pub principal: OneOrMany,
    /// CRN component key → value globs, e.g. `{ topic = "sensitive-*" }`.
    #[serde(default)]
    pub crn: BTreeMap<String, OneOrMany>,
    /// `allowed`, `denied`, `success`, `failure`, `unknown`.
    #[serde(default)]
    pub verdict: OneOrMany<Verdict>,
    /// `authorizationInfo.operation` globs, case-insensitive.
    #[serde(default)]
    pub operation: OneOrMany,
    /// `authorizationInfo.resourceType` globs, case-insensitive.
    #[serde(default)]
    pub resource_type: OneOrMany,
    /// Globs on `authorizationInfo.resourceName` or the CRN's last value.
    #[serde(default)]
    pub resource_name: OneOrMany,
    /// `request.accessType` globs, case-insensitive.
    #[serde(default)]
    pub access_type: OneOrMany,
    /// Role named in a role-binding request, case-insensitive.
    #[serde(default)]
    pub role: OneOrMany,
    pub failed_auth: Option<bool>,
    pub request_failed: Option<bool>,
    /// Filter rules only: matches events at least this severe.
    pub min_severity: Option<Severity>,
    /// Filter rules only: matches events at most this severe.
    pub max_severity: Option<Severity>,
    /// Drop rules only: allow this rule to drop failed authentication or
    /// authorization events.
    pub include_failed_auth: Option<bool>,
    /// Severity rules only: the severity to give.
    pub severity: Option<Severity>,
}

/// Which section a rule sits in, for the keys it may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSection {
    Drop,
    Allow,
    Severity,
}

/// A compiled rule.
#[derive(Debug, Clone, Default)]
pub struct Rule {
    pub name: String,
    event_type: Vec<Glob>,
    method: Vec<Glob>,
    principal: Vec<Glob>,
    crn: Vec<(String, Vec<Glob>)>,
    verdict: Vec<Verdict>,
    operation: Vec<Glob>,
    resource_type: Vec<Glob>,
    resource_name: Vec<Glob>,
    access_type: Vec<Glob>,
    role: Vec<Glob>,
    failed_auth: Option<bool>,
    request_failed: Option<bool>,
    min_severity: Option<Severity>,
    max_severity: Option<Severity>,
}

fn globs(v: &OneOrMany) -> Vec<Glob> {
    v.0.iter().map(|s| Glob::new(s)).collect()
}

fn globs_ci(v: &OneOrMany) -> Vec<Glob> {
    v.0.iter().map(|s| Glob::new_case_insensitive(s)).collect()
}

#[inline]
/// No globs, or one matches the value. The value is looked up only when
/// there are globs: most rules test two or three of the fields.
fn any<'a>(globs: &[Glob], value: impl FnOnce() -> Option<&'a str>) -> bool {
    globs.is_empty() || value().is_some_and(|v| globs.iter().any(|g| g.matches(v)))
}

impl RuleConfig {
    /// Compiles the rule; `default_name` is used when it has none.
    /// Returns every problem found, each naming the key.
    pub fn compile(&self, section: RuleSection, default_name: String) -> Result<Rule, Vec<String>> {
        let mut problems = Vec::new();
        let mut refuse = |key: &str, present: bool| {
            if present {
                problems.push(format!("`{key}` is not allowed in this kind of rule"));
            }
        };
        refuse(
            "include_failed_auth",
            self.include_failed_auth.is_some() && section != RuleSection::Drop,
        );
        refuse(
            "severity",
            self.severity.is_some() && section != RuleSection::Severity,
        );
        refuse(
            "min_severity",
            self.min_severity.is_some() && section == RuleSection::Severity,
        );
        refuse(
            "max_severity",
            self.max_severity.is_some() && section == RuleSection::Severity,
        );
        if section == RuleSection::Severity && self.severity.is_none() {
            problems.push("`severity` is required in a severity rule".to_owned());
        }
        for (key, v) in self.crn.iter() {
            if v.0.is_empty() {
                problems.push(format!("`crn.{key}` has no values"));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Rule {
            name: self.name.clone().unwrap_or(default_name),
            event_type: globs(&self.event_type),
            method: globs(&self.method),
            principal: globs(&self.principal),
            crn: self
                .crn
                .iter()
                .map(|(k, v)| (k.clone(), globs(v)))
                .collect(),
            verdict: self.verdict.0.clone(),
            operation: globs_ci(&self.operation),
            resource_type: globs_ci(&self.resource_type),
            resource_name: globs(&self.resource_name),
            access_type: globs_ci(&self.access_type),
            role: globs_ci(&self.role),
            failed_auth: self.failed_auth,
            request_failed: self.request_failed,
            min_severity: self.min_severity,
            max_severity: self.max_severity,
        })
    }
}

/// A field of the event a rule's globs read. [`Rule::matches`] asks each
/// in turn; `super::recall` remembers their answers for recent values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    EventType,
    Method,
    Principal,
    Operation,
    ResourceType,
    AccessType,
    Role,
    /// `authorizationInfo.resourceName` or the CRN's resource name: either
    /// may match.
    ResourceName,
}

impl Field {
    /// Every field, in the order [`Rule::matches`] tries them.
    pub const ALL: [Field; 8] = [
        Field::EventType,
        Field::Method,
        Field::Principal,
        Field::Operation,
        Field::ResourceType,
        Field::AccessType,
        Field::Role,
        Field::ResourceName,
    ];

    /// The field's values in `e` (two for the resource name, one or none
    /// for the others).
    pub fn values(self, e: &Enrichment) -> [Option<&str>; 2] {
        match self {
            Field::EventType => [Some(e.event_type()), None],
            Field::Method => [e.method(), None],
            Field::Principal => [e.principal_normalized(), None],
            Field::Operation => [e.operation(), None],
            Field::ResourceType => [e.resource_type(), None],
            Field::AccessType => [e.access_type(), None],
            Field::Role => [e.role(), None],
            Field::ResourceName => [e.resource_name(), e.crn_raw_and_name().1],
        }
    }
}

impl Rule {
    /// Whether every condition of the rule holds for `e`.
    pub fn matches(&self, e: &Enrichment) -> bool {
        self.matches_flags(e)
            && any(&self.event_type, || Some(e.event_type()))
            && any(&self.method, || e.method())
            && any(&self.principal, || e.principal_normalized())
            && any(&self.operation, || e.operation())
            && any(&self.resource_type, || e.resource_type())
            && any(&self.access_type, || e.access_type())
            && any(&self.role, || e.role())
            && (self.resource_name.is_empty()
                || [e.resource_name(), e.crn_raw_and_name().1]
                    .into_iter()
                    .flatten()
                    .any(|v| self.resource_name.iter().any(|g| g.matches(v))))
            && self.matches_crn(e)
    }

    /// The conditions that are not globs on a [`Field`]: failed
    /// authentication, failed request, verdict, severity bounds.
    pub fn matches_flags(&self, e: &Enrichment) -> bool {
        self.flags_hold(e.failed_auth, e.request_failed, e.verdict)
            && self.min_severity.is_none_or(|s| e.severity >= s)
            && self.max_severity.is_none_or(|s| e.severity <= s)
    }

    /// [`Self::matches_flags`] but the severity bounds, for these values.
    pub(super) fn flags_hold(&self, failed_auth: bool, request_failed: bool, v: Verdict) -> bool {
        self.failed_auth.is_none_or(|f| f == failed_auth)
            && self.request_failed.is_none_or(|f| f == request_failed)
            && (self.verdict.is_empty() || self.verdict.contains(&v))
    }

    /// Whether the rule has severity bounds (filter rules may).
    pub(super) fn bounds_severity(&self) -> bool {
        self.min_severity.is_some() || self.max_severity.is_some()
    }

    /// Whether the rule has no `crn.KEY` condition.
    pub(super) fn crn_holds_always(&self) -> bool {
        self.crn.is_empty()
    }

    /// The `crn.KEY` conditions.
    pub fn matches_crn(&self, e: &Enrichment) -> bool {
        self.crn.is_empty() || {
            let crn = e.crn();
            self.crn
                .iter()
                .all(|(key, gs)| gs.iter().any(|g| crn.any_component(key, |v| g.matches(v))))
        }
    }

    /// The rule's globs on `f` (empty: no condition on it).
    pub fn globs(&self, f: Field) -> &[Glob] {
        match f {
            Field::EventType => &self.event_type,
            Field::Method => &self.method,
            Field::Principal => &self.principal,
            Field::Operation => &self.operation,
            Field::ResourceType => &self.resource_type,
            Field::AccessType => &self.access_type,
            Field::Role => &self.role,
            Field::ResourceName => &self.resource_name,
        }
    }

    /// Whether the condition on `f` holds for a value of that field
    /// (`None`: the event has none): no globs, or one matches.
    pub fn field_holds(&self, f: Field, value: Option<&str>) -> bool {
        let globs = self.globs(f);
        globs.is_empty() || value.is_some_and(|v| globs.iter().any(|g| g.matches(v)))
    }

    /// A rule built in code (the default severity table).
    pub fn builder(name: &str) -> RuleBuilder {
        RuleBuilder(Rule {
            name: name.to_owned(),
            ..Rule::default()
        })
    }
}

/// Builds the default rules without going through TOML.
pub struct RuleBuilder(Rule);

impl RuleBuilder {
    pub fn methods(mut self, m: &[&str]) -> Self {
        self.0.method = m.iter().map(|s| Glob::new(s)).collect();
        self
    }
    pub fn types(mut self, t: &[&str]) -> Self {
        self.0.event_type = t.iter().map(|s| Glob::new(s)).collect();
        self
    }
    pub fn roles(mut self, r: &[&str]) -> Self {
        self.0.role = r.iter().map(|s| Glob::new_case_insensitive(s)).collect();
        self
    }
    pub fn resource_names(mut self, r: &[String]) -> Self {
        self.0.resource_name = r.iter().map(|s| Glob::new(s)).collect();
        self
    }
    pub fn access_types(mut self, a: &[&str]) -> Self {
        self.0.access_type = a.iter().map(|s| Glob::new_case_insensitive(s)).collect();
        self
    }
    pub fn verdicts(mut self, v: &[Verdict]) -> Self {
        self.0.verdict = v.to_vec();
        self
    }
    pub fn failed_auth(mut self, f: bool) -> Self {
        self.0.failed_auth = Some(f);
        self
    }
    pub fn request_failed(mut self, f: bool) -> Self {
        self.0.request_failed = Some(f);
        self
    }
    pub fn build(self) -> Rule {
        self.0
    }
}
