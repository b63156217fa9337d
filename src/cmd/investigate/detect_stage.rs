//! The detection rules beside the aggregation: their alerts, capped
//! ([`Alerts`]), the rules run over events one by one ([`Rules`]), and the
//! [`Batch`]es of events that [`super::parallel`] hands to the threads.

use crate::detect::{Alert, Detector};
use crate::event::Enrichment;

/// Events per batch handed to a thread.
pub const BATCH: usize = 512;

/// Events on their way to a thread: owned (moved in, not copied), their
/// JSON in one buffer (one allocation per batch, not one per event).
pub struct Batch {
    events: Vec<Enrichment>,
    raw: Vec<u8>,
    /// Where each event's JSON ends in `raw`.
    ends: Vec<usize>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch {
            events: Vec::with_capacity(BATCH),
            raw: Vec::with_capacity(BATCH * 1024),
            ends: Vec::with_capacity(BATCH),
        }
    }

    pub fn clear(&mut self) {
        self.events.clear();
        self.raw.clear();
        self.ends.clear();
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn push(&mut self, e: Enrichment, raw: &[u8]) {
        self.events.push(e);
        self.raw.extend_from_slice(raw);
        self.ends.push(self.raw.len());
    }

    /// Every event in order, with its JSON.
    pub fn each(&self, mut f: impl FnMut(&Enrichment, &[u8])) {
        let mut start = 0;
        for (e, &end) in self.events.iter().zip(&self.ends) {
            f(e, &self.raw[start..end]);
            start = end;
        }
    }
}

impl Default for Batch {
    fn default() -> Self {
        Batch::new()
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

/// The detection rules over every valid event, keeping their alerts.
pub struct Rules {
    detector: Box<Detector>,
    pending: Vec<Alert>,
    alerts: Alerts,
}

impl Rules {
    pub fn new(detector: Detector, max_alerts: usize) -> Rules {
        Rules {
            detector: Box::new(detector),
            pending: Vec::new(),
            alerts: Alerts::new(max_alerts),
        }
    }

    /// One valid event.
    pub fn observe(&mut self, e: &Enrichment, raw: &[u8]) {
        self.detector.observe(e, raw, &mut self.pending);
        self.alerts.take(&mut self.pending);
    }

    /// Every alert, the open ones closed (end of input).
    pub fn finish(mut self) -> Alerts {
        self.detector.finish(&mut self.pending);
        self.alerts.take(&mut self.pending);
        self.alerts
    }
}
