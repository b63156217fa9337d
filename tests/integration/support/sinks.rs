//! Sinks for pipeline tests: they record what they accepted and can be
//! told to stall, reject, or fail.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use siem_bridge::event::Event;
use siem_bridge::sink::{Outcome, SendReport, Sink};
use tokio::sync::watch;

/// What the sink does with an event id.
#[derive(Clone, Debug, PartialEq)]
pub enum Behaviour {
    Accept,
    Reject,
    Retry,
    Misconfigured,
}

/// A scriptable in-memory sink.
pub struct MemorySink {
    name: String,
    /// Every accepted id, with how often it was accepted.
    pub accepted: Mutex<BTreeMap<String, usize>>,
    /// Per-id behaviour; ids not listed use `default`.
    pub rules: Mutex<BTreeMap<String, Behaviour>>,
    pub default: Mutex<Behaviour>,
    /// While false, sends containing a `stall` id wait.
    gate: watch::Sender<bool>,
    pub stall: Mutex<HashSet<String>>,
    pub sends: Mutex<usize>,
    /// Time each send takes (a slow destination).
    pub delay: Mutex<std::time::Duration>,
    /// The largest rendered event sent, in bytes.
    pub largest: Mutex<usize>,
}

impl MemorySink {
    pub fn new(name: &str) -> Arc<MemorySink> {
        Arc::new(MemorySink {
            name: name.to_owned(),
            accepted: Default::default(),
            rules: Default::default(),
            default: Mutex::new(Behaviour::Accept),
            gate: watch::channel(true).0,
            stall: Default::default(),
            sends: Mutex::new(0),
            delay: Mutex::new(std::time::Duration::ZERO),
            largest: Mutex::new(0),
        })
    }

    pub fn set(&self, id: &str, b: Behaviour) {
        self.rules.lock().unwrap().insert(id.to_owned(), b);
    }

    pub fn set_default(&self, b: Behaviour) {
        *self.default.lock().unwrap() = b;
    }

    /// Sends that contain `id` wait until [`MemorySink::release`].
    pub fn stall_on(&self, id: &str) {
        self.stall.lock().unwrap().insert(id.to_owned());
        self.gate.send_replace(false);
    }

    pub fn release(&self) {
        self.gate.send_replace(true);
    }

    pub fn ids(&self) -> HashSet<String> {
        self.accepted.lock().unwrap().keys().cloned().collect()
    }

    pub fn duplicates(&self) -> usize {
        self.accepted.lock().unwrap().values().map(|n| n - 1).sum()
    }
}

impl Sink for MemorySink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(&'a self, events: &'a [Arc<Event>]) -> BoxFuture<'a, SendReport> {
        Box::pin(async move {
            *self.sends.lock().unwrap() += 1;
            {
                let mut l = self.largest.lock().unwrap();
                *l = events.iter().map(|e| e.json.len()).fold(*l, usize::max);
            }
            let delay = *self.delay.lock().unwrap();
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let stalls = {
                let s = self.stall.lock().unwrap();
                events.iter().any(|e| s.contains(e.id()))
            };
            if stalls {
                let mut rx = self.gate.subscribe();
                let _ = rx.wait_for(|open| *open).await;
            }
            let rules = self.rules.lock().unwrap().clone();
            let default = self.default.lock().unwrap().clone();
            let mut outcomes = Vec::new();
            for e in events {
                let b = rules.get(e.id()).unwrap_or(&default);
                outcomes.push(match b {
                    Behaviour::Accept => {
                        *self
                            .accepted
                            .lock()
                            .unwrap()
                            .entry(e.id().to_owned())
                            .or_default() += 1;
                        Outcome::Accepted
                    }
                    Behaviour::Reject => Outcome::Rejected {
                        reason: format!("refused {}", e.id()),
                        status: Some("400".into()),
                    },
                    Behaviour::Retry => Outcome::Retryable("try later".into()),
                    Behaviour::Misconfigured => Outcome::Misconfigured("401 bad token".into()),
                });
            }
            SendReport {
                outcomes,
                retry_after: None,
            }
        })
    }
}
