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
mod tests;
