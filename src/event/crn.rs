//! Confluent Resource Names (rule CRN-PARSE of `audit-log-format.md` §11).
//!
//! `crn://<authority>/<key>=<value>/<key>=<value>…`: the authority may be
//! empty (Confluent Platform's `crn:///kafka=…`), empty segments are dropped
//! (so `crn://confluent.cloud/` has zero components), each segment splits at
//! its first `=`, and keys and values are percent-decoded as UTF-8 with `+`
//! left alone. Keys can repeat and order matters, so components are an
//! ordered list of pairs, not a map. A segment without `=` makes the CRN
//! invalid; the event is still forwarded.

use percent_encoding::percent_decode_str;
use serde::Serialize;

/// A parsed CRN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crn {
    pub authority: String,
    /// `None` when a segment has no `=`.
    pub components: Option<Vec<(String, String)>>,
    /// The raw last value ends in an unencoded `*` (a prefix pattern).
    pub is_pattern: bool,
}

impl Crn {
    /// Parses `raw`, or returns `None` when it does not start with `crn://`.
    pub fn parse(raw: &str) -> Option<Crn> {
        let rest = raw.strip_prefix("crn://")?;
        // Byte searches: the separators are ASCII, so every cut is a
        // character boundary, and CRNs are short enough that a plain loop
        // beats a searcher per segment.
        let (authority, path) = match rest.bytes().position(|b| b == b'/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let mut components = Vec::with_capacity(path.bytes().filter(|&b| b == b'/').count() + 1);
        let mut valid = true;
        let mut last_raw_value = None;
        let mut tail = path;
        while !tail.is_empty() {
            let end = tail.bytes().position(|b| b == b'/').unwrap_or(tail.len());
            let segment = &tail[..end];
            tail = tail.get(end + 1..).unwrap_or_default();
            if segment.is_empty() {
                continue;
            }
            match segment.bytes().position(|b| b == b'=') {
                Some(eq) => {
                    let v = &segment[eq + 1..];
                    components.push((decode(&segment[..eq]), decode(v)));
                    last_raw_value = Some(v);
                }
                None => valid = false,
            }
        }
        let is_pattern = valid && last_raw_value.is_some_and(|v| v.ends_with('*'));
        Some(Crn {
            authority: decode(authority),
            components: valid.then_some(components),
            is_pattern,
        })
    }

    /// The value of the last component with this key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.components
            .as_ref()?
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The last component: the resource itself.
    pub fn last(&self) -> Option<&(String, String)> {
        self.components.as_ref()?.last()
    }
}

fn decode(s: &str) -> String {
    if s.bytes().any(|b| b == b'%') {
        percent_decode_str(s).decode_utf8_lossy().into_owned()
    } else {
        s.to_owned()
    }
}

/// Where the primary CRN came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CrnField {
    #[serde(rename = "data.resourceName")]
    ResourceName,
    #[serde(rename = "subject")]
    Subject,
    #[serde(rename = "source")]
    Source,
}

impl CrnField {
    pub fn as_str(self) -> &'static str {
        match self {
            CrnField::ResourceName => "data.resourceName",
            CrnField::Subject => "subject",
            CrnField::Source => "source",
        }
    }
}

/// The `enrichment.crn` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CrnInfo {
    pub field: Option<CrnField>,
    pub raw: Option<String>,
    pub authority: Option<String>,
    pub valid: bool,
    pub components: Option<Vec<(String, String)>>,
    pub organization: Option<String>,
    pub environment: Option<String>,
    pub cluster: Option<String>,
    pub resource_type: Option<String>,
    pub resource_name: Option<String>,
    pub is_pattern: bool,
}

impl CrnInfo {
    /// Builds the info for the primary CRN `raw` found in `field`.
    /// `fallback` gives organization, environment and cluster from
    /// `cloudResources` when the CRN lacks them.
    pub fn build(field: CrnField, raw: &str, fallback: &ScopeIds) -> CrnInfo {
        let mut info = CrnInfo {
            field: Some(field),
            raw: Some(raw.to_owned()),
            ..CrnInfo::default()
        };
        if let Some(c) = Crn::parse(raw) {
            info.organization = c.get("organization").map(str::to_owned);
            info.environment = c.get("environment").map(str::to_owned);
            info.cluster = c
                .get("cloud-cluster")
                .or_else(|| c.get("kafka"))
                .or_else(|| c.get("kafka-cluster"))
                .map(str::to_owned);
            if let Some((k, v)) = c.last() {
                info.resource_type = Some(k.clone());
                info.resource_name = Some(v.clone());
            }
            info.valid = c.components.is_some();
            info.is_pattern = c.is_pattern;
            info.authority = Some(c.authority);
            info.components = c.components;
        }
        info.fill_from(fallback);
        info
    }

    fn fill_from(&mut self, fallback: &ScopeIds) {
        if self.organization.is_none() {
            self.organization = fallback.organization.clone();
        }
        if self.environment.is_none() {
            self.environment = fallback.environment.clone();
        }
        if self.cluster.is_none() {
            self.cluster = fallback.cluster.clone();
        }
    }

    /// No CRN anywhere: only `cloudResources` ids.
    pub fn from_scope(fallback: &ScopeIds) -> CrnInfo {
        let mut info = CrnInfo::default();
        info.fill_from(fallback);
        info
    }

    /// Whether any component with `key` has a value matching `glob`.
    pub fn any_component(&self, key: &str, glob: &crate::policy::glob::Glob) -> bool {
        self.components
            .as_ref()
            .is_some_and(|c| c.iter().any(|(k, v)| k == key && glob.matches(v)))
    }
}

/// Organization, environment and cluster ids from `data.cloudResources`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeIds {
    pub organization: Option<String>,
    pub environment: Option<String>,
    pub cluster: Option<String>,
}

impl ScopeIds {
    /// Records one `{type, resourceId}` pair; the first of each kind wins.
    pub fn observe(&mut self, kind: &str, id: &str) {
        let slot = match kind {
            "ORGANIZATION" => &mut self.organization,
            "ENVIRONMENT" => &mut self.environment,
            "CLOUD_CLUSTER" | "KAFKA_CLUSTER" => &mut self.cluster,
            _ => return,
        };
        if slot.is_none() && !id.is_empty() {
            *slot = Some(id.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(c: &Crn) -> Vec<(&str, &str)> {
        c.components
            .as_ref()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn cloud_crn_components_in_order() {
        let c = Crn::parse(
            "crn://confluent.cloud/organization=o1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1/topic=orders",
        )
        .unwrap();
        assert_eq!(c.authority, "confluent.cloud");
        assert_eq!(
            pairs(&c),
            [
                ("organization", "o1"),
                ("environment", "env-1"),
                ("cloud-cluster", "lkc-1"),
                ("kafka", "lkc-1"),
                ("topic", "orders")
            ]
        );
        assert!(!c.is_pattern);
    }

    #[test]
    fn percent_escapes_decode_and_plus_stays() {
        let c = Crn::parse("crn://confluent.cloud/group=annoying%3Dgroup%2Fname/x=a+b").unwrap();
        assert_eq!(pairs(&c), [("group", "annoying=group/name"), ("x", "a+b")]);
    }

    #[test]
    fn encoded_star_is_literal_not_pattern() {
        let c = Crn::parse("crn://confluent.cloud/cloud-api-key=%2A").unwrap();
        assert_eq!(pairs(&c), [("cloud-api-key", "*")]);
        assert!(!c.is_pattern);
        let p = Crn::parse("crn://confluent.cloud/topic=sensitive-pii*").unwrap();
        assert!(p.is_pattern);
        assert_eq!(p.last().unwrap().1, "sensitive-pii*");
    }

    #[test]
    fn unicode_raw_and_encoded() {
        let c = Crn::parse("crn://confluent.cloud/topic=caf%C3%A9/identity=user@example.com/t=ünï")
            .unwrap();
        assert_eq!(
            pairs(&c),
            [
                ("topic", "café"),
                ("identity", "user@example.com"),
                ("t", "ünï")
            ]
        );
    }

    #[test]
    fn malformed_percent_left_as_is() {
        let c = Crn::parse("crn://confluent.cloud/topic=100%/x=%zz").unwrap();
        assert_eq!(pairs(&c), [("topic", "100%"), ("x", "%zz")]);
    }

    #[test]
    fn repeated_keys_kept_in_order() {
        let c = Crn::parse(
            "crn://mds1.example.com/organization=acme/organization=emea/kafka=abc_DEF-1",
        )
        .unwrap();
        assert_eq!(
            pairs(&c),
            [
                ("organization", "acme"),
                ("organization", "emea"),
                ("kafka", "abc_DEF-1")
            ]
        );
        assert_eq!(c.get("organization"), Some("emea"));
    }

    #[test]
    fn empty_authority_and_zero_components() {
        let c = Crn::parse("crn:///kafka=Qm7tR2xWSoK4dY1cE9vJ3g").unwrap();
        assert_eq!(c.authority, "");
        assert_eq!(pairs(&c), [("kafka", "Qm7tR2xWSoK4dY1cE9vJ3g")]);
        let z = Crn::parse("crn://confluent.cloud/").unwrap();
        assert_eq!(z.components, Some(vec![]));
        assert!(z.last().is_none());
        let bare = Crn::parse("crn://confluent.cloud").unwrap();
        assert_eq!(bare.components, Some(vec![]));
    }

    #[test]
    fn segment_without_equals_is_invalid() {
        let c = Crn::parse("crn://confluent.cloud/kafka=lkc-1/topic").unwrap();
        assert_eq!(c.components, None);
        assert!(!c.is_pattern);
        let info = CrnInfo::build(
            CrnField::Subject,
            "crn://confluent.cloud/kafka=lkc-1/topic",
            &ScopeIds::default(),
        );
        assert!(!info.valid);
        assert_eq!(info.resource_name, None);
        assert_eq!(
            info.raw.as_deref(),
            Some("crn://confluent.cloud/kafka=lkc-1/topic")
        );
    }

    #[test]
    fn value_may_hold_equals_after_first() {
        let c = Crn::parse("crn://x/k=a=b").unwrap();
        assert_eq!(pairs(&c), [("k", "a=b")]);
    }

    #[test]
    fn not_a_crn() {
        assert_eq!(Crn::parse("https://example.com/a=b"), None);
        let info = CrnInfo::build(CrnField::Source, "urn:foo", &ScopeIds::default());
        assert!(!info.valid);
        assert_eq!(info.authority, None);
    }

    #[test]
    fn info_falls_back_to_cloud_resources() {
        let mut scope = ScopeIds::default();
        scope.observe("ORGANIZATION", "o9");
        scope.observe("ENVIRONMENT", "env-9");
        scope.observe("KAFKA_CLUSTER", "lkc-9");
        let info = CrnInfo::build(CrnField::Source, "crn://confluent.cloud/", &scope);
        assert!(info.valid);
        assert_eq!(info.organization.as_deref(), Some("o9"));
        assert_eq!(info.cluster.as_deref(), Some("lkc-9"));
        assert_eq!(info.resource_type, None);
        let own = CrnInfo::build(
            CrnField::Source,
            "crn://confluent.cloud/organization=o1",
            &scope,
        );
        assert_eq!(own.organization.as_deref(), Some("o1"));
        assert_eq!(own.environment.as_deref(), Some("env-9"));
        assert_eq!(own.resource_type.as_deref(), Some("organization"));
    }
}
