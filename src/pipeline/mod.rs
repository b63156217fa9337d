//! The at-least-once pipeline: consume → validate → filter → enrich →
//! batch → deliver to every sink → dead-letter → resolve offsets.
//!
//! One consumer loop reads records and registers each one with the
//! [`tracker::Tracker`] before anything else. Filtered records resolve at
//! once, invalid ones after their dead-letter write, forwarded ones after
//! their batch reached every sink ([`deliver::Delivery`]). Batches are
//! delivered concurrently and may finish in any order; the tracker stores a
//! partition's offset only up to its first unresolved record. Memory is
//! bounded by taking no records while the bytes of unresolved records and
//! of the events being delivered exceed `max_in_flight_bytes`, pausing
//! every assigned partition if that lasts ([`flow`]).
//!
//! [`run`] is the one entry point. It takes [`Parts`] (what it reads of
//! the configuration, and the sinks), not the configuration file's type,
//! and knows nothing of the observability endpoints: whoever runs it gets
//! a [`Handle`] to read from (the `run` command serves `/metrics` with it).

pub mod batch;
mod config;
pub mod dead_letter;
pub mod deliver;
pub mod detection;
mod event_time;
mod flow;
pub mod intake;
mod recycle;
mod restore;
pub mod stats;
pub mod tracker;

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use rdkafka::consumer::{CommitMode, Consumer};
use tokio_util::sync::CancellationToken;

use crate::kafka::{AuditConsumer, ConsumerError, KafkaConfig};
use crate::policy::Policy;
use crate::process::Processor;
use crate::sink::Sink;
use batch::Limits;
use dead_letter::{DeadLetter, DeadLetterConfig, DeadLetterError};
use deliver::{Delivery, RetryPolicy};
pub use detection::DetectParts;
use detection::DetectShared;
use intake::Intake;
use stats::Stats;
use tracker::Tracker;

pub use config::PipelineConfig;

/// Why the pipeline could not run. All are start-up failures: once
/// running, faults are retried, never returned.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The consumer could not be created or subscribed: check `[kafka]`.
    #[error("Kafka: {0}")]
    Kafka(#[from] ConsumerError),
    /// The dead-letter store could not be set up: check `[dead_letter]`.
    #[error("dead-letter store: {0}")]
    DeadLetter(#[from] DeadLetterError),
    /// `[detect]` has problems: run `siem-bridge validate`.
    #[error("[detect]: {}", .0.iter().map(|(k, m)| format!("{k}: {m}")).collect::<Vec<_>>().join("; "))]
    Detect(Vec<crate::detect::build::Problem>),
    /// Asked to stop before the pipeline started (while detection state
    /// was being rebuilt): nothing was consumed.
    #[error("stopped before the start")]
    Stopped,
}

/// What a finished run did.
#[derive(Debug)]
pub struct Summary {
    /// The counters of the run.
    pub stats: Arc<Stats>,
    /// Next offset per partition as last stored.
    pub stored: Vec<(String, i32, Option<i64>)>,
    /// Records read but not resolved when the run ended (re-read later).
    pub unresolved: usize,
    /// The detection stage's figures, when detection ran.
    pub detection: Option<Arc<DetectShared>>,
}

/// A running pipeline's shared state, for health and metrics.
#[derive(Clone)]
pub struct Handle {
    /// The counters, updated as the pipeline works.
    pub stats: Arc<Stats>,
    /// The offsets: assigned partitions, stored and unresolved records.
    pub tracker: Arc<Tracker>,
    /// The consumer, for its cached high watermarks (consumer lag). Weak:
    /// a handle kept after the run must not keep the consumer alive.
    pub consumer: std::sync::Weak<AuditConsumer>,
    /// The detection stage's figures, when detection runs.
    pub detection: Option<Arc<DetectShared>>,
}

/// Everything a pipeline runs with (the parts of the configuration it
/// reads, and the sinks, built by the caller).
pub struct Parts {
    /// `[kafka]`: where to consume from.
    pub kafka: KafkaConfig,
    /// `[pipeline]`: batching, retries, bounds, shutdown.
    pub settings: PipelineConfig,
    /// `[dead_letter]`: where invalid and refused records go.
    pub dead_letter: DeadLetterConfig,
    /// `[filter]` and `[severity]`.
    pub policy: Policy,
    /// Where every forwarded event goes (but the alerts-only sinks).
    pub sinks: Vec<Arc<dyn Sink>>,
    /// `[detect]` and its alert sinks, when detection runs.
    pub detect: Option<DetectParts>,
}

/// Runs the pipeline until `shutdown` is cancelled, then stops intake,
/// finishes or abandons in-flight batches within the deadline, commits
/// and leaves the group. `on_start` receives the [`Handle`] once the
/// consumer exists (the observability endpoints and tests read it).
pub async fn run(
    parts: Parts,
    shutdown: CancellationToken,
    on_start: impl FnOnce(Handle),
) -> Result<Summary, PipelineError> {
    let Parts {
        kafka,
        settings: pc,
        dead_letter,
        policy,
        sinks,
        detect,
    } = parts;
    let mut processor = Processor::new(policy);
    processor.max_record_bytes = pc.max_record_bytes;
    // Built (and its state rebuilt from the topic) before the consumer
    // joins its group: see `restore`.
    let forward = detect.as_ref().is_none_or(|d| d.config.forward_events);
    let (detection, alert_sinks, early_alerts) = match detect {
        Some(d) => {
            let (detection, alerts) =
                restore::detection(&d.config, &processor, &kafka, &shutdown).await?;
            (Some(detection), d.sinks, alerts)
        }
        None => (None, Vec::new(), Vec::new()),
    };
    let shared = detection.as_ref().map(|d| d.shared.clone());
    // A detecting-only member (`[detect] forward_events = false`) sends
    // audit events nowhere.
    let event_sinks: Vec<Arc<dyn Sink>> = sinks
        .iter()
        .filter(|s| forward && !s.alerts_only())
        .cloned()
        .collect();
    let tracker = Arc::new(Tracker::new());
    let stats = Arc::new(Stats::default());
    for s in &sinks {
        stats.set_health(s.name(), true, None);
    }
    let dead_letter = Arc::new(DeadLetter::new(&dead_letter, &kafka)?);
    let consumer = crate::kafka::consumer(&kafka, tracker.clone())?;
    tracker.attach(Arc::downgrade(&consumer));
    on_start(Handle {
        stats: stats.clone(),
        tracker: tracker.clone(),
        consumer: Arc::downgrade(&consumer),
        detection: shared.clone(),
    });
    let abandon = CancellationToken::new();
    let delivery = Arc::new(Delivery {
        sinks: event_sinks,
        alert_sinks,
        detection: shared.clone(),
        dead_letter,
        tracker: tracker.clone(),
        stats: stats.clone(),
        retry: RetryPolicy {
            initial: Duration::from_millis(pc.retry_initial_ms),
            max: Duration::from_millis(pc.retry_max_ms),
            misconfigured_min: Duration::from_millis(pc.misconfigured_retry_ms),
        },
        abandon: abandon.clone(),
    });
    let limits = Limits {
        max_events: pc.batch_max_events,
        max_bytes: pc.batch_max_bytes,
        linger: Duration::from_millis(pc.batch_linger_ms),
    };
    let mut intake = Intake::new(processor, delivery, limits, pc.max_in_flight_batches);
    intake.detection = detection.map(|mut d| {
        // Nothing is known of the partitions yet: hold everything until
        // the first look at them.
        d.detector().hold_watermark(i64::MIN);
        d
    });
    intake.send_alerts(early_alerts);
    let mut view = restore::View::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut flow = flow::Flow::new(pc.max_in_flight_bytes, kafka.max_poll_interval_ms);
    let wake = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(wake);
    tracing::info!(message = "Pipeline started.", topics = ?kafka.topics, group = %kafka.group_id, sinks = sinks.len());

    // Made once and re-armed only when the deadline changes: a new
    // `Sleep` or cancellation future per record registers (and removes) a
    // timer or waiter every time, and can wake the timer driver.
    let cancelled = shutdown.cancelled();
    tokio::pin!(cancelled);
    let linger = tokio::time::sleep_until(tokio::time::Instant::now());
    tokio::pin!(linger);
    let mut armed: Option<tokio::time::Instant> = None;
    loop {
        let due = intake.deadline();
        if due != armed {
            if let Some(d) = due {
                linger.as_mut().reset(d);
            }
            armed = due;
        }
        tokio::select! {
            biased;
            _ = &mut cancelled => break,
            _ = &mut linger, if armed.is_some() => {
                armed = None;
                intake.flush(false);
            }
            _ = &mut wake, if flow.held() => {
                wake.as_mut().reset(tokio::time::Instant::now() + flow::HELD_POLL);
                // Held: no batch opens, so free delivered batches here.
                intake.restock();
            }
            msg = consumer.recv(), if !flow.held() => {
                received(&mut intake, &consumer, msg);
                // Take what librdkafka already has queued without going
                // through select! (and its futures) for every record; stop
                // early when over the in-flight bound.
                for _ in 1..DRAIN {
                    if tracker.pending_bytes() > pc.max_in_flight_bytes {
                        break;
                    }
                    match consumer.recv().now_or_never() {
                        Some(msg) => received(&mut intake, &consumer, msg),
                        None => break,
                    }
                }
            }
            _ = tick.tick() => {
                intake.tick();
                if let Some(d) = &mut intake.detection {
                    // One look at the assignment per tick feeds both.
                    let assigned = consumer.assignment().ok();
                    d.hold_for(&consumer, assigned.as_ref());
                    view.check(assigned.as_ref(), &tracker, &d.shared);
                }
            }
        }
        flow.update(&consumer, &tracker);
    }

    tracing::info!(
        message = "Shutting down: intake stopped, finishing in-flight batches.",
        deadline_ms = pc.shutdown_timeout_ms
    );
    intake.flush(true);
    let tasks = intake.tasks.clone();
    tasks.close();
    if tokio::time::timeout(Duration::from_millis(pc.shutdown_timeout_ms), tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!(message = "Shutdown deadline passed; abandoning unresolved batches (they are re-read after restart).", unresolved = tracker.pending_records());
        abandon.cancel();
        tasks.wait().await;
    }
    for s in &sinks {
        s.close().await;
    }
    let stored = tracker.stored();
    let unresolved = tracker.pending_records();
    match consumer.commit_consumer_state(CommitMode::Sync) {
        Ok(()) => {
            tracing::info!(message = "Final commit done.", offsets = %crate::kafka::describe::offsets(&stored))
        }
        Err(e) if crate::kafka::is_no_offset(&e) => {
            tracing::info!(message = "Final commit: nothing new to commit.", offsets = %crate::kafka::describe::offsets(&stored))
        }
        Err(e) => {
            tracing::warn!(message = "Final commit failed; the next start re-reads from the last commit (duplicates, no loss).", error = %e)
        }
    }
    consumer.unsubscribe();
    drop(consumer);
    if let Some(d) = &intake.detection {
        d.publish();
    }
    Ok(Summary {
        stats,
        stored,
        unresolved,
        detection: shared,
    })
}

/// Records the consumer loop reads at most between two looks at shutdown,
/// the linger deadline and the tick.
const DRAIN: usize = 64;

fn received(
    intake: &mut Intake,
    consumer: &AuditConsumer,
    msg: Result<rdkafka::message::BorrowedMessage<'_>, rdkafka::error::KafkaError>,
) {
    match msg {
        Ok(m) => {
            consumer.context().outage.reachable();
            intake.record(&m)
        }
        // Rate-limited and summarised there (`kafka::outage`).
        Err(e) => consumer.context().outage.error(&e, ""),
    }
}
