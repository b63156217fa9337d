//! Policy: what to drop ([`Filter`]) and how severe each event is
//! ([`SeverityPolicy`]). Both are built from the `[filter]` and
//! `[severity]` sections of the config file and are pure functions of the
//! enrichment.

pub mod filter;
pub mod glob;
pub mod rule;
pub mod severity;

use serde::Deserialize;

pub use filter::{Filter, FilterConfig};
pub use rule::{Rule, RuleConfig};
pub use severity::{SeverityConfig, SeverityPolicy};

/// The policy sections of the config file.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PolicyConfig {
    #[serde(default)]
    pub filter: FilterConfig,
    #[serde(default)]
    pub severity: SeverityConfig,
}

/// The compiled policy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub filter: Filter,
    pub severity: SeverityPolicy,
}

impl PolicyConfig {
    /// Compiles both sections, returning every problem found.
    pub fn compile(&self) -> Result<Policy, Vec<String>> {
        let filter = self.filter.compile();
        let severity = self.severity.compile();
        match (filter, severity) {
            (Ok(filter), Ok(severity)) => Ok(Policy { filter, severity }),
            (f, s) => Err(f.err().into_iter().chain(s.err()).flatten().collect()),
        }
    }
}
