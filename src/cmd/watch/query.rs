//! Query flags → one matcher over the enrichment. Reuses
//! [`crate::policy::rule`] (the same globs and semantics as filter rules)
//! and adds what rules do not have: the source IP.

use std::collections::BTreeMap;
use std::net::IpAddr;

use wildmatch::WildMatch;

use crate::event::{Enrichment, Severity};
use crate::policy::rule::{OneOrMany, Rule, RuleConfig, RuleSection};

use super::WatchError;

/// The glob of the classic case when the config names none (the default
/// of `[severity] sensitive_resources`).
pub const SENSITIVE_GLOB: &str = "sensitive-*";

/// The query flags as given (each repeatable flag: any value may match;
/// different flags: all must hold).
#[derive(Debug, Clone, Default)]
pub struct QueryFlags {
    pub failed_auth: bool,
    /// `--failed-sensitive`: failed authentication or authorization on a
    /// sensitive resource.
    pub failed_sensitive: bool,
    /// Resource-name globs that are sensitive: `[severity]
    /// sensitive_resources` of the config (empty: `sensitive-*`).
    pub sensitive_resources: Vec<String>,
    pub principal: Vec<String>,
    pub ip: Vec<String>,
    pub method: Vec<String>,
    /// `key=glob`, e.g. `topic=sensitive-*`.
    pub crn: Vec<String>,
    pub severity: Option<Severity>,
}

/// A compiled query.
#[derive(Debug, Clone)]
pub struct Query {
    rule: Rule,
    /// Resource-name globs of `--failed-sensitive` (a second rule, since
    /// `--crn` may already constrain other components).
    sensitive: Option<Rule>,
    ip: Vec<IpPattern>,
}

impl Query {
    /// The matcher of the query flags; a wrong flag is a usage error.
    pub fn new(flags: &QueryFlags) -> Result<Query, WatchError> {
        let mut crn: BTreeMap<String, OneOrMany> = BTreeMap::new();
        for c in &flags.crn {
            let (k, v) = c
                .split_once('=')
                .filter(|(k, v)| !k.trim().is_empty() && !v.is_empty())
                .ok_or_else(|| {
                    WatchError::Query(format!(
                        "--crn {c:?}: expected KEY=GLOB, e.g. 'topic=sensitive-*'"
                    ))
                })?;
            crn.entry(k.trim().to_owned())
                .or_default()
                .0
                .push(v.to_owned());
        }
        let config = RuleConfig {
            method: OneOrMany(flags.method.clone()),
            principal: OneOrMany(flags.principal.clone()),
            crn,
            failed_auth: (flags.failed_auth || flags.failed_sensitive).then_some(true),
            min_severity: flags.severity,
            ..RuleConfig::default()
        };
        let rule = config
            .compile(RuleSection::Allow, "watch".to_owned())
            .map_err(|p| WatchError::Query(p.join("; ")))?;
        let sensitive = flags.failed_sensitive.then(|| {
            let globs = if flags.sensitive_resources.is_empty() {
                vec![SENSITIVE_GLOB.to_owned()]
            } else {
                flags.sensitive_resources.clone()
            };
            RuleConfig {
                resource_name: OneOrMany(globs),
                ..RuleConfig::default()
            }
            .compile(RuleSection::Allow, "failed-sensitive".to_owned())
            .expect("a resource_name rule always compiles")
        });
        let ip = flags
            .ip
            .iter()
            .map(|s| IpPattern::parse(s))
            .collect::<Result<_, _>>()?;
        Ok(Query {
            rule,
            sensitive,
            ip,
        })
    }

    /// Whether the event's enrichment matches every given flag.
    pub fn matches(&self, e: &Enrichment) -> bool {
        self.rule.matches(e)
            && self.sensitive.as_ref().is_none_or(|r| r.matches(e))
            && (self.ip.is_empty()
                || e.source_ip()
                    .is_some_and(|ip| self.ip.iter().any(|p| p.matches(ip))))
    }
}

/// `--ip`: an address, a CIDR block, or a glob on the text.
#[derive(Debug, Clone)]
enum IpPattern {
    Net(IpAddr, u8),
    Glob(WildMatch),
}

impl IpPattern {
    fn parse(s: &str) -> Result<IpPattern, WatchError> {
        let bad = |why: &str| WatchError::Query(format!("--ip {s:?}: {why}"));
        if let Some((addr, len)) = s.split_once('/') {
            let addr: IpAddr = addr.parse().map_err(|_| bad("not an IP address"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let len: u8 = len
                .parse()
                .ok()
                .filter(|l| *l <= max)
                .ok_or_else(|| bad(&format!("the prefix length must be 0 to {max}")))?;
            return Ok(IpPattern::Net(addr, len));
        }
        match s.parse::<IpAddr>() {
            Ok(a) => Ok(IpPattern::Net(a, if a.is_ipv4() { 32 } else { 128 })),
            Err(_) if s.contains(['*', '?']) => Ok(IpPattern::Glob(WildMatch::new(s))),
            Err(_) => Err(bad("expected an address, a CIDR block or a glob")),
        }
    }

    fn matches(&self, text: &str) -> bool {
        match self {
            IpPattern::Glob(g) => g.matches(text),
            IpPattern::Net(net, len) => match (net, text.parse::<IpAddr>()) {
                (IpAddr::V4(n), Ok(IpAddr::V4(a))) => prefix(n.to_bits(), a.to_bits(), *len, 32),
                (IpAddr::V6(n), Ok(IpAddr::V6(a))) => prefix(n.to_bits(), a.to_bits(), *len, 128),
                _ => false,
            },
        }
    }
}

fn prefix<T>(net: T, addr: T, len: u8, bits: u32) -> bool
where
    T: Into<u128>,
{
    let shift = bits - len as u32;
    if shift >= 128 {
        return true;
    }
    (net.into() >> shift) == (addr.into() >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Disposition;
    use crate::process::Processor;

    fn enriched(line: &str) -> Enrichment {
        match Processor::default().process(line.as_bytes(), None, 0) {
            Disposition::Forward(e) => e.enrichment,
            other => panic!("not forwarded: {other:?}"),
        }
    }

    fn authz(principal: &str, granted: bool, topic: &str, ip: &str) -> Enrichment {
        enriched(&format!(
            r#"{{"specversion":"1.0","id":"x","source":"crn://confluent.cloud/organization=o/environment=e/cloud-cluster=lkc-1/kafka=lkc-1","type":"io.confluent.kafka.server/authorization","time":"2025-03-04T09:05:00Z","data":{{"methodName":"kafka.Produce","resourceName":"crn://confluent.cloud/organization=o/environment=e/cloud-cluster=lkc-1/kafka=lkc-1/topic={topic}","authenticationInfo":{{"principal":"{principal}"}},"authorizationInfo":{{"granted":{granted},"operation":"Write","resourceType":"Topic","resourceName":"{topic}"}},"requestMetadata":{{"clientAddress":[{{"ip":"{ip}","port":1}}]}}}}}}"#
        ))
    }

    fn q(f: QueryFlags) -> Query {
        Query::new(&f).unwrap()
    }

    #[test]
    fn each_flag() {
        let denied = authz("User:sa-1", false, "sensitive-pay", "203.0.113.7");
        let granted = authz("User:sa-2", true, "orders", "198.51.100.1");
        assert_eq!(denied.source_ip(), Some("203.0.113.7"));
        let all = q(QueryFlags::default());
        assert!(all.matches(&denied) && all.matches(&granted));
        let failed = q(QueryFlags {
            failed_auth: true,
            ..Default::default()
        });
        assert!(failed.matches(&denied) && !failed.matches(&granted));
        let p = q(QueryFlags {
            principal: vec!["User:sa-2".into()],
            ..Default::default()
        });
        assert!(!p.matches(&denied) && p.matches(&granted));
        let m = q(QueryFlags {
            method: vec!["kafka.Prod*".into()],
            ..Default::default()
        });
        assert!(m.matches(&denied));
        let m = q(QueryFlags {
            method: vec!["mds.*".into()],
            ..Default::default()
        });
        assert!(!m.matches(&denied));
        let c = q(QueryFlags {
            crn: vec!["topic=sensitive-*".into()],
            ..Default::default()
        });
        assert!(c.matches(&denied) && !c.matches(&granted));
    }

    #[test]
    fn failed_sensitive_needs_both() {
        let s = q(QueryFlags {
            failed_sensitive: true,
            ..Default::default()
        });
        assert!(s.matches(&authz("User:a", false, "sensitive-pay", "10.0.0.1")));
        assert!(!s.matches(&authz("User:a", true, "sensitive-pay", "10.0.0.1")));
        assert!(!s.matches(&authz("User:a", false, "orders", "10.0.0.1")));
        let pii = q(QueryFlags {
            failed_sensitive: true,
            sensitive_resources: vec!["pii-*".into(), "hr".into()],
            ..Default::default()
        });
        assert!(pii.matches(&authz("User:a", false, "pii-1", "10.0.0.1")));
        assert!(pii.matches(&authz("User:a", false, "hr", "10.0.0.1")));
        assert!(!pii.matches(&authz("User:a", false, "sensitive-pay", "10.0.0.1")));
    }

    #[test]
    fn ip_address_cidr_glob() {
        let e = authz("User:a", true, "t", "203.0.113.7");
        let ip = |s: &str| {
            q(QueryFlags {
                ip: vec![s.into()],
                ..Default::default()
            })
            .matches(&e)
        };
        assert!(ip("203.0.113.7"));
        assert!(!ip("203.0.113.8"));
        assert!(ip("203.0.113.0/24"));
        assert!(!ip("203.0.112.0/24"));
        assert!(ip("0.0.0.0/0"));
        assert!(ip("203.0.*"));
        assert!(!ip("2001:db8::/32"));
        let v6 = authz("User:a", true, "t", "2001:db8::5");
        assert!(q(QueryFlags {
            ip: vec!["2001:db8::/32".into()],
            ..Default::default()
        })
        .matches(&v6));
    }

    #[test]
    fn bad_flags_say_what_to_write() {
        let err = |f: QueryFlags| Query::new(&f).unwrap_err().to_string();
        assert!(err(QueryFlags {
            crn: vec!["sensitive-*".into()],
            ..Default::default()
        })
        .contains("KEY=GLOB"));
        assert!(err(QueryFlags {
            ip: vec!["10.0.0.0/33".into()],
            ..Default::default()
        })
        .contains("0 to 32"));
        assert!(err(QueryFlags {
            ip: vec!["localhost".into()],
            ..Default::default()
        })
        .contains("CIDR"));
    }
}
