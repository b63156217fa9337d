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
        let (state, act) = self.next(bytes, Instant::now());
        match (self.state, act) {
            (State::Held(_), Some(true)) => {
                tracing::info!(message = "Intake paused: too much in flight.", bytes)
            }
            (State::Paused, Some(false)) => tracing::info!(message = "Intake resumed.", bytes),
            _ => {}
        }
        if let Some(on) = act {
            pause(consumer, on);
        }
        self.state = state;
    }

    /// The next state for `bytes` in flight at `now`, and whether to pause
    /// (`Some(true)`) or resume (`Some(false)`) the assigned partitions.
    fn next(&self, bytes: usize, now: Instant) -> (State, Option<bool>) {
        match self.state {
            State::Open if bytes > self.max => (State::Held(now), None),
            State::Held(_) if bytes <= self.max => (State::Open, None),
            State::Held(since) if now.duration_since(since) >= self.hold_max => {
                (State::Paused, Some(true))
            }
            State::Paused if bytes <= self.max / 2 => (State::Open, Some(false)),
            // Re-applied to partitions assigned since.
            State::Paused => (State::Paused, Some(true)),
            s => (s, None),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn step(f: &mut Flow, bytes: usize, at: Instant) -> Option<bool> {
        let (state, act) = f.next(bytes, at);
        f.state = state;
        act
    }

    #[test]
    fn over_the_bound_holds_then_pauses_only_after_a_tenth_of_max_poll_interval() {
        // max.poll.interval.ms = 5 s: pause after a 500 ms hold.
        let mut f = Flow::new(1000, 5_000);
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        assert_eq!(step(&mut f, 1000, t0), None);
        assert!(!f.held(), "at the bound, still open");
        assert_eq!(step(&mut f, 1001, t0), None);
        assert!(f.held(), "over the bound: hold, no pause");
        assert_eq!(step(&mut f, 5000, ms(499)), None);
        assert!(f.held());
        // Back under the bound: open again, without a pause/resume.
        assert_eq!(step(&mut f, 1000, ms(499)), None);
        assert!(!f.held());
        assert_eq!(step(&mut f, 2000, ms(600)), None);
        assert_eq!(step(&mut f, 2000, ms(1099)), None);
        assert_eq!(
            step(&mut f, 2000, ms(1100)),
            Some(true),
            "held 500 ms: pause"
        );
        assert!(!f.held(), "paused: the loop polls (no records) again");
        assert_eq!(step(&mut f, 600, ms(1200)), Some(true), "re-applied");
        assert_eq!(step(&mut f, 500, ms(1300)), Some(false), "resumed at half");
        assert_eq!(f.state, State::Open);
    }

    #[test]
    fn a_hold_never_lasts_longer_than_one_second() {
        let f = Flow::new(1000, 300_000);
        assert_eq!(f.hold_max, Duration::from_secs(1));
    }
}
