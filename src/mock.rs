//! An in-process Kafka (librdkafka's mock cluster) for `demo` and tests.
//!
//! The cluster is owned by a producer created with `test.mock.num.brokers`,
//! which gives access to settings the safe `MockCluster` wrapper lacks
//! (the group join delay: 3 s by default, 0 here).

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaResult;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, DefaultProducerContext, Producer};

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

    pub fn bootstrap_servers(&self) -> String {
        self.cluster().bootstrap_servers()
    }

    pub fn create_topic(&self, topic: &str, partitions: i32) -> KafkaResult<()> {
        self.cluster().create_topic(topic, partitions, 1)
    }
}
