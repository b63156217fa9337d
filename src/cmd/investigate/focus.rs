//! The focus flags (`--principal`, `--ip`, `--resource`, `--client-id`,
//! `--alert`) → one matcher over events and alerts. Repeated values of a
//! flag: any may match; different flags: all must hold (as in `watch`).
//! No flag: everything is in focus.

use std::collections::HashSet;

use wildmatch::WildMatch;

use crate::cmd::watch::{Query, QueryFlags};
use crate::detect::Alert;
use crate::event::Enrichment;

use super::model::FocusInfo;
use super::InvestigateError;

/// What `--alert ID` expands to once the alert is found: its principal,
/// its addresses and its events.
#[derive(Debug, Clone, Default)]
pub struct AlertFocus {
    pub id: String,
    pub principal: Option<String>,
    pub source_ips: Vec<String>,
    pub event_ids: HashSet<String>,
}

impl AlertFocus {
    /// The focus of `a`.
    pub fn of(a: &Alert) -> AlertFocus {
        AlertFocus {
            id: a.id.clone(),
            principal: a.principal.clone(),
            source_ips: a.source_ips.clone(),
            event_ids: a.event_ids.iter().cloned().collect(),
        }
    }

    fn matches(&self, e: &Enrichment) -> bool {
        self.principal
            .as_deref()
            .is_some_and(|p| e.principal().normalized == Some(p))
            || e.source_ip()
                .is_some_and(|ip| self.source_ips.iter().any(|s| s == ip))
            || self.event_ids.contains(e.event_id())
    }
}

/// The compiled focus.
#[derive(Debug, Clone, Default)]
pub struct Focus {
    /// `--principal` and `--ip`, with `watch`'s globs and CIDR blocks.
    query: Option<Query>,
    resource: Vec<WildMatch>,
    client: Vec<WildMatch>,
    pub alert: Option<AlertFocus>,
    /// The flags as given, for the report.
    pub info: FocusInfo,
}

impl Focus {
    /// The focus of the flags; `--alert`'s expansion comes later
    /// ([`Focus::alert`]), once the alert is found.
    pub fn new(
        principals: &[String],
        ips: &[String],
        resources: &[String],
        client_ids: &[String],
        alert: Option<&str>,
    ) -> Result<Focus, InvestigateError> {
        let query = if principals.is_empty() && ips.is_empty() {
            None
        } else {
            Some(
                Query::new(&QueryFlags {
                    principal: principals.to_vec(),
                    ip: ips.to_vec(),
                    ..QueryFlags::default()
                })
                .map_err(|e| InvestigateError::Usage(e.to_string()))?,
            )
        };
        for (flag, v) in [("--resource", resources), ("--client-id", client_ids)] {
            if v.iter().any(|g| g.trim().is_empty()) {
                return Err(InvestigateError::Usage(format!(
                    "{flag} needs a value (a glob such as 'sensitive-*')"
                )));
            }
        }
        Ok(Focus {
            query,
            resource: resources.iter().map(|g| WildMatch::new(g)).collect(),
            client: client_ids.iter().map(|g| WildMatch::new(g)).collect(),
            alert: None,
            info: FocusInfo {
                principals: principals.to_vec(),
                ips: ips.to_vec(),
                resources: resources.to_vec(),
                client_ids: client_ids.to_vec(),
                alert: alert.map(str::to_owned),
            },
        })
    }

    /// Whether no flag narrows anything.
    pub fn is_everything(&self) -> bool {
        self.query.is_none()
            && self.resource.is_empty()
            && self.client.is_empty()
            && self.alert.is_none()
    }

    /// Whether the event is in focus.
    pub fn matches(&self, e: &Enrichment) -> bool {
        self.query.as_ref().is_none_or(|q| q.matches(e))
            && (self.resource.is_empty() || {
                let crn = e.crn();
                [e.resource_name(), crn.resource_name, crn.raw]
                    .into_iter()
                    .flatten()
                    .any(|v| self.resource.iter().any(|g| g.matches(v)))
            })
            && (self.client.is_empty()
                || e.client_id()
                    .is_some_and(|c| self.client.iter().any(|g| g.matches(c))))
            && self.alert.as_ref().is_none_or(|a| a.matches(e))
    }

    /// Whether an alert concerns the focus by its own fields.
    pub fn matches_alert(&self, a: &Alert) -> bool {
        if self.is_everything() {
            return true;
        }
        let any = |globs: &[WildMatch], values: &[String]| {
            globs.is_empty() || values.iter().any(|v| globs.iter().any(|g| g.matches(v)))
        };
        let principal_ok = self.info.principals.is_empty()
            || a.principal.as_deref().is_some_and(|p| {
                self.info
                    .principals
                    .iter()
                    .any(|g| WildMatch::new(g).matches(p))
            });
        let ip_ok = self.info.ips.is_empty()
            || a.source_ips.iter().any(|ip| {
                self.info
                    .ips
                    .iter()
                    .any(|g| g == ip || WildMatch::new(g).matches(ip) || in_cidr(g, ip))
            });
        let names: Vec<String> = a
            .resources
            .iter()
            .flat_map(|r| [r.clone(), last_value(r).to_owned()])
            .collect();
        let alert_ok = self.alert.as_ref().is_none_or(|f| {
            f.id == a.id
                || (f.principal.is_some() && f.principal == a.principal)
                || a.event_ids.iter().any(|id| f.event_ids.contains(id))
        });
        principal_ok
            && ip_ok
            && any(&self.resource, &names)
            && any(&self.client, &a.correlation.client_ids)
            && alert_ok
    }
}

/// `crn://…/topic=orders` → `orders`.
pub fn last_value(r: &str) -> &str {
    r.rsplit('/')
        .next()
        .and_then(|p| p.split_once('=').map(|(_, v)| v))
        .unwrap_or(r)
}

fn in_cidr(block: &str, ip: &str) -> bool {
    let (Some((net, len)), Ok(ip)) = (block.split_once('/'), ip.parse::<std::net::IpAddr>()) else {
        return false;
    };
    let (Ok(net), Ok(len)) = (net.parse::<std::net::IpAddr>(), len.parse::<u32>()) else {
        return false;
    };
    match (net, ip) {
        (std::net::IpAddr::V4(n), std::net::IpAddr::V4(i)) if len <= 32 => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (std::net::IpAddr::V6(n), std::net::IpAddr::V6(i)) if len <= 128 => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
