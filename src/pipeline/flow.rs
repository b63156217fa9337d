//! Backpressure at the in-flight bound (`max_in_flight_bytes`).
//!
//! Over the bound, the loop first only *holds*: it stops taking records
//! from librdkafka, whose prefetch queue (`prefetch_kbytes`) then fills and
//! stops fetching, and takes them again as soon as the bytes are back
//! under the bound (checked every [`HELD_POLL`]). Pausing the partitions
//! instead would make librdkafka drop everything it prefetched and fetch it
//! again after the resume: an idle gap and the records' fetch paid twice at
//! every pause. Only a hold longer than `hold_max` (a sink stalled; a tenth
//! of `max.poll.interval.ms`, at most 1 s) pauses every assigned partition,
//! so that the loop can go on polling (rebalances, staying in the group)
//! without taking records; it resumes below half the bound.

use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer;

use super::tracker::Tracker;
use crate::kafka::AuditConsumer;

/// How often a holding loop looks at the in-flight bytes again.
pub const HELD_POLL: Duration = Duration::from_millis(2);

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Open,
    Held(Instant),
    Paused,
}

pub struct Flow {
    max: usize,
    hold_max: Duration,
    state: State,
}

impl Flow {
    pub fn new(max_in_flight_bytes: usize, max_poll_interval_ms: u64) -> Flow {
        Flow {
            max: max_in_flight_bytes,
            hold_max: Duration::from_millis(max_poll_interval_ms / 10).min(Duration::from_secs(1)),
            state: State::Open,
        }
    }

    /// Over the bound, not paused: the loop takes nothing from the
    /// consumer (paused, it polls it but gets no records) and wakes every
    /// [`HELD_POLL`].
    pub fn held(&self) -> bool {
        matches!(self.state, State::Held(_))
    }

    /// After every round of the loop.
    pub fn update(&mut self, consumer: &AuditConsumer, tracker: &Tracker) {
        let bytes = tracker.pending_bytes();
        self.state = match self.state {
            State::Open if bytes > self.max => State::Held(Instant::now()),
            State::Held(_) if bytes <= self.max => State::Open,
            State::Held(since) if since.elapsed() >= self.hold_max => {
                pause(consumer, true);
                tracing::info!(message = "Intake paused: too much in flight.", bytes);
                State::Paused
            }
            State::Paused if bytes <= self.max / 2 => {
                pause(consumer, false);
                tracing::info!(message = "Intake resumed.", bytes);
                State::Open
            }
            // Re-applied to partitions assigned since.
            State::Paused => {
                pause(consumer, true);
                State::Paused
            }
            s => s,
        };
    }
}

/// Pauses (or resumes) every assigned partition.
fn pause(consumer: &AuditConsumer, on: bool) {
    if let Ok(assignment) = consumer.assignment() {
        let result = match on {
            true => consumer.pause(&assignment),
            false => consumer.resume(&assignment),
        };
        if let Err(e) = result {
            tracing::debug!(message = "Pause/resume failed.", error = %e);
        }
    }
}
