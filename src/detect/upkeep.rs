//! What the detector does besides taking events: the clock
//! (`audit_stream_silence`, decisions waiting for a quiet stream), the end
//! of input, sweeping expired state (and shedding it over its bytes:
//! `budget`), and its counters.

use std::time::{Duration, Instant};

use super::build::Custom;
use super::state::Size;
use super::{alert, Alert, DetectStats, Detector};

impl Detector {
    pub(super) fn sweep(&mut self) {
        let wm = self.watermark();
        let r = &mut self.rules;
        for rule in [&mut r.bruteforce_ip, &mut r.bruteforce_id, &mut r.burst]
            .into_iter()
            .flatten()
        {
            rule.expire(wm);
        }
        for rule in [&mut r.logins, &mut r.denied_granted].into_iter().flatten() {
            rule.expire(wm);
        }
        if let Some(p) = &mut r.privilege {
            p.expire(wm);
        }
        for c in &mut r.custom {
            match c {
                Custom::Count(rule, _) => rule.expire(wm),
                Custom::Sequence(rule, _) => rule.expire(wm),
                Custom::New(..) => {}
            }
        }
        self.interner.purge();
        self.keep_to_budget();
    }

    /// New values waiting for the watermark are decided up to `wm`.
    pub(super) fn advance_novelty(&mut self, wm: i64) {
        let r = &mut self.rules;
        if let Some((rule, _)) = &mut r.new_ip {
            rule.advance(wm, &mut self.book);
        }
        for c in &mut r.custom {
            if let Custom::New(rule, _) = c {
                rule.advance(wm, &mut self.book);
            }
        }
    }

    /// The clock's part (`run` calls it on a timer). When no event arrived
    /// for the allowed lateness, nothing earlier can still come from a
    /// live stream: new values waiting for the watermark are decided up to
    /// the latest event time. And `audit_stream_silence`: an alert when no
    /// event arrived for the set time.
    pub fn tick(&mut self, now: Instant, out: &mut Vec<Alert>) {
        self.stamp = true;
        let quiet = now.saturating_duration_since(self.last_arrival);
        if quiet.as_nanos() as i64 >= self.rules.lateness && self.max_time != i64::MIN {
            self.advance_novelty(self.max_time.min(self.hold));
            self.drain(out);
        }
        let Some(secs) = self.rules.silence_secs else {
            return;
        };
        if self.silence_fired || quiet < Duration::from_secs(secs) {
            return;
        }
        self.silence_fired = true;
        let since = crate::event::now_nanos() - quiet.as_nanos() as i64;
        let mut a = Alert::new(
            "audit_stream_silence",
            self.rules.silence_severity,
            "stream".into(),
            &[],
        );
        a.id = alert::alert_id("audit_stream_silence", "stream", since / 1_000_000_000);
        a.first_time = since;
        a.last_time = crate::event::now_nanos();
        a.summary = format!(
            "No audit events for {} (since {}).",
            alert::span_words(quiet.as_nanos() as i64),
            crate::event::time::format_rfc3339_nanos(since)
        );
        a.closed = true;
        self.book.fire("audit_stream_silence", a, 0);
        self.book.close_before(i64::MAX);
        self.drain(out);
    }

    /// Closes every open alert (end of input or shutdown).
    pub fn finish(&mut self, out: &mut Vec<Alert>) {
        self.advance_novelty(i64::MAX);
        self.book.close_all();
        self.drain(out);
    }

    pub(super) fn drain(&mut self, out: &mut Vec<Alert>) {
        self.stats.alerts += self.book.out.len() as u64;
        out.append(&mut self.book.out);
    }

    /// Counters, with the state sizes as of now.
    pub fn stats(&self) -> DetectStats {
        let r = &self.rules;
        let size = r.each().iter().fold(Size::default(), |s, r| s + r.size());
        DetectStats {
            keys: size.keys + self.seen.len() as u64,
            evictions: size.evictions,
            open_alerts: self.book.open_count() as u64,
            state_bytes: r.state_bytes() as u64,
            ..self.stats
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::detect::{DetectConfig, Detector, Emit};
    use crate::process::Processor;

    /// Arrivals are stamped on the first event after a tick (and every
    /// `STAMP_EVERY`th), not on every event: the silence is still measured
    /// from the latest arrival, give or take a tick.
    #[test]
    fn silence_counts_from_the_first_arrival_after_a_tick() {
        let cfg: DetectConfig =
            toml::from_str("[rules.audit_stream_silence]\nsilence_minutes = 1\n").expect("valid");
        let mut d = Detector::new(&cfg, Emit::OnFireAndClose).expect("valid config");
        let mut out = Vec::new();
        let line = crate::detect::tests::authn("s1", 1_741_078_800, "10.0.0.1", "bob", true);
        let (_, e) = Processor::default()
            .enrich(line.as_bytes(), None, 0)
            .expect("valid");
        let feed = |d: &mut Detector, n: usize, out: &mut Vec<_>| {
            for _ in 0..n {
                d.observe(&e, line.as_bytes(), out);
            }
        };
        let silences = |out: &[crate::detect::Alert]| {
            out.iter()
                .filter(|a| a.rule == "audit_stream_silence")
                .count()
        };
        feed(&mut d, 3, &mut out);
        let start = Instant::now();
        d.tick(start + Duration::from_secs(59), &mut out);
        assert_eq!(silences(&out), 0, "a minute has not passed");
        d.tick(start + Duration::from_secs(61), &mut out);
        assert_eq!(silences(&out), 1, "a minute without events");
        // Events again (redeliveries count as arrivals): the next tick
        // measures from them, and a quiet minute fires again.
        feed(&mut d, 200, &mut out);
        let back = Instant::now();
        d.tick(back + Duration::from_secs(30), &mut out);
        assert_eq!(silences(&out), 1, "quiet for half a minute only");
        d.tick(back + Duration::from_secs(62), &mut out);
        assert_eq!(silences(&out), 2);
    }
}
