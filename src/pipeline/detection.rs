//! The detection stage inside the pipeline (`docs/detect.md`, "In
//! `run`").
//!
//! The consumer loop shows every valid event to the [`Detection`] before
//! the filter's decision is acted on. Alerts become events for the sinks
//! ([`Processor::alert_event`]) and travel in a batch of alerts with
//! the record that raised them (`intake`, `batch::AlertBatcher`: the
//! alerts of records read within 20 ms go together): that record's offset is not
//! stored until the alerts reached every alert sink. Alerts raised by the
//! clock (`audit_stream_silence`) hold no record.
//!
//! The detector is owned by the consumer loop (no lock per event); what
//! `/metrics` reads is copied into [`DetectShared`] once a second.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::event_time::Progress;
use super::stats::Histogram;
use crate::detect::{Alert, DetectConfig, DetectStats, Detector};
use crate::event::{Enrichment, Event, KafkaCoords};
use crate::kafka::AuditConsumer;
use crate::process::Processor;
use crate::sink::Sink;
use rdkafka::TopicPartitionList;

/// What the pipeline needs to run detection: the rules and the sinks that
/// receive alerts.
pub struct DetectParts {
    /// `[detect]`.
    pub config: DetectConfig,
    /// The sinks named by `[detect] sinks` (default: every sink).
    pub sinks: Vec<Arc<dyn Sink>>,
}

/// The detection stage's figures, for `/metrics` and summaries.
#[derive(Debug, Default)]
pub struct DetectShared {
    /// The detector's counters as of the last copy (once a second).
    snapshot: Mutex<DetectStats>,
    /// Alerts (fired and closed versions) that reached every alert sink.
    pub alerts_delivered: AtomicU64,
    /// From the moment the record that raised an alert was read to the
    /// moment the alert reached every alert sink.
    latency: Mutex<Histogram>,
    /// Partitions of the topics this member is assigned, and how many the
    /// topics have: fewer assigned than exist is a partial view.
    pub assigned_partitions: AtomicU64,
    pub topic_partitions: AtomicU64,
    /// Records re-read at start to rebuild the rules' state.
    pub restored_records: AtomicU64,
}

impl DetectShared {
    /// The detector's counters as last copied.
    pub fn stats(&self) -> DetectStats {
        *self.snapshot.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The alert delivery latency histogram.
    pub fn latency(&self) -> Histogram {
        self.latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Records one delivered batch of alerts raised at `since`.
    pub fn delivered(&self, alerts: usize, since: Option<Instant>) {
        self.alerts_delivered
            .fetch_add(alerts as u64, Ordering::Relaxed);
        if let Some(t) = since {
            let took = t.elapsed();
            let mut h = self.latency.lock().unwrap_or_else(|p| p.into_inner());
            for _ in 0..alerts {
                h.observe(took);
            }
        }
    }

    /// True when this member sees only some of the topics' partitions.
    pub fn partial_view(&self) -> bool {
        let assigned = self.assigned_partitions.load(Ordering::Relaxed);
        let total = self.topic_partitions.load(Ordering::Relaxed);
        total > 0 && assigned < total
    }
}

/// The detector with what turns its alerts into events.
pub struct Detection {
    detector: Detector,
    processor: Processor,
    scratch: Vec<Alert>,
    pub shared: Arc<DetectShared>,
    published: Instant,
    progress: Progress,
}

impl Detection {
    /// A stage around `detector`; alerts are rendered with `processor`.
    pub fn new(detector: Detector, processor: Processor) -> Detection {
        Detection {
            detector,
            processor,
            scratch: Vec::new(),
            shared: Arc::new(DetectShared::default()),
            published: Instant::now(),
            progress: Progress::default(),
        }
    }

    /// Shows one valid event to the rules; the alerts it completes (fired,
    /// or closed because event time moved on), ready for the sinks.
    #[inline]
    pub fn observe(
        &mut self,
        e: &Enrichment,
        raw: &[u8],
        kafka: Option<&KafkaCoords>,
    ) -> Vec<Arc<Event>> {
        if let Some(k) = kafka {
            self.progress.note(k, e.time_unix_nanos);
        }
        self.detector.observe(e, raw, &mut self.scratch);
        self.take()
    }

    /// Holds the watermark at the partition furthest behind
    /// ([`super::event_time`]); until the first call after the consumer
    /// starts, nothing is known and everything is held.
    pub fn hold_for(&mut self, consumer: &AuditConsumer, assigned: Option<&TopicPartitionList>) {
        let hold = self.progress.hold(consumer, assigned);
        self.detector.hold_watermark(hold);
    }

    /// The clock's part: `audit_stream_silence`, and the figures copied
    /// for `/metrics` once a second.
    pub fn tick(&mut self, now: Instant) -> Vec<Arc<Event>> {
        self.detector.tick(now, &mut self.scratch);
        if now.saturating_duration_since(self.published) >= Duration::from_secs(1) {
            self.publish();
            self.published = now;
        }
        self.take()
    }

    /// Copies the detector's counters for `/metrics`.
    pub fn publish(&self) {
        *self
            .shared
            .snapshot
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = self.detector.stats();
    }

    /// The detector itself (restoring state at start feeds it directly).
    pub fn detector(&mut self) -> &mut Detector {
        &mut self.detector
    }

    fn take(&mut self) -> Vec<Arc<Event>> {
        if self.scratch.is_empty() {
            return Vec::new();
        }
        for a in &self.scratch {
            tracing::info!(
                message = "Alert.",
                rule = %a.rule,
                severity = a.severity.as_str(),
                id = %a.id,
                closed = a.closed,
                summary = %a.summary
            );
        }
        self.scratch
            .drain(..)
            .map(|a| Arc::new(self.processor.alert_event(&a)))
            .collect()
    }
}
