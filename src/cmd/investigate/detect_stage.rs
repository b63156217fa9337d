//! The detection rules beside the aggregation: their alerts, capped
//! ([`Alerts`]), the rules run over events one by one ([`Rules`]), and the
//! [`Batch`]es of events that [`super::parallel`] hands to the threads.

use crate::cmd::reorder::Ordered;
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
    rules: Ordered<Box<Detector>>,
    pending: Vec<Alert>,
    alerts: Alerts,
}

impl Rules {
    pub fn new(rules: Ordered<Box<Detector>>, max_alerts: usize) -> Rules {
        Rules {
            rules,
            pending: Vec::new(),
            alerts: Alerts::new(max_alerts),
        }
    }

    /// One valid event.
    pub fn observe(&mut self, e: &Enrichment, raw: &[u8]) {
        self.rules.observe(e.clone(), raw, &mut self.pending);
        self.alerts.take(&mut self.pending);
    }

    /// Every alert, the open ones closed (end of input).
    pub fn finish(mut self) -> Alerts {
        self.rules.finish(&mut self.pending);
        self.alerts.take(&mut self.pending);
        self.alerts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{DetectConfig, Emit};
    use crate::process::Processor;

    /// The alert ids the rules raise over `lines` with a read-ahead of
    /// `reorder_bytes`.
    fn alert_ids(lines: &[&str], reorder_bytes: usize) -> Vec<String> {
        let detector = Detector::new(&DetectConfig::default(), Emit::OnClose).unwrap();
        let mut rules = Ordered::new(Box::new(detector), reorder_bytes);
        let mut out = Vec::new();
        for l in lines {
            let (_, e) = Processor::default().enrich(l.as_bytes(), None, 0).unwrap();
            rules.observe(e, l.as_bytes(), &mut out);
        }
        rules.finish(&mut out);
        let mut ids: Vec<String> = out.into_iter().map(|a| a.id).collect();
        ids.sort();
        ids
    }

    #[test]
    fn a_backlog_read_partition_after_partition_raises_the_alerts_of_the_same_events_in_order() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/detect/incident.jsonl"
        ))
        .unwrap();
        let in_order: Vec<&str> = text.lines().collect();
        let mut split: Vec<&str> = in_order.iter().step_by(2).copied().collect();
        split.extend(in_order.iter().skip(1).step_by(2));
        let expected = alert_ids(&in_order, 0);
        assert_eq!(expected.len(), 8);
        assert_eq!(alert_ids(&split, 16 << 20), expected);
        assert_ne!(alert_ids(&split, 0), expected, "without the read-ahead");
    }
}
