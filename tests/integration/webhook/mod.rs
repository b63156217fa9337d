//! The webhook sink against the in-repo receiver (`support::webhook`):
//! generic and PagerDuty bodies, every answer class, TLS, and the
//! whole-config rule that a webhook sink needs `[detect]`. [`deliver`]
//! stands in for the pipeline by resending what is not final; routing
//! alerts to `alerts_only` sinks is the pipeline's own test.

mod answers;
mod config;
mod tls;

use std::sync::Arc;

use siem_bridge::detect::alert::{Alert, EventRef};
use siem_bridge::detect::{DetectConfig, Detector, Emit};
use siem_bridge::event::{Event, Severity};
use siem_bridge::process::Processor;
use siem_bridge::secret::Secret;
use siem_bridge::sink::webhook::{Format, WebhookConfig, WebhookSink};
use siem_bridge::sink::{Outcome, SendReport, Sink};

pub const ROUTING_KEY: &str = "R0123456789abcdef0123456789abcde";
const T0: i64 = 1_741_078_801_000_000_000;

/// `n` distinct alerts (one group key each), as the pipeline sends them.
pub fn alerts(n: usize) -> Vec<(Alert, Arc<Event>)> {
    (0..n)
        .map(|i| {
            let ip = format!("203.0.113.{i}");
            let id = format!("ev-{i}");
            let (principal, none) = (Some("User:sa-1"), None);
            let fields = [
                Some(&*id),
                principal,
                Some(&*ip),
                none,
                none,
                none,
                none,
                none,
            ];
            let e = EventRef::new(T0 + i as i64, fields);
            let mut a = Alert::new("auth_bruteforce", Severity::High, ip.clone(), &[&e]);
            a.summary = format!("failed logins from {ip}");
            let event = Arc::new(Processor::default().alert_event(&a));
            (a, event)
        })
        .collect()
}

/// The alerts the detector raises over the incident scenario
/// (`tests/data/detect/incident.jsonl`), every severity among them.
pub fn detected() -> Vec<Alert> {
    let text =
        std::fs::read_to_string(crate::support::repo().join("tests/data/detect/incident.jsonl"))
            .unwrap();
    let mut d = Detector::new(&DetectConfig::default(), Emit::OnClose).expect("defaults");
    let mut out = Vec::new();
    for l in text.lines() {
        if let Ok((_, e)) = Processor::default().enrich(l.as_bytes(), None, 0) {
            d.observe(&e, l.as_bytes(), &mut out);
        }
    }
    d.finish(&mut out);
    assert!(out.len() >= 5, "the incident raises its alerts: {out:?}");
    out
}

pub fn events(alerts: &[(Alert, Arc<Event>)]) -> Vec<Arc<Event>> {
    alerts.iter().map(|(_, e)| e.clone()).collect()
}

pub fn ids(alerts: &[(Alert, Arc<Event>)]) -> Vec<String> {
    alerts.iter().map(|(a, _)| a.id.clone()).collect()
}

/// A sink on `url` (2 s timeout), adjusted by `f`.
pub fn sink(format: Format, url: &str, f: impl FnOnce(&mut WebhookConfig)) -> WebhookSink {
    let mut c = WebhookConfig::new(format);
    c.url = Some(url.to_owned());
    c.timeout_secs = 2;
    if format == Format::Pagerduty {
        c.routing_key = Some(Secret::new(ROUTING_KEY));
    }
    f(&mut c);
    WebhookSink::new(&c, "hook".into()).unwrap()
}

/// The pipeline's contract in miniature: resend every event whose outcome
/// is not final, up to `attempts` times, waiting `retry_after` when the
/// server asked. Returns the last outcome of each event and every report.
pub async fn deliver(
    sink: &dyn Sink,
    events: &[Arc<Event>],
    attempts: usize,
) -> (Vec<Outcome>, Vec<SendReport>) {
    let mut last: Vec<Option<Outcome>> = vec![None; events.len()];
    let mut pending: Vec<usize> = (0..events.len()).collect();
    let mut reports: Vec<SendReport> = Vec::new();
    for _ in 0..attempts {
        if pending.is_empty() {
            break;
        }
        if let Some(wait) = reports.last().and_then(|r| r.retry_after) {
            tokio::time::sleep(wait).await;
        }
        let batch: Vec<Arc<Event>> = pending.iter().map(|&i| events[i].clone()).collect();
        let report = sink.send(&batch).await;
        assert_eq!(report.outcomes.len(), batch.len(), "one outcome per event");
        let mut still = Vec::new();
        for (&i, o) in pending.iter().zip(&report.outcomes) {
            if !o.is_final() {
                still.push(i);
            }
            last[i] = Some(o.clone());
        }
        reports.push(report);
        pending = still;
    }
    (last.into_iter().map(Option::unwrap).collect(), reports)
}

/// Outcome classes, for compact assertions.
pub fn classes(outcomes: &[Outcome]) -> Vec<&'static str> {
    outcomes.iter().map(Outcome::class).collect()
}
