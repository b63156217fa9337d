//! `[kafka]`: the settings, their checks, and the librdkafka client and
//! consumer configurations built from them.

use std::collections::BTreeMap;

use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use serde::Deserialize;

use crate::secret::{Secret, SecretError};

/// librdkafka settings that would break the at-least-once guarantee or
/// that have their own key; `librdkafka_options` may not set them.
pub const RESERVED_OPTIONS: &[&str] = &[
    "enable.auto.offset.store",
    "enable.auto.commit",
    "auto.commit.enable",
    "group.id",
    "bootstrap.servers",
    "metadata.broker.list",
    "enable.partition.eof",
];

/// `security_protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityProtocol {
    #[default]
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl SecurityProtocol {
    fn as_librdkafka(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "plaintext",
            SecurityProtocol::Ssl => "ssl",
            SecurityProtocol::SaslPlaintext => "sasl_plaintext",
            SecurityProtocol::SaslSsl => "sasl_ssl",
        }
    }
}

/// `auto_offset_reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffsetReset {
    /// The audit topic keeps only 7 days: start from the oldest record.
    #[default]
    Earliest,
    Latest,
    /// Fail instead of skipping (tests that must detect data loss).
    Error,
}

/// `[kafka]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// `host:port,…` of the audit cluster. Defaults to
    /// `$CONFLUENT_BOOTSTRAP_SERVERS`.
    #[serde(default)]
    pub bootstrap_servers: String,
    #[serde(default = "default_topics")]
    pub topics: Vec<String>,
    #[serde(default = "default_group")]
    pub group_id: String,
    #[serde(default)]
    pub security_protocol: SecurityProtocol,
    /// `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`, `OAUTHBEARER`, `GSSAPI`.
    pub sasl_mechanism: Option<String>,
    pub sasl_username: Option<String>,
    pub sasl_password: Option<Secret>,
    pub sasl_password_file: Option<String>,
    #[serde(default)]
    pub auto_offset_reset: OffsetReset,
    #[serde(default = "default_session_timeout_ms")]
    pub session_timeout_ms: u64,
    /// How often librdkafka commits the offsets the pipeline stored.
    #[serde(default = "default_commit_interval_ms")]
    pub commit_interval_ms: u64,
    #[serde(default = "default_max_poll_interval_ms")]
    pub max_poll_interval_ms: u64,
    /// librdkafka's prefetch bound (`queued.max.messages.kbytes`). 4 MiB:
    /// with `fetch.queue.backoff.ms = 10` the queue is refilled long
    /// before it drains, so more buys no events/s, only memory.
    #[serde(default = "default_prefetch_kbytes")]
    pub prefetch_kbytes: u64,
    /// `run` exits (code 1) after this many seconds without any reachable
    /// broker, for a supervisor to act; 0: never (keep retrying).
    #[serde(default)]
    pub exit_after_unreachable_secs: u64,
    /// Passed to librdkafka as is, after the settings above (OAUTHBEARER,
    /// mTLS, tuning). Values may be secrets: they are never logged and
    /// `Debug` redacts them.
    #[serde(default)]
    pub librdkafka_options: BTreeMap<String, Secret>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            bootstrap_servers: String::new(),
            topics: default_topics(),
            group_id: default_group(),
            security_protocol: SecurityProtocol::default(),
            sasl_mechanism: None,
            sasl_username: None,
            sasl_password: None,
            sasl_password_file: None,
            auto_offset_reset: OffsetReset::default(),
            session_timeout_ms: default_session_timeout_ms(),
            commit_interval_ms: default_commit_interval_ms(),
            max_poll_interval_ms: default_max_poll_interval_ms(),
            prefetch_kbytes: default_prefetch_kbytes(),
            exit_after_unreachable_secs: 0,
            librdkafka_options: BTreeMap::new(),
        }
    }
}

fn default_topics() -> Vec<String> {
    vec!["confluent-audit-log-events".to_owned()]
}
fn default_group() -> String {
    "siem-bridge".to_owned()
}
fn default_session_timeout_ms() -> u64 {
    45_000
}
fn default_commit_interval_ms() -> u64 {
    1_000
}
fn default_max_poll_interval_ms() -> u64 {
    300_000
}
fn default_prefetch_kbytes() -> u64 {
    4 * 1024
}

/// `statistics.interval.ms` of the pipeline's consumer: how soon the end
/// of an outage is seen while no record arrives.
pub const STATISTICS_INTERVAL_MS: u64 = 5_000;

/// One Confluent credential variable without the other.
fn missing_env(missing: &str, set: &str) -> (String, String) {
    (
        "sasl_password".to_owned(),
        format!(
            "{set} is set but {missing} is not (or is empty): set both to connect with SASL_SSL, or neither; without it siem-bridge would connect without credentials or TLS"
        ),
    )
}

/// `fetch.queue.backoff.ms` for every consumer: how long librdkafka waits
/// before it considers fetching a partition again after finding the
/// prefetch queue full. librdkafka's default is 1000 ms, and the queue
/// (`queued.max.messages.kbytes`, `queued.min.messages`) is one queue
/// shared by all partitions: whenever processing is slower than fetching
/// (always, while catching up a backlog larger than the prefetch bound),
/// the queue fills, every partition backs off for a whole second, the
/// queue drains in a fraction of that and intake waits for the rest. With
/// the 16 MiB default that capped reading at ≈ 16–23 MB/s however fast the
/// pipeline was (BENCHMARKS.md, "Pipeline"). 10 ms re-checks well before
/// the queue can drain; 0 would make librdkafka's broker thread spin while
/// the queue is full. `librdkafka_options` may still override it.
pub const FETCH_QUEUE_BACKOFF_MS: u64 = 10;

impl KafkaConfig {
    /// Fills what the file left out from the Confluent Cloud environment
    /// variables: `CONFLUENT_BOOTSTRAP_SERVERS`, `CONFLUENT_API_KEY`,
    /// `CONFLUENT_API_SECRET` give SASL_SSL + PLAIN. An empty variable
    /// counts as unset. Returns the problems as `(key, message)`: one of
    /// the key and the secret without the other would otherwise connect
    /// without credentials (and without TLS), so it is refused.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let mut problems = Vec::new();
        if !self.bootstrap_servers.is_empty() {
            return problems;
        }
        let Some(b) = var("CONFLUENT_BOOTSTRAP_SERVERS") else {
            return problems;
        };
        self.bootstrap_servers = b;
        match (var("CONFLUENT_API_KEY"), var("CONFLUENT_API_SECRET")) {
            (Some(key), Some(secret)) => {
                if self.sasl_username.is_none() && self.sasl_password.is_none() {
                    self.security_protocol = SecurityProtocol::SaslSsl;
                    self.sasl_mechanism = Some("PLAIN".to_owned());
                    self.sasl_username = Some(key);
                    self.sasl_password = Some(Secret::new(secret));
                }
            }
            (Some(_), None) => {
                problems.push(missing_env("CONFLUENT_API_SECRET", "CONFLUENT_API_KEY"))
            }
            (None, Some(_)) => {
                problems.push(missing_env("CONFLUENT_API_KEY", "CONFLUENT_API_SECRET"))
            }
            (None, None) => {}
        }
        problems
    }

    /// Problems as `(key, message)`, keys relative to `[kafka]`.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut p = |k: &str, m: String| out.push((k.to_owned(), m));
        if self.bootstrap_servers.trim().is_empty() {
            p(
                "bootstrap_servers",
                "required (or set CONFLUENT_BOOTSTRAP_SERVERS)".to_owned(),
            );
        }
        if self.topics.is_empty() || self.topics.iter().any(|t| t.trim().is_empty()) {
            p(
                "topics",
                "must name at least one non-empty topic".to_owned(),
            );
        }
        if self.group_id.trim().is_empty() {
            p("group_id", "must not be empty".to_owned());
        }
        let sasl = matches!(
            self.security_protocol,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        );
        if sasl && self.sasl_mechanism.is_none() {
            p(
                "sasl_mechanism",
                "required with a SASL security_protocol".to_owned(),
            );
        }
        let cloud = self.bootstrap_servers.split(',').any(|b| {
            b.split(':')
                .next()
                .unwrap_or("")
                .ends_with(".confluent.cloud")
        });
        if cloud && self.security_protocol != SecurityProtocol::SaslSsl {
            p(
                "security_protocol",
                format!(
                    "is {}, but Confluent Cloud accepts only sasl_ssl: set security_protocol = \"sasl_ssl\" with the API key and secret",
                    self.security_protocol.as_librdkafka()
                ),
            );
        } else if !sasl && (self.sasl_username.is_some() || self.sasl_password.is_some()) {
            p(
                "security_protocol",
                format!(
                    "is {}, so sasl_username and sasl_password would not be sent: set security_protocol = \"sasl_ssl\" (Confluent Cloud)",
                    self.security_protocol.as_librdkafka()
                ),
            );
        }
        if self
            .sasl_password
            .as_ref()
            .is_some_and(|pw| pw.expose().trim().is_empty())
        {
            p(
                "sasl_password",
                "is empty (an empty environment variable?): set it, or use sasl_password_file"
                    .to_owned(),
            );
        }
        if self.sasl_password.is_some() && self.sasl_password_file.is_some() {
            p(
                "sasl_password",
                "give sasl_password or sasl_password_file, not both".to_owned(),
            );
        }
        if self.session_timeout_ms < 1_000 {
            p("session_timeout_ms", "must be at least 1000".to_owned());
        }
        if self.commit_interval_ms == 0 {
            p("commit_interval_ms", "must be positive".to_owned());
        }
        for key in self.librdkafka_options.keys() {
            if RESERVED_OPTIONS.contains(&key.as_str()) {
                p(
                    &format!("librdkafka_options.\"{key}\""),
                    "may not be overridden: siem-bridge sets it to keep the at-least-once guarantee (use the [kafka] key where there is one)".to_owned(),
                );
            }
        }
        out
    }

    /// The librdkafka configuration shared by the consumer and the
    /// dead-letter producer (no group settings).
    pub fn client_config(&self) -> Result<ClientConfig, SecretError> {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap_servers)
            .set("security.protocol", self.security_protocol.as_librdkafka())
            .set("client.id", "siem-bridge")
            .set_log_level(RDKafkaLogLevel::Warning);
        if let Some(m) = &self.sasl_mechanism {
            c.set("sasl.mechanism", m);
        }
        if let Some(u) = &self.sasl_username {
            c.set("sasl.username", u);
        }
        let password = crate::secret::load(
            self.sasl_password.as_ref(),
            self.sasl_password_file.as_deref(),
        )?;
        if let Some(pw) = password {
            c.set("sasl.password", pw.expose());
        }
        Ok(c)
    }

    /// The prefetch settings every consumer gets (the pipeline's and
    /// `watch`'s): the bound of the prefetch queue and how soon fetching
    /// resumes once it has room again ([`FETCH_QUEUE_BACKOFF_MS`]).
    pub fn set_prefetch(&self, c: &mut ClientConfig) {
        c.set(
            "queued.max.messages.kbytes",
            self.prefetch_kbytes.to_string(),
        )
        .set("fetch.queue.backoff.ms", FETCH_QUEUE_BACKOFF_MS.to_string());
    }

    /// The consumer configuration: the guarantee's settings first, then
    /// the user's passthrough options (reserved keys were refused).
    pub fn consumer_config(&self) -> Result<ClientConfig, SecretError> {
        let mut c = self.client_config()?;
        c.set("group.id", &self.group_id)
            .set("enable.auto.commit", "true")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "false")
            .set(
                "auto.commit.interval.ms",
                self.commit_interval_ms.to_string(),
            )
            .set("session.timeout.ms", self.session_timeout_ms.to_string())
            // librdkafka's default (3 s) is too slow for short sessions.
            .set(
                "heartbeat.interval.ms",
                (self.session_timeout_ms / 3).clamp(100, 3_000).to_string(),
            )
            .set(
                "max.poll.interval.ms",
                self.max_poll_interval_ms.to_string(),
            )
            // The broker states in these tell when an outage is over
            // (`kafka::outage`).
            .set("statistics.interval.ms", STATISTICS_INTERVAL_MS.to_string())
            .set(
                "auto.offset.reset",
                match self.auto_offset_reset {
                    OffsetReset::Earliest => "earliest",
                    OffsetReset::Latest => "latest",
                    OffsetReset::Error => "error",
                },
            );
        self.set_prefetch(&mut c);
        for (k, v) in &self.librdkafka_options {
            c.set(k, v.expose());
        }
        Ok(c)
    }
}
