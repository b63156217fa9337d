//! The tracker's two links to Kafka: where resolved offsets are stored
//! ([`OffsetStore`], the consumer), and the rebalance callbacks that
//! assign and revoke partitions ([`RebalanceHook`] for [`Tracker`]).

use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use rdkafka::{Offset, TopicPartitionList};

use super::Tracker;
use crate::kafka::{AuditConsumer, RebalanceHook};

/// Where resolved offsets go: the Kafka consumer in production, a
/// recorder in tests.
pub trait OffsetStore: Send + Sync {
    /// Stores `next` (the next offset to read) for each partition.
    fn store(&self, offsets: &[(String, i32, i64)]) -> Result<(), KafkaError>;
}

impl OffsetStore for AuditConsumer {
    fn store(&self, offsets: &[(String, i32, i64)]) -> Result<(), KafkaError> {
        let mut tpl = TopicPartitionList::new();
        for (topic, partition, next) in offsets {
            tpl.add_partition_offset(topic, *partition, Offset::Offset(*next))?;
        }
        // `store_offsets` stores the list as given: `next` is already +1.
        self.store_offsets(&tpl)
    }
}

impl RebalanceHook for Tracker {
    fn revoked(&self, partitions: &[(String, i32)]) {
        self.revoke(partitions);
    }

    fn assigned(&self, partitions: &[(String, i32)]) {
        self.assign(partitions);
    }
}
