//! The Kafka side: `[kafka]` settings (`config.rs`), the consumer and its
//! callbacks (`consumer.rs`), the group-less re-read of the recent past
//! that rebuilds detection state (`lookback.rs`), and the merge of
//! partitions by record timestamp that it and `watch`'s range reader
//! share (`merge.rs`).
//!
//! Offsets are never stored here: `enable.auto.offset.store = false`, and
//! the pipeline's tracker is the one place that stores them. This module
//! only reports rebalances to a [`RebalanceHook`] and commits on revoke;
//! it knows nothing of the pipeline above it.

mod config;
mod consumer;
pub mod describe;
pub mod lookback;
pub mod merge;
pub mod outage;

pub use config::{
    KafkaConfig, OffsetReset, SecurityProtocol, FETCH_QUEUE_BACKOFF_MS, RESERVED_OPTIONS,
};
pub use consumer::{
    cached_watermarks, consumer, is_no_offset, AuditConsumer, ConsumerError, Context, RebalanceHook,
};
pub use outage::Outage;

use rdkafka::message::Message;

/// Where a record came from, for enrichment and dead letters.
pub fn coords(m: &impl Message) -> crate::event::KafkaCoords {
    crate::event::KafkaCoords {
        topic: m.topic().to_owned(),
        partition: m.partition(),
        offset: m.offset(),
        timestamp: m.timestamp().to_millis(),
    }
}

#[cfg(test)]
mod tests;
