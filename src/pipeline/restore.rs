//! Detection state that survives a restart, and the partial-view check.
//!
//! The detector's state lives in memory. At start, before the consumer
//! joins its group, `run` re-reads the topic from `restore_lookback_secs`
//! ago (default: the rules' horizon, the longest window with its
//! keep-alive and the allowed lateness) up to the group's committed
//! offsets, merged by timestamp (`kafka::lookback`), and shows those
//! records to the rules. Then consumption starts at the committed
//! offsets: every record is seen once, before or after, and an incident
//! that straddles the restart raises its alert with the same id (ids are
//! a hash of rule, group and first event time).
//!
//! Alerts the re-read raises are sent again (a record is committed only
//! after its alerts were delivered, so they are duplicates with the same
//! id; sending them is what guarantees none is lost when the first run
//! stopped between raising an alert and delivering it). DESIGN.md has the
//! failure table.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::message::Message;
use rdkafka::TopicPartitionList;
use tokio_util::sync::CancellationToken;

use super::detection::{DetectShared, Detection};
use super::tracker::Tracker;
use super::PipelineError;
use crate::detect::{config::secs, DetectConfig, Detector, Emit};
use crate::event::{now_nanos, Event};
use crate::kafka::{lookback, KafkaConfig};
use crate::process::Processor;

/// Builds the detection stage and rebuilds its state from the topic;
/// returns it with the alerts the re-read raised. A failed re-read is
/// retried every few seconds until it works or `shutdown`.
pub async fn detection(
    config: &DetectConfig,
    processor: &Processor,
    kafka: &KafkaConfig,
    shutdown: &CancellationToken,
) -> Result<(Detection, Vec<Arc<Event>>), PipelineError> {
    let mut detector =
        Detector::new(config, Emit::OnFireAndClose).map_err(PipelineError::Detect)?;
    let lookback_ns = match config.restore_lookback_secs {
        Some(s) => secs(s),
        None => detector.horizon_ns(),
    };
    let lookback = Duration::from_nanos(lookback_ns.max(0) as u64);
    tracing::info!(
        message = "Detection: re-reading the topic up to the committed offsets to rebuild state.",
        lookback_secs = lookback.as_secs()
    );
    let started = std::time::Instant::now();
    loop {
        let (kafka, p) = (kafka.clone(), processor.clone());
        let job = tokio::task::spawn_blocking(move || {
            let mut alerts = Vec::new();
            let r = replay(&kafka, lookback, &p, &mut detector, &mut alerts);
            (detector, alerts, r)
        });
        let (d, alerts, result) = job.await.expect("the re-read does not panic");
        detector = d;
        match result {
            Ok(covered) => {
                let stage = Detection::new(detector, processor.clone());
                let shared = stage.shared.clone();
                shared
                    .restored_records
                    .store(covered.records, Ordering::Relaxed);
                shared
                    .topic_partitions
                    .store(covered.partitions as u64, Ordering::Relaxed);
                stage.publish();
                tracing::info!(
                    message = "Detection state rebuilt.",
                    records = covered.records,
                    alerts_again = alerts.len(),
                    elapsed_ms = started.elapsed().as_millis() as u64
                );
                let events = alerts
                    .iter()
                    .map(|a| Arc::new(processor.alert_event(a)))
                    .collect();
                return Ok((stage, events));
            }
            Err(e) => {
                tracing::warn!(message = "Detection: re-reading the topic failed; retrying (no record is consumed meanwhile).", error = %e);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = shutdown.cancelled() => return Err(PipelineError::Stopped),
        }
        // A new detector: the failed attempt may have seen part of the range.
        detector = Detector::new(config, Emit::OnFireAndClose).map_err(PipelineError::Detect)?;
    }
}

fn replay(
    kafka: &KafkaConfig,
    lookback: Duration,
    processor: &Processor,
    detector: &mut Detector,
    alerts: &mut Vec<crate::detect::Alert>,
) -> Result<lookback::Covered, lookback::LookbackError> {
    let now = now_nanos();
    lookback::read(kafka, lookback, |m| {
        let payload = m.payload().unwrap_or_default();
        let coords = crate::kafka::coords(m);
        // Invalid records were dead-lettered the first time: skip them.
        if let Ok((_, e)) = processor.enrich(payload, Some(&coords), now) {
            detector.observe(&e, payload, alerts);
        }
    })
}

/// Watches whether this member is assigned every partition of the
/// topics: detection on part of them can miss incidents (docs/detect.md,
/// "Scale-out").
pub struct View {
    ticks: u32,
    warned_for: Option<(u64, u64)>,
}

impl View {
    pub fn new() -> View {
        View {
            ticks: 0,
            warned_for: None,
        }
    }

    /// Every tenth tick (a second): counts the assigned partitions
    /// (`assigned`, the assignment the tick looked up once for this and
    /// the watermark hold; `None` when librdkafka gave none), and warns
    /// once per change when they are fewer than the topics have.
    pub fn check(
        &mut self,
        assigned: Option<&TopicPartitionList>,
        tracker: &Tracker,
        d: &DetectShared,
    ) {
        self.ticks += 1;
        if self.ticks % 10 != 0 {
            return;
        }
        let assigned = match assigned {
            Some(tpl) => tpl.count() as u64,
            None => tracker.partitions().len() as u64,
        };
        d.assigned_partitions.store(assigned, Ordering::Relaxed);
        let total = d.topic_partitions.load(Ordering::Relaxed);
        let now = (assigned, total);
        if d.partial_view() && self.warned_for != Some(now) {
            tracing::warn!(
                message = "Detection sees only part of the topic: this member is assigned fewer partitions than the topics have, so incidents spread over the others can be missed. Run detection in one member of its own consumer group (docs/detect.md, Scale-out).",
                assigned,
                partitions = total
            );
        }
        self.warned_for = Some(now);
    }
}
