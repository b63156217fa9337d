//! Policy: what to drop ([`Filter`]) and how severe each event is
//! ([`SeverityPolicy`]). Both are built from the `[filter]` and
//! `[severity]` sections of the config file and are pure functions of the
//! enrichment.

pub mod filter;
pub mod glob;
mod recall;
pub mod rule;
pub mod severity;

pub use filter::{Filter, FilterConfig};
pub use rule::{Rule, RuleConfig};
pub use severity::{SeverityConfig, SeverityPolicy};

/// The compiled policy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub filter: Filter,
    pub severity: SeverityPolicy,
}
