//! The Kafka side: `[kafka]` settings, the consumer, and its callbacks.
//!
//! Offsets are never stored here: `enable.auto.offset.store = false`, and
//! [`crate::pipeline::tracker`] is the one place that stores them. This
//! module only wires the rebalance callbacks to the tracker and commits on
//! revoke.

use std::collections::BTreeMap;
use std::sync::Arc;

use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::error::KafkaResult;
use rdkafka::{ClientContext, TopicPartitionList};
use serde::Deserialize;

use crate::pipeline::tracker::Tracker;
use crate::secret::Secret;

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
    /// librdkafka's prefetch bound (`queued.max.messages.kbytes`).
    #[serde(default = "default_prefetch_kbytes")]
    pub prefetch_kbytes: u64,
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
    16 * 1024
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
    /// `CONFLUENT_API_SECRET` give SASL_SSL + PLAIN.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) {
        if self.bootstrap_servers.is_empty() {
            if let Some(b) = env("CONFLUENT_BOOTSTRAP_SERVERS") {
                self.bootstrap_servers = b;
                if let (Some(key), Some(secret)) =
                    (env("CONFLUENT_API_KEY"), env("CONFLUENT_API_SECRET"))
                {
                    if self.sasl_username.is_none() && self.sasl_password.is_none() {
                        self.security_protocol = SecurityProtocol::SaslSsl;
                        self.sasl_mechanism = Some("PLAIN".to_owned());
                        self.sasl_username = Some(key);
                        self.sasl_password = Some(Secret::new(secret));
                    }
                }
            }
        }
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
    pub fn client_config(&self) -> Result<ClientConfig, String> {
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
        let password = crate::secret::resolve(
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
    pub fn consumer_config(&self) -> Result<ClientConfig, String> {
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

/// Consumer callbacks: rebalances go to the tracker, commits are logged.
pub struct Context {
    pub tracker: Arc<Tracker>,
}

impl ClientContext for Context {}

impl ConsumerContext for Context {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            let parts = partitions(tpl);
            // Forget the partitions first (under the tracker's lock, so no
            // late batch can store for them), then commit what is stored.
            self.tracker.revoke(&parts);
            match consumer.commit_consumer_state(CommitMode::Sync) {
                Ok(()) => tracing::info!(message = "Committed on revoke.", partitions = ?parts),
                Err(e) if is_no_offset(&e) => {
                    tracing::debug!(message = "Nothing new to commit on revoke.")
                }
                Err(e) => {
                    tracing::warn!(message = "Commit on revoke failed; the next owner re-reads (duplicates, no loss).", error = %e)
                }
            }
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let parts = partitions(tpl);
                tracing::info!(message = "Partitions assigned.", partitions = ?parts);
                self.tracker.assign(&parts);
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => tracing::warn!(message = "Rebalance error.", error = %e),
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        match result {
            Ok(()) => {
                tracing::debug!(message = "Offsets committed.", offsets = ?partition_offsets(offsets))
            }
            Err(e) => {
                tracing::warn!(message = "Offset commit failed; it is retried with the next commit.", error = %e)
            }
        }
    }
}

/// "Nothing to commit": not an error for us.
pub fn is_no_offset(e: &rdkafka::error::KafkaError) -> bool {
    matches!(
        e,
        rdkafka::error::KafkaError::ConsumerCommit(rdkafka::types::RDKafkaErrorCode::NoOffset)
    )
}

/// The consumer type used by the pipeline.
pub type AuditConsumer = StreamConsumer<Context>;

fn partitions(tpl: &TopicPartitionList) -> Vec<(String, i32)> {
    tpl.elements()
        .iter()
        .map(|e| (e.topic().to_owned(), e.partition()))
        .collect()
}

fn partition_offsets(tpl: &TopicPartitionList) -> Vec<(String, i32, Option<i64>)> {
    tpl.elements()
        .iter()
        .map(|e| (e.topic().to_owned(), e.partition(), e.offset().to_raw()))
        .collect()
}

/// Creates the consumer and subscribes it to the configured topics.
pub fn consumer(config: &KafkaConfig, tracker: Arc<Tracker>) -> Result<Arc<AuditConsumer>, String> {
    let consumer: AuditConsumer = config
        .consumer_config()?
        .create_with_context(Context {
            tracker: tracker.clone(),
        })
        .map_err(|e| format!("cannot create the Kafka consumer: {e}"))?;
    let topics: Vec<&str> = config.topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .map_err(|e| format!("cannot subscribe to {topics:?}: {e}"))?;
    let consumer = Arc::new(consumer);
    tracker.attach(Arc::downgrade(&consumer));
    Ok(consumer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confluent_cloud_from_environment() {
        let mut k = KafkaConfig::default();
        let env = |v: &str| match v {
            "CONFLUENT_BOOTSTRAP_SERVERS" => Some("pkc-1.confluent.cloud:9092".to_owned()),
            "CONFLUENT_API_KEY" => Some("KEY".to_owned()),
            "CONFLUENT_API_SECRET" => Some("SECRET".to_owned()),
            _ => None,
        };
        k.apply_env(env);
        assert_eq!(k.security_protocol, SecurityProtocol::SaslSsl);
        assert_eq!(k.sasl_mechanism.as_deref(), Some("PLAIN"));
        assert_eq!(k.sasl_username.as_deref(), Some("KEY"));
        assert!(!format!("{k:?}").contains("SECRET"));
        let c = k.consumer_config().unwrap();
        assert_eq!(c.get("sasl.password"), Some("SECRET"));
        assert_eq!(c.get("enable.auto.offset.store"), Some("false"));
        assert!(k.check().is_empty());
    }

    #[test]
    fn reserved_options_are_refused() {
        let mut k = KafkaConfig {
            bootstrap_servers: "x:9092".into(),
            ..Default::default()
        };
        k.librdkafka_options
            .insert("enable.auto.offset.store".into(), Secret::new("true"));
        k.librdkafka_options
            .insert("fetch.min.bytes".into(), Secret::new("1"));
        k.librdkafka_options.insert(
            "sasl.oauthbearer.client.secret".into(),
            Secret::new("oidc-secret"),
        );
        assert!(!format!("{k:?}").contains("oidc-secret"));
        let problems = k.check();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].0.contains("enable.auto.offset.store"));
    }

    #[test]
    fn prefetch_backoff_is_short_unless_overridden() {
        let mut k = KafkaConfig {
            bootstrap_servers: "x:9092".into(),
            ..Default::default()
        };
        let c = k.consumer_config().unwrap();
        assert_eq!(c.get("fetch.queue.backoff.ms"), Some("10"));
        assert_eq!(c.get("queued.max.messages.kbytes"), Some("16384"));
        k.librdkafka_options
            .insert("fetch.queue.backoff.ms".into(), Secret::new("1000"));
        let c = k.consumer_config().unwrap();
        assert_eq!(c.get("fetch.queue.backoff.ms"), Some("1000"));
    }

    /// Reads a backlog 60 times the prefetch bound, in many small message
    /// sets, with the consumer configuration. Returns the seconds taken.
    async fn catch_up_secs(options: &[(&str, &str)]) -> f64 {
        use rdkafka::consumer::StreamConsumer;
        use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
        use rdkafka::Message;
        use std::time::{Duration, Instant};

        const N: usize = 2000;
        let kafka = crate::mock::MockKafka::start(1).unwrap();
        kafka.create_topic("t", 4).unwrap();
        let producer: ThreadedProducer<_> = ClientConfig::new()
            .set("bootstrap.servers", kafka.bootstrap_servers())
            .set("batch.num.messages", "25")
            .create()
            .unwrap();
        let payload = vec![b'x'; 1000];
        for i in 0..N {
            producer
                .send(
                    BaseRecord::<(), _>::to("t")
                        .payload(&payload)
                        .partition(i as i32 % 4),
                )
                .map_err(|(e, _)| e)
                .unwrap();
        }
        producer.flush(Duration::from_secs(30)).unwrap();
        let mut k = KafkaConfig {
            bootstrap_servers: kafka.bootstrap_servers(),
            topics: vec!["t".into()],
            prefetch_kbytes: 32,
            ..Default::default()
        };
        for (key, v) in options {
            k.librdkafka_options.insert((*key).into(), Secret::new(*v));
        }
        let consumer: StreamConsumer = k.consumer_config().unwrap().create().unwrap();
        let mut tpl = TopicPartitionList::new();
        for p in 0..4 {
            tpl.add_partition_offset("t", p, rdkafka::Offset::Beginning)
                .unwrap();
        }
        consumer.assign(&tpl).unwrap();
        let start = Instant::now();
        let read = async {
            for _ in 0..N {
                let m = consumer.recv().await.unwrap();
                assert_eq!(m.payload().map(<[u8]>::len), Some(1000));
            }
        };
        tokio::time::timeout(Duration::from_secs(60), read)
            .await
            .expect("backlog read within a minute");
        start.elapsed().as_secs_f64()
    }

    /// Each fetch overfills the 32 KiB prefetch queue. With librdkafka's
    /// default `fetch.queue.backoff.ms` (1 s) every partition then waits a
    /// second before fetching again: this took 9.5 s (about ten rounds);
    /// with [`FETCH_QUEUE_BACKOFF_MS`] it takes well under a second.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_prefetch_queue_does_not_stall_the_consumer() {
        let secs = catch_up_secs(&[]).await;
        assert!(secs < 5.0, "2000 records took {secs:.1} s");
    }
}
