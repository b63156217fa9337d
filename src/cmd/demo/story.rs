//! What the demo's attack storyline shows once the pipeline has run: the
//! attacker's failed logins, the one that succeeded, the denials that
//! followed, and the alerts the detection rules raise on the stream
//! (the same [`Detector`] `siem-bridge detect` runs, every rule with its
//! defaults).

use std::collections::BTreeSet;
use std::io::{self, Write};

use super::generate::{ATTACKER_IP, LEAKED};
use crate::detect::{Alert, DetectConfig, Detector, Emit};
use crate::event::{now_nanos, Verdict};
use crate::process::Processor;

/// The attacker's part of the stream, and the alerts.
#[derive(Debug, Default)]
pub struct Story {
    /// Failed authentications from the attacker's address.
    pub failed_logins: u64,
    /// The successful login from that address: principal and time.
    pub login: Option<(String, String)>,
    /// Denied requests from that address after it logged in.
    pub denials: u64,
    /// The resources those denials were for.
    pub denied: BTreeSet<String>,
    /// What the detection rules raised, in the order they closed.
    pub alerts: Vec<Alert>,
}

/// Runs the records through enrichment and the detector.
pub fn tell(records: &[Vec<u8>]) -> Story {
    let processor = Processor::default();
    let mut detector = Detector::new(&DetectConfig::default(), Emit::OnClose)
        .expect("the default detection rules build");
    let mut story = Story::default();
    for r in records {
        let Ok((_, e)) = processor.enrich(r, None, now_nanos()) else {
            continue;
        };
        detector.observe(&e, r, &mut story.alerts);
        if e.source_ip() != Some(ATTACKER_IP) {
            continue;
        }
        let login = e.method() == Some("kafka.Authentication");
        if login && e.failed_auth {
            story.failed_logins += 1;
        } else if login && story.login.is_none() {
            let who = e.principal().normalized.unwrap_or(LEAKED).to_owned();
            story.login = Some((who, e.time.to_string()));
        } else if e.verdict == Verdict::Denied {
            story.denials += 1;
            if let Some(name) = e.resource_name() {
                story.denied.insert(name.to_owned());
            }
        }
    }
    detector.finish(&mut story.alerts);
    // Most severe first; within a severity, in the order they closed.
    story.alerts.sort_by_key(|a| std::cmp::Reverse(a.severity));
    story
}

impl Story {
    /// The rules that raised at least one alert, sorted.
    pub fn rules(&self) -> BTreeSet<&str> {
        self.alerts.iter().map(|a| a.rule.as_str()).collect()
    }

    /// The storyline and the alerts, as the demo's summary prints them.
    pub fn print(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "\nthe attack, from {ATTACKER_IP}:")?;
        writeln!(out, "  {:>5}  failed logins", self.failed_logins)?;
        match &self.login {
            Some((who, at)) => writeln!(
                out,
                "      1  successful login as {who} at {at}  <- the leaked key works"
            )?,
            None => writeln!(out, "      0  successful logins")?,
        }
        let on: Vec<&str> = self.denied.iter().map(String::as_str).collect();
        writeln!(
            out,
            "  {:>5}  denied requests after it, on {}",
            self.denials,
            on.join(", ")
        )?;
        writeln!(
            out,
            "\nalerts the detection rules raise on this stream ({}, docs/detect.md):",
            self.alerts.len()
        )?;
        for a in &self.alerts {
            writeln!(
                out,
                "  {:<8}  {:<28}  {}",
                a.severity.as_str(),
                a.rule,
                a.summary
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
