//! `[[sinks]] type = "splunk_hec"`: the keys, their defaults, and the
//! checks that need no network.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::event::Severity;
use crate::secret::{self, Secret};
use crate::sink::ConfigProblem;
use crate::tls::TlsConfig;

/// Request body compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    #[default]
    None,
    /// `Content-Encoding: gzip`, level 1: most of the size saving on JSON
    /// for a fraction of the CPU of the default level.
    Gzip,
}

/// The sink's configuration, as written in the TOML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplunkHecConfig {
    /// The sink's name in logs and metrics (default `splunk_hec`).
    pub name: Option<String>,
    /// Base URL of the collector, e.g. `https://splunk.example.com:8088`
    /// (a path prefix is kept: some proxies publish HEC under one).
    pub endpoint: String,
    /// The HEC token, normally `"${SPLUNK_HEC_TOKEN}"`.
    pub token: Option<Secret>,
    /// A file holding the token (Kubernetes secret, systemd credential).
    pub token_file: Option<String>,
    /// Default index; omitted: the token's default index.
    pub index: Option<String>,
    /// Index per `enrichment.severity` (`critical = "sec_critical"`).
    #[serde(default)]
    pub index_by_severity: BTreeMap<Severity, String>,
    /// Index per event `type`; wins over `index_by_severity`.
    #[serde(default)]
    pub index_by_type: BTreeMap<String, String>,
    #[serde(default = "default_sourcetype")]
    pub sourcetype: String,
    #[serde(default = "default_source")]
    pub source: String,
    /// Omitted: this machine's host name.
    pub host: Option<String>,
    /// Extra constant indexed fields (flat: string values only, as HEC
    /// refuses nested `fields` with code 15).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub compression: Compression,
    /// Wait for indexer acknowledgement before reporting an event
    /// delivered (Splunk Enterprise with `useACK` on the token).
    #[serde(default)]
    pub acknowledgements: bool,
    #[serde(default)]
    pub tls: TlsConfig,
    /// Largest request body before compression.
    #[serde(default = "default_max_batch_bytes")]
    pub max_batch_bytes: usize,
    #[serde(default = "default_max_batch_events")]
    pub max_batch_events: usize,
    /// An event whose envelope is larger goes to the dead-letter store
    /// without being sent (Splunk's own default limit is about 5 MB).
    #[serde(default = "default_max_event_bytes")]
    pub max_event_bytes: usize,
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// How long an ackId may stay unacknowledged before its events are
    /// resent. Splunk acks quiet tails late: keep it ≥ 300 s in production.
    #[serde(default = "default_ack_timeout_ms")]
    pub ack_timeout_ms: u64,
    #[serde(default = "default_ack_poll_interval_ms")]
    pub ack_poll_interval_ms: u64,
    /// Requests waiting for their ack at once; sending waits beyond it
    /// (backpressure), so memory stays bounded when Splunk never acks.
    #[serde(default = "default_max_pending_acks")]
    pub max_pending_acks: usize,
}

fn default_sourcetype() -> String {
    "confluent:audit".to_owned()
}
fn default_source() -> String {
    "siem-bridge".to_owned()
}
fn default_max_batch_bytes() -> usize {
    1_000_000
}
fn default_max_batch_events() -> usize {
    1_000
}
fn default_max_event_bytes() -> usize {
    5_000_000
}
fn default_request_timeout_ms() -> u64 {
    30_000
}
fn default_connect_timeout_ms() -> u64 {
    10_000
}
fn default_ack_timeout_ms() -> u64 {
    300_000
}
fn default_ack_poll_interval_ms() -> u64 {
    1_000
}
fn default_max_pending_acks() -> usize {
    1_000
}

/// The HEC paths, appended to `endpoint`.
pub const EVENT_PATH: &str = "services/collector/event";
/// Indexer acknowledgement queries.
pub const ACK_PATH: &str = "services/collector/ack";
/// The health endpoint (readiness only).
pub const HEALTH_PATH: &str = "services/collector/health";

impl SplunkHecConfig {
    /// `request_timeout_ms`.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
    /// `connect_timeout_ms`.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }
    /// `ack_timeout_ms`.
    pub fn ack_timeout(&self) -> Duration {
        Duration::from_millis(self.ack_timeout_ms)
    }
    /// `ack_poll_interval_ms`.
    pub fn ack_poll_interval(&self) -> Duration {
        Duration::from_millis(self.ack_poll_interval_ms)
    }

    /// The token, from `token` or `token_file`.
    pub fn resolve_token(&self) -> Result<Secret, ConfigProblem> {
        let key = if self.token_file.is_some() {
            "token_file"
        } else {
            "token"
        };
        let problem = |m: String| ConfigProblem::new(key, m);
        let token = secret::load(self.token.as_ref(), self.token_file.as_deref())
            .map_err(|e| problem(e.to_string()))?;
        match token {
            Some(t) if !t.expose().trim().is_empty() => Ok(t),
            Some(_) => Err(problem("the HEC token is empty".to_owned())),
            None => Err(problem(
                "set `token = \"${SPLUNK_HEC_TOKEN}\"` or `token_file`".to_owned(),
            )),
        }
    }

    /// `endpoint` joined with `path`.
    pub fn url(&self, path: &str) -> Result<reqwest::Url, ConfigProblem> {
        let problem = |m: String| ConfigProblem::new("endpoint", m);
        let mut base = reqwest::Url::parse(self.endpoint.trim()).map_err(|e| {
            problem(format!(
                "not a URL ({e}); e.g. https://splunk.example.com:8088"
            ))
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(problem(format!(
                "scheme `{}` is not http or https",
                base.scheme()
            )));
        }
        if base.path().contains("/services/collector") {
            return Err(problem(
                "give the base URL only; siem-bridge appends /services/collector/…".to_owned(),
            ));
        }
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        base.join(path).map_err(|e| problem(e.to_string()))
    }

    /// Problems that can be found without network, as `(key, message)`.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut add = |k: &str, m: String| out.push((k.to_owned(), m));
        if let Err(p) = self.url(EVENT_PATH) {
            add(&p.key, p.message);
        }
        if let Err(p) = self.resolve_token() {
            add(&p.key, p.message);
        }
        for (key, m) in self.tls.check() {
            add(&format!("tls.{key}"), m);
        }
        if self.index.as_deref().is_some_and(|i| i.trim().is_empty()) {
            add(
                "index",
                "must not be empty (omit it for the token's default)".to_owned(),
            );
        }
        for (name, value) in [("sourcetype", &self.sourcetype), ("source", &self.source)] {
            if value.trim().is_empty() {
                add(name, "must not be empty".to_owned());
            }
        }
        let zero = [
            ("max_batch_bytes", self.max_batch_bytes as u64),
            ("max_batch_events", self.max_batch_events as u64),
            ("max_event_bytes", self.max_event_bytes as u64),
            ("request_timeout_ms", self.request_timeout_ms),
            ("connect_timeout_ms", self.connect_timeout_ms),
            ("ack_timeout_ms", self.ack_timeout_ms),
            ("ack_poll_interval_ms", self.ack_poll_interval_ms),
            ("max_pending_acks", self.max_pending_acks as u64),
        ];
        for (key, v) in zero {
            if v == 0 {
                add(key, "must be greater than 0".to_owned());
            }
        }
        if self.acknowledgements && self.ack_poll_interval_ms >= self.ack_timeout_ms {
            add(
                "ack_poll_interval_ms",
                "must be shorter than `ack_timeout_ms`".to_owned(),
            );
        }
        let routes = self
            .index_by_severity
            .iter()
            .map(|(s, i)| (format!("index_by_severity.{}", s.as_str()), i))
            .chain(
                self.index_by_type
                    .iter()
                    .map(|(t, i)| (format!("index_by_type.\"{t}\""), i)),
            );
        for (key, index) in routes {
            if index.trim().is_empty() {
                add(&key, "must not be empty".to_owned());
            }
        }
        for (key, value) in &self.fields {
            if key.trim().is_empty() || value.is_empty() {
                add(
                    &format!("fields.{key}"),
                    "names and values must not be empty".to_owned(),
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
