//! Batches of forwarded events: closed by count, bytes or age (linger).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::tracker::Ticket;
use crate::event::Event;

/// Events to deliver together, with the tickets of their records.
///
/// A batch that carries alerts (`detection`) is made for the one record
/// that raised them: `events` holds that record's event when the filter
/// kept it, `held` its ticket when the filter dropped it. Every ticket
/// resolves only when the events *and* the alerts are delivered.
#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<Arc<Event>>,
    pub tickets: Vec<Ticket>,
    pub bytes: usize,
    /// Alerts for the alert sinks.
    pub alerts: Vec<Arc<Event>>,
    /// Tickets of dropped records that raised `alerts`.
    pub held: Vec<Ticket>,
    /// When the record that raised `alerts` was read.
    pub alerted_at: Option<Instant>,
}

impl Batch {
    /// The batch of one record's alerts: its event (kept by the filter) or
    /// its ticket alone (dropped), or no record (the clock's alerts).
    pub fn alerts(
        alerts: Vec<Arc<Event>>,
        event: Option<Event>,
        ticket: Option<Ticket>,
        read_at: Instant,
    ) -> Batch {
        let mut b = Batch {
            alerts,
            alerted_at: Some(read_at),
            ..Batch::default()
        };
        match (event, ticket) {
            (Some(e), Some(t)) => {
                b.bytes = e.json.len();
                b.events.push(Arc::new(e));
                b.tickets.push(t);
            }
            (None, Some(t)) => b.held.push(t),
            _ => {}
        }
        b
    }
}

/// How long alerts wait for others to go out with them: long enough that
/// an alert storm (thousands of groups firing within a second) is sent a
/// few dozen alerts per request instead of one request each, short beside
/// the alert latency aim (p99 ≤ 1 s; BENCHMARKS.md, "Alert latency").
pub const ALERT_LINGER: Duration = Duration::from_millis(20);

/// Collects the alerts of several records, with those records' events and
/// tickets, into one [`Batch`]: closed by `max_events` alerts, by
/// `max_bytes`, or [`ALERT_LINGER`] after its first alert.
#[derive(Debug, Default)]
pub struct AlertBatcher {
    current: Batch,
    opened: Option<Instant>,
    /// Rendered bytes of the alerts and events held.
    bytes: usize,
}

impl AlertBatcher {
    /// Adds one record's alerts (see [`Batch::alerts`] for `event` and
    /// `ticket`); returns the batch when it is full.
    pub fn push(
        &mut self,
        alerts: Vec<Arc<Event>>,
        event: Option<Event>,
        ticket: Option<Ticket>,
        limits: &Limits,
    ) -> Option<Batch> {
        let now = Instant::now();
        let one = Batch::alerts(alerts, event, ticket, now);
        self.opened.get_or_insert(now);
        self.bytes += one.bytes + one.alerts.iter().map(|a| a.json.len()).sum::<usize>();
        let b = &mut self.current;
        // The oldest alert's read time: the latency recorded for every
        // alert of the batch is then never less than its own.
        b.alerted_at.get_or_insert(now);
        b.bytes += one.bytes;
        b.alerts.extend(one.alerts);
        b.events.extend(one.events);
        b.tickets.extend(one.tickets);
        b.held.extend(one.held);
        if b.alerts.len() >= limits.max_events || self.bytes >= limits.max_bytes {
            return self.take();
        }
        None
    }

    /// When the open batch must be sent, if there is one.
    pub fn deadline(&self) -> Option<Instant> {
        self.opened.map(|t| t + ALERT_LINGER)
    }

    /// Takes the open batch, if any.
    pub fn take(&mut self) -> Option<Batch> {
        self.opened = None;
        self.bytes = 0;
        if self.current.alerts.is_empty() {
            return None;
        }
        Some(std::mem::take(&mut self.current))
    }
}

/// Limits of one batch.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_events: usize,
    pub max_bytes: usize,
    pub linger: Duration,
}

/// Collects events into batches.
#[derive(Debug)]
pub struct Batcher {
    limits: Limits,
    current: Batch,
    opened: Option<Instant>,
    /// An emptied vector of a delivered batch, for the next batch's events
    /// (see [`super::recycle`]).
    spare: Option<Vec<Arc<Event>>>,
}

impl Batcher {
    pub fn new(limits: Limits) -> Batcher {
        Batcher {
            limits,
            current: Batch::default(),
            opened: None,
            spare: None,
        }
    }

    /// How many events a batch's vectors are made for.
    pub fn capacity(&self) -> usize {
        self.limits.max_events.min(4096)
    }

    /// Gives an empty vector (a delivered batch's) for the next batch's
    /// events, instead of a new allocation.
    pub fn restock(&mut self, events: Vec<Arc<Event>>) {
        debug_assert!(events.is_empty());
        if events.is_empty() && events.capacity() >= self.capacity() {
            self.spare = Some(events);
        }
    }

    /// An empty batch with room for `max_events` (up to a bound), so that
    /// filling it does not grow and copy its vectors ~9 times.
    fn fresh(&mut self) -> Batch {
        let n = self.capacity();
        Batch {
            events: self.spare.take().unwrap_or_else(|| Vec::with_capacity(n)),
            tickets: Vec::with_capacity(n),
            ..Batch::default()
        }
    }

    /// Adds an event; returns a batch when this one is full.
    pub fn push(&mut self, event: Event, ticket: Ticket) -> Option<Batch> {
        let size = event.json.len();
        // Close the current batch first if this event would overflow it.
        let overflow =
            !self.current.events.is_empty() && self.current.bytes + size > self.limits.max_bytes;
        let closed = if overflow { self.take() } else { None };
        if self.opened.is_none() {
            self.opened = Some(Instant::now());
            if self.current.events.capacity() == 0 {
                self.current = self.fresh();
            }
        }
        self.current.events.push(Arc::new(event));
        self.current.tickets.push(ticket);
        self.current.bytes += size;
        if closed.is_some() {
            return closed;
        }
        if self.current.events.len() >= self.limits.max_events
            || self.current.bytes >= self.limits.max_bytes
        {
            return self.take();
        }
        None
    }

    /// When the open batch must be sent, if there is one.
    pub fn deadline(&self) -> Option<Instant> {
        self.opened.map(|t| t + self.limits.linger)
    }

    /// Takes the open batch, if any.
    pub fn take(&mut self) -> Option<Batch> {
        self.opened = None;
        if self.current.events.is_empty() {
            return None;
        }
        Some(std::mem::take(&mut self.current))
    }
}

#[cfg(test)]
mod tests;
