//! `[observability]`: what an operator scrapes from a running pipeline.
//!
//! `/metrics` (Prometheus text format, [`metrics`]), `/health` (the process
//! answers) and `/ready` ([`ready`]: partitions assigned, every sink
//! healthy, the dead-letter store working), on one small HTTP/1.1 server.
//! Everything is read from the pipeline's [`crate::pipeline::Handle`] at
//! scrape time; nothing here is on the delivery path. This module sits
//! above the pipeline (the pipeline does not know it): the `run` command
//! binds the [`Server`] and starts it with the handle.

mod detection;
pub mod metrics;
mod probe;
pub mod ready;
mod server;

use std::time::Duration;

use serde::Deserialize;

pub use probe::spawn_probes;
pub use server::{BindError, Server};

/// `[observability]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ObservabilityConfig {
    /// Serve the endpoints at all.
    #[serde(default = "d_enabled")]
    pub enabled: bool,
    /// `host:port` to listen on. Loopback by default: the endpoints are
    /// unauthenticated (in a container, set `0.0.0.0:9464`).
    #[serde(default = "d_listen")]
    pub listen: String,
    /// Retention of the audit topic, for the retention headroom gauge.
    /// Confluent's audit-log topic keeps 7 days.
    #[serde(default = "d_retention_hours")]
    pub retention_hours: u64,
    /// How often each sink's own health check runs for `/ready` (0: never;
    /// then only the outcomes of real sends count). Catches a broken sink
    /// while no events flow.
    #[serde(default = "d_healthcheck_interval_secs")]
    pub healthcheck_interval_secs: u64,
}

fn d_enabled() -> bool {
    true
}
fn d_listen() -> String {
    "127.0.0.1:9464".to_owned()
}
fn d_retention_hours() -> u64 {
    7 * 24
}
fn d_healthcheck_interval_secs() -> u64 {
    30
}

impl Default for ObservabilityConfig {
    fn default() -> Self {
        ObservabilityConfig {
            enabled: d_enabled(),
            listen: d_listen(),
            retention_hours: d_retention_hours(),
            healthcheck_interval_secs: d_healthcheck_interval_secs(),
        }
    }
}

impl ObservabilityConfig {
    /// No endpoints (the demo, tests that run many pipelines at once).
    pub fn disabled() -> Self {
        ObservabilityConfig {
            enabled: false,
            ..Default::default()
        }
    }

    /// `retention_hours` as a duration.
    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.retention_hours * 3600)
    }

    /// Problems as `(key, message)`, keys relative to `[observability]`.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.enabled && self.listen.parse::<std::net::SocketAddr>().is_err() {
            out.push((
                "listen".to_owned(),
                format!(
                    "`{}` is not an IP address and port such as 127.0.0.1:9464",
                    self.listen
                ),
            ));
        }
        if self.retention_hours == 0 {
            out.push(("retention_hours".to_owned(), "must be positive".to_owned()));
        }
        out
    }
}

#[cfg(test)]
mod tests;
