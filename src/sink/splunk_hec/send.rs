//! One `send`: envelopes → requests → one outcome per event.
//!
//! Requests go out one after the other. The first one that fails for a
//! reason that is not about its events (busy, refused token, timeout)
//! ends the attempt: later requests are not sent and their events get
//! the same class, so a sick Splunk sees one request per attempt, not a
//! storm. Failures that are about events are settled inside the attempt:
//!
//! - 400 code 6/12/13/15 with `invalid-event-number` *i*: event *i* is
//!   rejected with Splunk's text, the others go again at once in one new
//!   request (those before *i* may already be indexed: counted as
//!   possible duplicates);
//! - the same without a number: bisection. Halves are sent one at a time;
//!   when a half passes, the other half must hold the bad event and is
//!   split without being sent whole; halves not yet tried are sent
//!   together at the end. One bad event in *n* costs at most
//!   ⌈log2 *n*⌉ + 1 extra requests;
//! - 413: the shared rule ([`crate::sink::http::split`]): split in
//!   halves until accepted; an event refused alone is rejected.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::oneshot;

use super::ack::AckResult;
use super::classify::{self, Hec};
use super::encode;
use super::Core;
use crate::event::Event;
use crate::sink::http::split::{self, TooLarge};
use crate::sink::http::{self, Failure, Verdict};
use crate::sink::{Outcome, SendReport};

/// How a request ended, for the splitting logic.
enum Step {
    /// Accepted (or waiting for its ack).
    Done,
    /// An event in it is bad; `index` within the request when Splunk said.
    Bad {
        index: Option<usize>,
        reason: String,
        status: String,
    },
    TooLarge(String),
    /// Not about the events: end the attempt.
    Stop,
}

struct Run<'a> {
    core: &'a Core,
    envelopes: encode::Envelopes,
    outcomes: Vec<Option<Outcome>>,
    waits: Vec<(Vec<usize>, oneshot::Receiver<AckResult>)>,
    retry_after: Option<Duration>,
    /// The outcome for events not sent because the attempt ended.
    stop: Option<Outcome>,
}

/// One [`Sink::send`](crate::sink::Sink::send): one outcome per event, in
/// order, once the acknowledgements of accepted requests are settled.
pub(crate) async fn send(core: &Core, events: &[Arc<Event>]) -> SendReport {
    let mut run = Run {
        core,
        envelopes: Default::default(),
        outcomes: vec![None; events.len()],
        waits: Vec::new(),
        retry_after: None,
        stop: None,
    };
    run.envelopes = encode::Envelopes::encode(&core.encoder, events, |i, e| {
        run.outcomes[i] = Some(Outcome::Rejected {
            reason: e.to_string(),
            status: None,
        });
    });
    let sizes: Vec<(usize, usize)> = (0..events.len())
        .filter(|&i| run.outcomes[i].is_none())
        .map(|i| (i, run.envelopes.len(i)))
        .collect();
    let sizes_only = sizes.iter().map(|&(_, size)| size);
    for cut in split::by_caps(sizes_only, core.max_batch_bytes, core.max_batch_events) {
        let group = sizes[cut].iter().map(|&(i, _)| i).collect();
        if !run.attempt(group).await {
            break;
        }
    }
    // Every request is written: the bodies are not needed while the
    // acknowledgements are awaited (up to `ack_poll_interval_ms`, 1 s by
    // default). A resend encodes the events again.
    run.envelopes = Default::default();
    run.settle_acks().await;
    run.report()
}

fn without(idx: &[usize], skip: usize) -> Vec<usize> {
    idx.iter()
        .enumerate()
        .filter(|(j, _)| *j != skip)
        .map(|(_, &i)| i)
        .collect()
}

impl Run<'_> {
    fn set(&mut self, idx: &[usize], outcome: Outcome) {
        for &i in idx {
            self.outcomes[i] = Some(outcome.clone());
        }
    }

    fn reject(&mut self, i: usize, reason: String, status: String) {
        tracing::warn!(message = "Splunk HEC refused an event; dead-lettering it", reason = %reason);
        self.outcomes[i] = Some(Outcome::Rejected {
            reason,
            status: Some(status),
        });
    }

    /// Ends the attempt: `idx` get `now`, unsent events get what
    /// [`http::not_sent`] makes of it.
    fn stop(&mut self, idx: &[usize], now: Outcome) -> Step {
        self.stop = http::not_sent(&now);
        self.set(idx, now);
        Step::Stop
    }

    /// Sends one request for the events at `idx`.
    async fn post(&mut self, idx: &[usize]) -> Step {
        let core = self.core;
        let acks = core.acks.as_ref().filter(|a| !a.is_disabled());
        let slot = match acks {
            Some(a) => Some(a.slot().await),
            None => None,
        };
        let (guid, generation) = core.channel.current();
        let (body, _) = encode::body(&self.envelopes, idx, core.compression);
        core.counters.requests.fetch_add(1, Ordering::Relaxed);
        let answer = match core.transport.post_events(&guid, body).await {
            Ok(a) => a,
            Err(f @ Failure::Unknown(_)) => {
                core.counters.ambiguous.fetch_add(1, Ordering::Relaxed);
                core.counters
                    .possible_duplicates
                    .fetch_add(idx.len() as u64, Ordering::Relaxed);
                return self.stop(idx, f.outcome());
            }
            Err(f) => return self.stop(idx, f.outcome()),
        };
        if answer.retry_after.is_some() {
            self.retry_after = self.retry_after.max(answer.retry_after);
        }
        match classify::event_response(answer.status, &answer.body) {
            Verdict::Protocol(Hec::Accepted { ack_id }) => {
                match (core.acks.as_ref(), slot, ack_id) {
                    (Some(a), Some(slot), Some(id)) => {
                        let rx = a.register(generation, id, slot);
                        self.waits.push((idx.to_vec(), rx));
                        return Step::Done;
                    }
                    (Some(_), Some(_), None)
                        if !core.counters.acks_fallback.swap(true, Ordering::Relaxed) =>
                    {
                        tracing::warn!(message = "`acknowledgements = true` but Splunk HEC returned no ackId: the token has indexer acknowledgement off; an HTTP 200 counts as delivered");
                    }
                    _ => {}
                }
                self.set(idx, Outcome::Accepted);
                Step::Done
            }
            Verdict::Protocol(Hec::ChannelLost(message)) => {
                core.rotate_channel(generation, &message);
                tracing::error!(message = "Splunk HEC sink misconfigured", reason = %message);
                self.stop(idx, Outcome::Misconfigured(message))
            }
            Verdict::All(o) => {
                if let Outcome::Misconfigured(m) = &o {
                    tracing::error!(message = "Splunk HEC sink misconfigured", reason = %m);
                }
                self.stop(idx, o)
            }
            Verdict::Protocol(Hec::BadEvent {
                index,
                reason,
                status,
            }) => Step::Bad {
                index: index.filter(|&i| i < idx.len()),
                reason,
                status,
            },
            Verdict::TooLarge(m) => Step::TooLarge(m),
        }
    }

    /// Sends `idx` and settles event-level failures; false ends the attempt.
    fn attempt(&mut self, idx: Vec<usize>) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            match self.post(&idx).await {
                Step::Done => true,
                Step::Stop => false,
                Step::Bad {
                    index: Some(i),
                    reason,
                    status,
                } => {
                    self.reject(idx[i], reason, status);
                    self.core
                        .counters
                        .possible_duplicates
                        .fetch_add(i as u64, Ordering::Relaxed);
                    let rest = without(&idx, i);
                    rest.is_empty() || self.attempt(rest).await
                }
                Step::Bad { reason, status, .. } => {
                    let mut untried = Vec::new();
                    if !self.isolate(idx, reason, status, &mut untried).await {
                        return false;
                    }
                    untried.sort_unstable();
                    untried.is_empty() || self.attempt(untried).await
                }
                Step::TooLarge(m) => match split::too_large(idx) {
                    TooLarge::Alone(idx) => {
                        let reason =
                            format!("the event alone is over Splunk's request size limit: {m}");
                        self.reject(idx[0], reason, "413".to_owned());
                        true
                    }
                    TooLarge::Halves(l, r) => self.attempt(l).await && self.attempt(r).await,
                },
            }
        })
    }

    /// `idx` is known to hold a bad event (Splunk gave no number): finds
    /// it. Halves not tried go to `untried`; false ends the attempt.
    fn isolate<'s>(
        &'s mut self,
        idx: Vec<usize>,
        reason: String,
        status: String,
        untried: &'s mut Vec<usize>,
    ) -> BoxFuture<'s, bool> {
        Box::pin(async move {
            if idx.len() == 1 {
                self.reject(idx[0], format!("{reason} (isolated by bisection)"), status);
                return true;
            }
            let (l, r) = split::Docs::halves(idx);
            match self.post(&l).await {
                // The left half is clean, so the bad event is on the right.
                Step::Done => self.isolate(r, reason, status, untried).await,
                Step::Stop => false,
                Step::Bad {
                    index: Some(i),
                    reason,
                    status,
                } => {
                    self.reject(l[i], reason, status);
                    untried.extend(without(&l, i));
                    untried.extend(r);
                    true
                }
                Step::Bad { reason, status, .. } => {
                    untried.extend(r);
                    self.isolate(l, reason, status, untried).await
                }
                Step::TooLarge(_) => {
                    untried.extend(r);
                    self.attempt(l).await
                }
            }
        })
    }

    /// Waits for the indexer acknowledgements of the accepted requests.
    async fn settle_acks(&mut self) {
        let waits = std::mem::take(&mut self.waits);
        let results = futures::future::join_all(waits.into_iter().map(|(idx, rx)| async move {
            let r = rx
                .await
                .unwrap_or_else(|_| AckResult::Lost("acknowledgement tracking stopped".to_owned()));
            (idx, r)
        }))
        .await;
        for (idx, result) in results {
            let outcome = match result {
                AckResult::Acked | AckResult::Fallback => Outcome::Accepted,
                AckResult::Lost(m) => {
                    self.core
                        .counters
                        .possible_duplicates
                        .fetch_add(idx.len() as u64, Ordering::Relaxed);
                    Outcome::Ambiguous(m)
                }
                AckResult::Refused(m) => Outcome::Misconfigured(m),
            };
            self.set(&idx, outcome);
        }
    }

    fn report(self) -> SendReport {
        let stop = self.stop;
        let outcomes = self
            .outcomes
            .into_iter()
            .map(|o| {
                o.or_else(|| stop.clone()).unwrap_or_else(|| {
                    Outcome::Retryable("not sent (no outcome recorded)".to_owned())
                })
            })
            .collect();
        SendReport {
            outcomes,
            retry_after: self.retry_after,
        }
    }
}
