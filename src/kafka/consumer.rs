//! The pipeline's consumer and its callbacks: rebalances are reported to
//! a [`RebalanceHook`] (the pipeline's offset tracker), the consumer
//! commits on revoke, and commit results are logged.

use std::sync::Arc;

use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::{ClientContext, TopicPartitionList};

use rdkafka::config::RDKafkaLogLevel;

use super::{describe, KafkaConfig, Outage};
use crate::secret::SecretError;

/// Who must hear about partition ownership changes: the pipeline's offset
/// tracker, which forgets revoked partitions so that no late batch can
/// store an offset for them, and starts a new epoch for assigned ones.
pub trait RebalanceHook: Send + Sync {
    /// Partitions are being revoked. Called before the commit on revoke,
    /// so that what is committed is final for them.
    fn revoked(&self, partitions: &[(String, i32)]);
    /// Partitions were assigned to this consumer.
    fn assigned(&self, partitions: &[(String, i32)]);
}

/// Consumer callbacks: rebalances go to the hook, commits are logged,
/// errors go through the [`Outage`] (no log floods).
pub struct Context {
    /// Told about every assignment and revocation.
    pub hook: Arc<dyn RebalanceHook>,
    /// Whether a broker is reachable; repeated errors, summarised.
    pub outage: Arc<Outage>,
}

impl ClientContext for Context {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        use RDKafkaLogLevel as L;
        match level {
            // A failed connection: counted (and summarised) by the outage.
            _ if fac == "FAIL" => self
                .outage
                .failed_connection(message.to_owned(), std::time::Instant::now()),
            L::Emerg | L::Alert | L::Critical | L::Error => {
                tracing::error!(target: "librdkafka", "librdkafka: {fac} {message}")
            }
            L::Warning => tracing::warn!(target: "librdkafka", "librdkafka: {fac} {message}"),
            L::Notice | L::Info => {
                tracing::info!(target: "librdkafka", "librdkafka: {fac} {message}")
            }
            L::Debug => tracing::debug!(target: "librdkafka", "librdkafka: {fac} {message}"),
        }
    }

    fn stats_raw(&self, statistics: &[u8]) {
        self.outage.statistics(statistics);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.outage.error(&error, reason);
    }
}

impl ConsumerContext for Context {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            let parts = partitions(tpl);
            // Forget the partitions first (under the tracker's lock, so no
            // late batch can store for them), then commit what is stored.
            self.hook.revoked(&parts);
            match consumer.commit_consumer_state(CommitMode::Sync) {
                Ok(()) => {
                    tracing::info!(message = "Committed on revoke.", partitions = %describe::partitions(&parts))
                }
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
                tracing::info!(message = "Partitions assigned.", partitions = %describe::partitions(&parts));
                self.outage.reachable();
                self.hook.assigned(&parts);
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
pub fn is_no_offset(e: &KafkaError) -> bool {
    matches!(
        e,
        KafkaError::ConsumerCommit(rdkafka::types::RDKafkaErrorCode::NoOffset)
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

/// Why the consumer could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    /// `sasl_password_file` cannot be read: check the path and permissions.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// librdkafka refused the configuration: check `librdkafka_options`.
    #[error("cannot create the Kafka consumer: {0}")]
    Create(#[source] KafkaError),
    /// The subscription failed: check the topic names.
    #[error("cannot subscribe to {topics:?}: {source}")]
    Subscribe {
        /// The configured topics.
        topics: Vec<String>,
        /// librdkafka's answer.
        #[source]
        source: KafkaError,
    },
}

/// Creates the consumer and subscribes it to the configured topics;
/// rebalances are reported to `hook`.
pub fn consumer(
    config: &KafkaConfig,
    hook: Arc<dyn RebalanceHook>,
) -> Result<Arc<AuditConsumer>, ConsumerError> {
    let consumer: AuditConsumer = config
        .consumer_config()?
        .create_with_context(Context {
            hook,
            outage: Arc::new(Outage::new(&config.bootstrap_servers)),
        })
        .map_err(ConsumerError::Create)?;
    let topics: Vec<&str> = config.topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .map_err(|source| ConsumerError::Subscribe {
            topics: config.topics.clone(),
            source,
        })?;
    Ok(Arc::new(consumer))
}

/// The low and high watermarks librdkafka last saw in fetch responses
/// (`rd_kafka_get_watermark_offsets`: local, no broker round trip, unlike
/// `fetch_watermarks`, so a scrape never waits on Kafka). `None` until
/// the partition was fetched once.
pub fn cached_watermarks(c: &AuditConsumer, topic: &str, partition: i32) -> Option<(i64, i64)> {
    let topic = std::ffi::CString::new(topic).ok()?;
    let (mut low, mut high) = (-1i64, -1i64);
    // SAFETY: the client pointer is valid while `c` is borrowed; the topic
    // is a NUL-terminated string that outlives the call; librdkafka only
    // writes the two out-parameters.
    let err = unsafe {
        rdkafka::bindings::rd_kafka_get_watermark_offsets(
            c.client().native_ptr(),
            topic.as_ptr(),
            partition,
            &mut low,
            &mut high,
        )
    };
    (err == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0)
        .then_some((low, high))
}
