//! Jittered exponential backoff between reconnect attempts, so a dead
//! receiver is not hammered and many bridges restarting together do not
//! reconnect in lockstep.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    failures: u32,
    next: Option<Instant>,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            min,
            max,
            failures: 0,
            next: None,
        }
    }

    /// Waits until the next attempt is allowed.
    pub async fn wait(&self) {
        if let Some(at) = self.next {
            tokio::time::sleep_until(at).await;
        }
    }

    /// The connection failed or broke: the next attempt waits longer.
    pub fn failed(&mut self) {
        self.failures = self.failures.saturating_add(1);
        let d = self.delay();
        self.next = Some(Instant::now() + d);
    }

    pub fn succeeded(&mut self) {
        self.failures = 0;
        self.next = None;
    }

    /// `min · 2^(failures-1)`, capped at `max`, then a uniform draw from
    /// its upper half ("equal jitter": never less than half the delay).
    fn delay(&self) -> Duration {
        let exp = self.failures.saturating_sub(1).min(30);
        let full = self.min.saturating_mul(1 << exp).min(self.max);
        let half = full / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_with_jitter_up_to_the_cap() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(1000));
        let mut seen = Vec::new();
        for _ in 0..6 {
            b.failed();
            seen.push(b.delay());
        }
        let bounds = [100, 200, 400, 800, 1000, 1000];
        for (d, full) in seen.iter().zip(bounds) {
            let full = Duration::from_millis(full);
            assert!(*d >= full / 2 && *d <= full, "{d:?} vs {full:?}");
        }
        b.succeeded();
        assert!(b.next.is_none());
    }
}
