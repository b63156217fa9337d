//! The detection rules beside the aggregation: inline (tests, small
//! inputs), or on a thread of their own fed in bounded batches, so that a
//! large range uses both cores — the rules cost more per event than the
//! rest of the report (BENCHMARKS.md, "investigate").

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use crate::detect::{Alert, Detector};
use crate::event::Enrichment;

/// Events per batch sent to the thread.
const BATCH: usize = 512;
/// Batches in flight: at most `BATCH * IN_FLIGHT` events wait.
const IN_FLIGHT: usize = 8;

/// Events on their way to the thread: their JSON in one buffer (one
/// allocation per batch, not one per event).
pub struct Batch {
    events: Vec<Enrichment>,
    raw: Vec<u8>,
    /// Where each event's JSON ends in `raw`.
    ends: Vec<usize>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            events: Vec::with_capacity(BATCH),
            raw: Vec::with_capacity(BATCH * 1024),
            ends: Vec::with_capacity(BATCH),
        }
    }

    fn clear(&mut self) {
        self.events.clear();
        self.raw.clear();
        self.ends.clear();
    }

    fn push(&mut self, e: &Enrichment, raw: &[u8]) {
        self.events.push(e.clone());
        self.raw.extend_from_slice(raw);
        self.ends.push(self.raw.len());
    }

    fn each(&self, mut f: impl FnMut(&Enrichment, &[u8])) {
        let mut start = 0;
        for (e, &end) in self.events.iter().zip(&self.ends) {
            f(e, &self.raw[start..end]);
            start = end;
        }
    }
}

/// The alerts kept (at most `max`) and how many were not.
#[derive(Debug, Default)]
pub struct Alerts {
    pub kept: Vec<Alert>,
    pub dropped: u64,
    max: usize,
}

impl Alerts {
    fn new(max: usize) -> Alerts {
        Alerts {
            kept: Vec::new(),
            dropped: 0,
            max,
        }
    }

    fn take(&mut self, pending: &mut Vec<Alert>) {
        for a in pending.drain(..) {
            if self.kept.len() < self.max {
                self.kept.push(a);
            } else {
                self.dropped += 1;
            }
        }
    }
}

/// Where the rules run.
pub enum DetectStage {
    Inline {
        detector: Box<Detector>,
        pending: Vec<Alert>,
        alerts: Alerts,
    },
    Thread {
        batch: Batch,
        tx: Option<SyncSender<Batch>>,
        /// Batches the thread is done with, to be filled again: their
        /// buffers are reused instead of fresh memory for every batch.
        spent: Receiver<Batch>,
        handle: Option<JoinHandle<Alerts>>,
    },
}

impl DetectStage {
    /// The rules in the caller's thread.
    pub fn inline(detector: Detector, max_alerts: usize) -> DetectStage {
        DetectStage::Inline {
            detector: Box::new(detector),
            pending: Vec::new(),
            alerts: Alerts::new(max_alerts),
        }
    }

    /// The rules on a thread of their own.
    pub fn thread(mut detector: Detector, max_alerts: usize) -> DetectStage {
        let (tx, rx) = sync_channel::<Batch>(IN_FLIGHT);
        let (give_back, spent) = sync_channel::<Batch>(IN_FLIGHT + 1);
        let handle = std::thread::Builder::new()
            .name("investigate-detect".into())
            .spawn(move || {
                let mut alerts = Alerts::new(max_alerts);
                let mut pending = Vec::new();
                for mut batch in rx {
                    batch.each(|e, raw| {
                        detector.observe(e, raw, &mut pending);
                        alerts.take(&mut pending);
                    });
                    batch.clear();
                    // Full (the reader has enough spare batches): dropped.
                    let _ = give_back.try_send(batch);
                }
                detector.finish(&mut pending);
                alerts.take(&mut pending);
                alerts
            })
            .expect("a thread can be started");
        DetectStage::Thread {
            batch: Batch::new(),
            tx: Some(tx),
            spent,
            handle: Some(handle),
        }
    }

    /// One valid event.
    pub fn observe(&mut self, e: &Enrichment, raw: &[u8]) {
        match self {
            DetectStage::Inline {
                detector,
                pending,
                alerts,
            } => {
                detector.observe(e, raw, pending);
                alerts.take(pending);
            }
            DetectStage::Thread {
                batch, tx, spent, ..
            } => {
                batch.push(e, raw);
                if batch.events.len() >= BATCH {
                    let next = spent.try_recv().unwrap_or_else(|_| Batch::new());
                    let full = std::mem::replace(batch, next);
                    if let Some(tx) = tx {
                        // A send fails only if the thread died; `finish` says so.
                        let _ = tx.send(full);
                    }
                }
            }
        }
    }

    /// Every alert, the open ones closed (end of input).
    pub fn finish(self) -> Alerts {
        match self {
            DetectStage::Inline {
                mut detector,
                mut pending,
                mut alerts,
            } => {
                detector.finish(&mut pending);
                alerts.take(&mut pending);
                alerts
            }
            DetectStage::Thread {
                batch,
                mut tx,
                mut handle,
                ..
            } => {
                if let Some(tx) = tx.take() {
                    if !batch.events.is_empty() {
                        let _ = tx.send(batch);
                    }
                }
                handle
                    .take()
                    .expect("joined once")
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            }
        }
    }
}
