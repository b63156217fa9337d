//! What the consumer loop does with each record: register it, process it,
//! and hand it on — to a batch of events for the sinks, to a batch of
//! alerts (with the records that raised them), to a batch of dead
//! letters, or to a batch of dropped records that resolves as a whole
//! (one tracker call and at most one offset store per partition per
//! batch, instead of one per record).

use std::sync::Arc;

use rdkafka::message::{BorrowedMessage, Message};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::task::TaskTracker;

use super::batch::{AlertBatcher, Batch, Batcher, Limits};
use super::dead_letter::{Entry, Payload};
use super::deliver::Delivery;
use super::detection::Detection;
use super::recycle::Recycle;
use super::stats::Stats;
use super::tracker::Ticket;
use crate::event::{now_nanos, Disposition, Event, KafkaCoords};
use crate::process::Processor;

/// Invalid records waiting for one dead-letter write.
#[derive(Default)]
struct DeadBatch {
    entries: Vec<Entry>,
    tickets: Vec<Ticket>,
    opened: Option<Instant>,
}

/// Records dropped by a filter rule, resolved together: when
/// `max_events` of them are waiting, when the linger time of the oldest
/// has passed, or on shutdown. Until then they hold their partitions'
/// offsets like any unresolved record.
#[derive(Default)]
struct DropBatch {
    tickets: Vec<Ticket>,
    opened: Option<Instant>,
}

/// Per-record work of the consumer loop, and the four open batches.
pub struct Intake {
    pub processor: Processor,
    /// The detection stage, when `[detect]` is on: it sees every valid
    /// event, kept or dropped by the filter.
    pub detection: Option<Detection>,
    pub delivery: Arc<Delivery>,
    pub tasks: TaskTracker,
    slots: Arc<Semaphore>,
    batcher: Batcher,
    /// Alerts and the records that raised them, sent together.
    alerting: AlertBatcher,
    dead: DeadBatch,
    dropped: DropBatch,
    limits: Limits,
    /// Reused for every record: its topic string is copied only when the
    /// topic changes, not allocated per record.
    coords: KafkaCoords,
    /// Delivered batches' vectors of events, freed here (see
    /// [`super::recycle`]).
    recycle: Arc<Recycle>,
}

impl Intake {
    /// Intake that processes with `processor` and hands batches to
    /// `delivery`, at most `max_in_flight_batches` at a time.
    pub fn new(
        processor: Processor,
        delivery: Arc<Delivery>,
        limits: Limits,
        max_in_flight_batches: usize,
    ) -> Intake {
        Intake {
            processor,
            detection: None,
            delivery,
            tasks: TaskTracker::new(),
            slots: Arc::new(Semaphore::new(max_in_flight_batches)),
            batcher: Batcher::new(limits),
            alerting: AlertBatcher::default(),
            dead: DeadBatch::default(),
            dropped: DropBatch::default(),
            limits,
            coords: KafkaCoords {
                topic: String::new(),
                partition: 0,
                offset: 0,
                timestamp: None,
            },
            recycle: Arc::new(Recycle::default()),
        }
    }

    /// Frees the events of delivered batches on this thread and keeps one
    /// of their vectors for the next batch.
    pub fn restock(&mut self) {
        if let Some(v) = self.recycle.take(self.batcher.capacity()) {
            self.batcher.restock(v);
        }
    }

    /// Handles one record. Registration comes first: from here on the
    /// record holds its partition's offset until it is resolved.
    pub fn record(&mut self, m: &BorrowedMessage<'_>) {
        let payload = m.payload().unwrap_or_default();
        let topic = m.topic();
        if self.coords.topic != topic {
            self.coords.topic.clear();
            self.coords.topic.push_str(topic);
        }
        self.coords.partition = m.partition();
        self.coords.offset = m.offset();
        self.coords.timestamp = m.timestamp().to_millis();
        let coords = &self.coords;
        let tracker = &self.delivery.tracker;
        let ticket = tracker.register_at(
            &coords.topic,
            coords.partition,
            coords.offset,
            payload.len(),
            coords.timestamp,
        );
        let stats = &self.delivery.stats;
        Stats::add(&stats.read, 1);
        match self.processor.process(payload, Some(coords), now_nanos()) {
            Disposition::Forward(event) => {
                Stats::add(&stats.forwarded, 1);
                // In flight from now: the batch it joins adopts the bytes.
                tracker.rendered(event.json.len());
                stats.observe(&event.enrichment);
                let alerts = match &mut self.detection {
                    Some(d) => d.observe(&event.enrichment, payload, Some(coords)),
                    None => Vec::new(),
                };
                if !alerts.is_empty() {
                    // The event goes with its alerts, which count in
                    // flight with the record.
                    tracker.add_bytes(&ticket, alert_bytes(&alerts));
                    let limits = &self.limits;
                    if let Some(b) = self
                        .alerting
                        .push(alerts, Some(event), Some(ticket), limits)
                    {
                        self.spawn_batch(b);
                    }
                } else if let Some(b) = self.batcher.push(event, ticket) {
                    self.spawn_batch(b);
                    self.restock();
                }
            }
            Disposition::Drop { rule, enrichment } => {
                stats.dropped(&rule);
                if let Some(d) = &mut self.detection {
                    let alerts = d.observe(&enrichment, payload, Some(coords));
                    if !alerts.is_empty() {
                        // The dropped record holds its offset (and counts
                        // its alerts in flight) until they are delivered.
                        tracker.add_bytes(&ticket, alert_bytes(&alerts));
                        let limits = &self.limits;
                        if let Some(b) = self.alerting.push(alerts, None, Some(ticket), limits) {
                            self.spawn_batch(b);
                        }
                        return;
                    }
                }
                if self.dropped.tickets.is_empty() {
                    self.dropped
                        .tickets
                        .reserve(self.limits.max_events.min(4096));
                }
                self.dropped.tickets.push(ticket);
                self.dropped.opened.get_or_insert_with(Instant::now);
                if self.dropped.tickets.len() >= self.limits.max_events {
                    self.resolve_dropped();
                }
            }
            Disposition::DeadLetter(reason) => {
                tracing::warn!(message = "Record dead-lettered.", reason = %reason, topic = %coords.topic, partition = coords.partition, offset = coords.offset);
                if self.dead.entries.is_empty() {
                    let n = self.limits.max_events.min(4096);
                    self.dead.entries.reserve(n);
                    self.dead.tickets.reserve(n);
                }
                self.dead.entries.push(Entry {
                    reason_code: reason.code().to_owned(),
                    reason: reason.to_string(),
                    sink: None,
                    status: None,
                    kafka: Some(coords.clone()),
                    payload: Payload::Raw(payload.to_vec()),
                });
                self.dead.tickets.push(ticket);
                self.dead.opened.get_or_insert_with(Instant::now);
                if self.dead.entries.len() >= self.limits.max_events {
                    self.spawn_dead();
                }
            }
        }
    }

    /// Resolves the dropped records read so far (nothing to deliver: they
    /// only have to stop holding their partitions' offsets).
    fn resolve_dropped(&mut self) {
        let dropped = std::mem::take(&mut self.dropped);
        if !dropped.tickets.is_empty() {
            self.delivery.tracker.resolve(&dropped.tickets);
        }
    }

    /// The earliest moment an open batch must be sent.
    pub fn deadline(&self) -> Option<Instant> {
        let linger = self.limits.linger;
        [
            self.batcher.deadline(),
            self.alerting.deadline(),
            self.dead.opened.map(|t| t + linger),
            self.dropped.opened.map(|t| t + linger),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Sends whichever open batch is due (or every one, with `all`).
    pub fn flush(&mut self, all: bool) {
        let now = Instant::now();
        if all || self.batcher.deadline().is_some_and(|d| d <= now) {
            if let Some(b) = self.batcher.take() {
                self.spawn_batch(b);
                self.restock();
            }
        }
        if all || self.alerting.deadline().is_some_and(|d| d <= now) {
            if let Some(b) = self.alerting.take() {
                self.spawn_batch(b);
            }
        }
        let linger = self.limits.linger;
        if all || self.dead.opened.is_some_and(|t| t + linger <= now) {
            self.spawn_dead();
        }
        if all || self.dropped.opened.is_some_and(|t| t + linger <= now) {
            self.resolve_dropped();
        }
    }

    /// The clock's part of detection: alerts that no record raised
    /// (`audit_stream_silence`), sent at once.
    pub fn tick(&mut self) {
        // Delivered batches wait here at most a tick when no batch opens.
        self.restock();
        let Some(d) = &mut self.detection else {
            return;
        };
        let alerts = d.tick(std::time::Instant::now());
        if !alerts.is_empty() {
            self.spawn_batch(Batch::alerts(alerts, None, None, Instant::now()));
        }
    }

    /// Sends alerts raised before the pipeline started (while its state
    /// was rebuilt); they hold no record.
    pub fn send_alerts(&mut self, alerts: Vec<Arc<crate::event::Event>>) {
        if !alerts.is_empty() {
            self.spawn_batch(Batch::alerts(alerts, None, None, Instant::now()));
        }
    }

    pub(super) fn spawn_batch(&self, batch: Batch) {
        let delivery = self.delivery.clone();
        // A batch of alerts takes no slot: alerts that an alert sink
        // refuses for a while must not stop the events behind them (their
        // records still count in flight, so intake pauses in the end).
        let slots = batch.alerts.is_empty().then(|| self.slots.clone());
        let recycle = self.recycle.clone();
        // The batch's events count in flight with their records (since
        // they joined the batch) until they are freed; alerts are counted
        // with their records already.
        let delivering = self.delivery.tracker.adopt(batch.bytes);
        let mut batch = batch;
        self.tasks.spawn(async move {
            let _permit = match slots {
                Some(s) => match s.acquire_owned().await {
                    Ok(p) => Some(p),
                    Err(_) => return,
                },
                None => None,
            };
            delivery.run(&mut batch).await;
            // Resolved (or given up) by now: only memory is handed back,
            // still counted in flight until the loop frees it.
            recycle.give(std::mem::take(&mut batch.events), delivering);
        });
    }

    /// One dead-letter write (one fsync) for the whole batch; its records
    /// resolve only after the write succeeded.
    fn spawn_dead(&mut self) {
        let dead = std::mem::take(&mut self.dead);
        if dead.entries.is_empty() {
            return;
        }
        let delivery = self.delivery.clone();
        self.tasks.spawn(async move {
            if delivery.dead_letter(&dead.entries).await {
                for e in &dead.entries {
                    delivery.stats.dead_lettered(&e.reason_code);
                }
                delivery.tracker.resolve(&dead.tickets);
            }
        });
    }
}

/// The rendered size of `alerts`, as it counts against
/// `max_in_flight_bytes`.
fn alert_bytes(alerts: &[Arc<Event>]) -> usize {
    alerts.iter().map(|a| a.json.len()).sum()
}
