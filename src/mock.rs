//! An in-process Kafka (librdkafka's mock cluster) for `demo` and tests.
//!
//! The cluster is owned by a producer created with `test.mock.num.brokers`,
//! which gives access to settings the safe `MockCluster` wrapper lacks
//! (the group join delay: 3 s by default, 0 here).

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaResult;
use rdkafka::mocking::MockCluster;
use std::time::Duration;

use rdkafka::producer::{
    BaseProducer, BaseRecord, DefaultProducerContext, Producer, ThreadedProducer,
};

/// A running mock Kafka cluster; it stops when dropped.
pub struct MockKafka {
    owner: BaseProducer,
}

impl MockKafka {
    /// Starts `brokers` mock brokers on loopback ports.
    pub fn start(brokers: u32) -> KafkaResult<MockKafka> {
        let owner: BaseProducer = ClientConfig::new()
            .set("test.mock.num.brokers", brokers.to_string())
            .set("bootstrap.servers", "unused:9092")
            .create()?;
        // SAFETY: the handle belongs to `owner`, which is alive; the call
        // only sets a field of the mock cluster.
        unsafe {
            let raw = rdkafka::bindings::rd_kafka_handle_mock_cluster(owner.client().native_ptr());
            if !raw.is_null() {
                rdkafka::bindings::rd_kafka_mock_group_initial_rebalance_delay_ms(raw, 0);
            }
        }
        Ok(MockKafka { owner })
    }

    /// The safe wrapper, for topics and fault injection.
    pub fn cluster(&self) -> MockCluster<'_, DefaultProducerContext> {
        self.owner
            .client()
            .mock_cluster()
            .expect("created with test.mock.num.brokers")
    }

    /// `host:port,…` of the mock brokers.
    pub fn bootstrap_servers(&self) -> String {
        self.cluster().bootstrap_servers()
    }

    /// Creates `topic` with `partitions` partitions.
    pub fn create_topic(&self, topic: &str, partitions: i32) -> KafkaResult<()> {
        self.cluster().create_topic(topic, partitions, 1)
    }

    /// Loads `records` into `topic`, round-robin over its `partitions`,
    /// and waits until every one is acknowledged (benchmarks pre-load a
    /// backlog this way). Keep the bytes per partition under ~4 MiB: the
    /// mock deletes older data beyond 5 MiB per partition.
    pub fn preload(&self, topic: &str, partitions: i32, records: &[Vec<u8>]) -> KafkaResult<()> {
        let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap_servers())
            .set("linger.ms", "200")
            .set("batch.num.messages", "10000")
            .set("batch.size", "4000000")
            .set("queue.buffering.max.messages", "1000000")
            .create()?;
        for (i, r) in records.iter().enumerate() {
            producer
                .send(
                    BaseRecord::<(), _>::to(topic)
                        .payload(r)
                        .partition(i as i32 % partitions),
                )
                .map_err(|(e, _)| e)?;
        }
        producer.flush(Duration::from_secs(60))
    }
}
