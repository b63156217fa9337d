//! Delivering one batch to every sink, the only place that waits between
//! attempts. Each sink retries only its own unfinished events, so a failing
//! sink holds the batch (and the offsets) back without making healthy sinks
//! resend. Rejected events are dead-lettered before the batch resolves.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::batch::Batch;
use super::dead_letter::{DeadLetter, Entry, Payload};
use super::detection::DetectShared;
use super::stats::{self, Stats};
use super::tracker::Tracker;
use crate::event::Event;
use crate::sink::{Outcome, Sink};

/// Backoff between attempts: exponential, capped, full jitter, no limit on
/// attempts (a retryable failure is retried until it succeeds or the
/// process stops).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
    /// Least wait after a `Misconfigured` outcome (401/403): a broken
    /// credential is not fixed in milliseconds.
    pub misconfigured_min: Duration,
}

impl RetryPolicy {
    /// The delays, before jitter (backon's exponential sequence).
    fn delays(&self) -> impl Iterator<Item = Duration> {
        ExponentialBuilder::default()
            .with_min_delay(self.initial)
            .with_max_delay(self.max)
            .without_max_times()
            .build()
    }
}

/// Full jitter: a uniform wait in `[0, d]`.
fn jitter(d: Duration) -> Duration {
    d.mul_f64(fastrand::f64())
}

/// Everything a delivery needs, shared by all batches.
pub struct Delivery {
    /// Where audit events go (every sink but the alerts-only ones).
    pub sinks: Vec<Arc<dyn Sink>>,
    /// Where alerts go (`[detect] sinks`); empty without detection.
    pub alert_sinks: Vec<Arc<dyn Sink>>,
    /// The detection stage's figures, when detection runs.
    pub detection: Option<Arc<DetectShared>>,
    pub dead_letter: Arc<DeadLetter>,
    pub tracker: Arc<Tracker>,
    pub stats: Arc<Stats>,
    pub retry: RetryPolicy,
    /// Cancelled when in-flight batches must be given up (the shutdown
    /// deadline passed): their records stay unresolved and are re-read.
    pub abandon: CancellationToken,
}

/// The span of one batch: how many events, from which partitions, and the
/// offset range, so that every sink's logs can be tied to Kafka records.
fn batch_span(batch: &Batch) -> tracing::Span {
    // Distinct partitions in order of appearance, formatted once each.
    let mut seen: Vec<(&str, i32)> = Vec::new();
    for t in &batch.tickets {
        if !seen
            .iter()
            .any(|&(topic, p)| p == t.partition && topic == &*t.topic)
        {
            seen.push((&t.topic, t.partition));
        }
    }
    let partitions: Vec<String> = seen.iter().map(|(t, p)| format!("{t}/{p}")).collect();
    let first = batch.tickets.iter().map(|t| t.offset).min().unwrap_or(-1);
    let last = batch.tickets.iter().map(|t| t.offset).max().unwrap_or(-1);
    tracing::info_span!(
        "batch",
        events = batch.events.len(),
        partitions = %partitions.join(","),
        first_offset = first,
        last_offset = last
    )
}

/// A refusal by one sink, to be dead-lettered.
struct Refusal {
    index: usize,
    sink: String,
    reason: String,
    status: Option<String>,
}

impl Delivery {
    /// Delivers `batch` to every sink, dead-letters refusals, then resolves
    /// the batch's records. Returns false if abandoned.
    /// Runs in a `batch` span (see [`batch_span`]), each sink's part in a
    /// nested `sink` span.
    pub async fn run(&self, batch: &mut Batch) -> bool {
        self.drop_revoked(batch);
        if batch.events.is_empty() && batch.alerts.is_empty() {
            return true;
        }
        let span = batch_span(batch);
        self.deliver(batch).instrument(span).await
    }

    async fn deliver(&self, batch: &Batch) -> bool {
        // Events to the event sinks, alerts to the alert sinks, all at once.
        let events = (!batch.events.is_empty()).then_some((&self.sinks, &batch.events));
        let alerts = (!batch.alerts.is_empty()).then_some((&self.alert_sinks, &batch.alerts));
        let sends = [events, alerts]
            .into_iter()
            .flatten()
            .flat_map(|(sinks, list)| {
                sinks.iter().map(move |s| async move {
                    let span = tracing::info_span!("sink", sink = %s.name());
                    (list, self.to_sink(s, list).instrument(span).await)
                })
            });
        let results = futures::future::join_all(sends).await;
        let mut entries = Vec::new();
        for (list, r) in results {
            let Some(refusals) = r else {
                return false;
            };
            entries.extend(refusals.into_iter().map(|r| {
                let event = list[r.index].clone();
                Entry {
                    reason_code: "sink_rejected".to_owned(),
                    reason: r.reason,
                    sink: Some(r.sink),
                    status: r.status,
                    kafka: event.enrichment.kafka(),
                    payload: Payload::Event(event),
                }
            }));
        }
        if !entries.is_empty() {
            if !self.dead_letter(&entries).await {
                return false;
            }
            for e in &entries {
                self.stats.dead_lettered(&e.reason_code);
            }
        }
        Stats::add(&self.stats.delivered, batch.events.len() as u64);
        if let (Some(d), false) = (&self.detection, batch.alerts.is_empty()) {
            d.delivered(
                batch.alerts.len(),
                batch.alerted_at.map(tokio::time::Instant::into_std),
            );
        }
        self.tracker.resolve(&batch.tickets);
        if !batch.held.is_empty() {
            self.tracker.resolve(&batch.held);
        }
        true
    }

    /// Removes events whose partition was revoked since they were read:
    /// the new owner delivers them, sending them here too would only add
    /// duplicates.
    fn drop_revoked(&self, batch: &mut Batch) {
        if self.tracker.all_current(&batch.tickets) {
            return;
        }
        let (mut events, mut tickets, mut stale) = (Vec::new(), Vec::new(), Vec::new());
        for (e, t) in batch.events.drain(..).zip(batch.tickets.drain(..)) {
            if self.tracker.is_current(&t) {
                events.push(e);
                tickets.push(t);
            } else {
                stale.push(t);
            }
        }
        tracing::debug!(
            message = "Skipping events of revoked partitions.",
            events = stale.len()
        );
        batch.events = events;
        batch.tickets = tickets;
    }

    /// Writes dead-letter entries, retrying until it works or the batch is
    /// abandoned. Until then the records' partitions do not advance.
    pub async fn dead_letter(&self, entries: &[Entry]) -> bool {
        let mut delays = self.retry.delays();
        loop {
            match self.dead_letter.write(entries).await {
                Ok(()) => {
                    if self.stats.dead_letter_error().is_some() {
                        tracing::info!(message = "Dead-letter store works again.");
                        self.stats.set_dead_letter_error(None);
                    }
                    return true;
                }
                Err(e) => {
                    tracing::error!(
                        message = "Dead-letter write failed; the partition stays blocked at this record.",
                        error = %e,
                        blocked_at = ?self.tracker.blocked_at()
                    );
                    self.stats.set_dead_letter_error(Some(e.to_string()));
                }
            }
            let wait = jitter(delays.next().unwrap_or(self.retry.max));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.abandon.cancelled() => return false,
            }
        }
    }

    /// Sends to one sink until every event is accepted or refused for good.
    /// Returns the refusals, or `None` when abandoned.
    async fn to_sink(&self, sink: &Arc<dyn Sink>, events: &[Arc<Event>]) -> Option<Vec<Refusal>> {
        let name = sink.name().to_owned();
        let mut pending: Vec<usize> = (0..events.len()).collect();
        let mut refusals = Vec::new();
        let mut delays = self.retry.delays();
        loop {
            // The first attempt sends the batch as it is; retries only the
            // events still pending.
            let retry_subset: Vec<Arc<Event>>;
            let subset: &[Arc<Event>] = if pending.len() == events.len() {
                events
            } else {
                retry_subset = pending.iter().map(|&i| events[i].clone()).collect();
                &retry_subset
            };
            let started = Instant::now();
            let report = tokio::select! {
                r = sink.send(subset) => r,
                _ = self.abandon.cancelled() => return None,
            };
            let elapsed = started.elapsed();
            let mut outcomes = report.outcomes;
            if outcomes.len() != subset.len() {
                tracing::error!(message = "Sink returned the wrong number of outcomes; resending all.", sink = %name);
                outcomes =
                    vec![Outcome::Ambiguous("outcome count mismatch".to_owned()); subset.len()];
            }
            let class = stats::request_class(outcomes.iter().map(Outcome::class));
            self.stats.request(&name, class, elapsed);
            tracing::debug!(
                message = "Sent.",
                events = subset.len(),
                outcome = class,
                elapsed_ms = elapsed.as_millis() as u64
            );
            let mut next = Vec::new();
            let mut misconfigured = None;
            // Counted per class, then added once per class (one lock and
            // no key allocation per event).
            let mut classes: Vec<(&'static str, u64)> = Vec::new();
            for (&i, outcome) in pending.iter().zip(&outcomes) {
                let class = outcome.class();
                match classes.iter_mut().find(|(c, _)| *c == class) {
                    Some((_, n)) => *n += 1,
                    None => classes.push((class, 1)),
                }
                match outcome {
                    Outcome::Accepted => {}
                    Outcome::Rejected { reason, status } => refusals.push(Refusal {
                        index: i,
                        sink: name.clone(),
                        reason: reason.clone(),
                        status: status.clone(),
                    }),
                    Outcome::Misconfigured(m) => {
                        misconfigured = Some(m.clone());
                        next.push(i);
                    }
                    Outcome::Retryable(_) | Outcome::Ambiguous(_) => next.push(i),
                }
            }
            for (class, n) in classes {
                self.stats.outcome(&name, class, n);
            }
            match &misconfigured {
                Some(m) => self.stats.set_health(&name, false, Some(m.clone())),
                None => self.stats.set_health(&name, true, None),
            }
            if next.is_empty() {
                return Some(refusals);
            }
            Stats::add(&self.stats.retries, 1);
            let first = outcomes
                .iter()
                .find(|o| !o.is_final())
                .map(|o| format!("{o:?}"));
            let mut wait = jitter(delays.next().unwrap_or(self.retry.max));
            if let Some(after) = report.retry_after {
                wait = wait.max(after);
            }
            if misconfigured.is_some() {
                wait = wait.max(self.retry.misconfigured_min);
            }
            tracing::warn!(
                message = "Retrying events on a sink.",
                sink = %name,
                events = next.len(),
                delay_ms = wait.as_millis() as u64,
                outcome = first.as_deref().unwrap_or("")
            );
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.abandon.cancelled() => return None,
            }
            pending = next;
        }
    }
}
