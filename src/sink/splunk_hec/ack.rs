//! Indexer acknowledgement (`docs/sinks.md` §1.8).
//!
//! A 200 from HEC only means "received". With `acknowledgements = true`
//! each accepted request carries an `ackId`; its events count as delivered
//! only once `/services/collector/ack` reports that id `true`. One poller
//! task per sink asks about every outstanding id of the current channel
//! at once, so sends never wait for each other's acks. Rules:
//!
//! - an id not `true` within `ack_timeout` is given up: its events are
//!   reported `Ambiguous` and the pipeline resends them on a new ackId;
//! - at most `max_pending_acks` requests wait at once: beyond that a send
//!   waits for a slot (backpressure), so memory stays bounded;
//! - code 14 ("ACK is disabled") switches to HTTP-200 semantics with a
//!   warning; code 10/11, or an ackId handed out twice (Splunk forgot the
//!   channel and restarted numbering), rotates the channel and gives up
//!   every outstanding id of the old one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::channel::Channel;
use super::classify::{self, AckReply};
use super::transport::Transport;
use super::Counters;

/// How one acknowledgement wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckResult {
    /// Splunk said `true`: indexed and replicated.
    Acked,
    /// Acks turned out to be off for the token: HTTP 200 is all there is.
    Fallback,
    /// Unknown whether indexed (timeout, channel lost): resend.
    Lost(String),
    /// Splunk refused the ack query (token): configuration.
    Refused(String),
}

struct Pending {
    tx: oneshot::Sender<AckResult>,
    deadline: Instant,
    _slot: OwnedSemaphorePermit,
}

#[derive(Default)]
struct State {
    pending: HashMap<u64, Pending>,
    polling: bool,
}

/// The acknowledgement tracker of one sink.
pub struct Acks {
    transport: Arc<Transport>,
    channel: Arc<Channel>,
    counters: Arc<Counters>,
    timeout: Duration,
    interval: Duration,
    slots: Arc<Semaphore>,
    disabled: AtomicBool,
    state: Mutex<State>,
}

impl Acks {
    /// A tracker polling over `transport` for the acks of `channel`.
    pub fn new(
        transport: Arc<Transport>,
        channel: Arc<Channel>,
        counters: Arc<Counters>,
        timeout: Duration,
        interval: Duration,
        max_pending: usize,
    ) -> Acks {
        Acks {
            transport,
            channel,
            counters,
            timeout,
            interval,
            slots: Arc::new(Semaphore::new(max_pending)),
            disabled: AtomicBool::new(false),
            state: Mutex::new(State::default()),
        }
    }

    /// Acks were found off for the token (code 14): stop waiting for them.
    pub fn is_disabled(&self) -> bool {
        self.disabled.load(Ordering::Relaxed)
    }

    /// A slot for one more request awaiting its ack; waits while
    /// `max_pending_acks` are outstanding.
    pub async fn slot(&self) -> OwnedSemaphorePermit {
        self.slots
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts waiting for `ack_id`, handed out on channel `generation`.
    pub fn register(
        self: &Arc<Self>,
        generation: u64,
        ack_id: u64,
        slot: OwnedSemaphorePermit,
    ) -> oneshot::Receiver<AckResult> {
        let (tx, rx) = oneshot::channel();
        let mut st = self.lock();
        if self.channel.generation() != generation {
            let _ = tx.send(AckResult::Lost(
                "the HEC channel was replaced while this request was in flight".to_owned(),
            ));
            return rx;
        }
        if st.pending.contains_key(&ack_id) {
            let why = format!(
                "Splunk handed out ackId {ack_id} twice on one channel: it forgot the channel"
            );
            tracing::warn!(message = "rotating the HEC channel", reason = %why);
            self.rotate(&mut st, generation, &why);
            let _ = tx.send(AckResult::Lost(why));
            return rx;
        }
        st.pending.insert(
            ack_id,
            Pending {
                tx,
                deadline: Instant::now() + self.timeout,
                _slot: slot,
            },
        );
        if !st.polling {
            st.polling = true;
            tokio::spawn(self.clone().poll());
        }
        rx
    }

    /// Replaces the channel (if still at `generation`) and gives up every
    /// outstanding id: they meant something only on the old channel.
    pub fn rotate_channel(&self, generation: u64, why: &str) {
        let mut st = self.lock();
        self.rotate(&mut st, generation, why);
    }

    fn rotate(&self, st: &mut State, generation: u64, why: &str) {
        if self.channel.rotate(generation) {
            self.counters
                .channel_rotations
                .fetch_add(1, Ordering::Relaxed);
            for (_, p) in st.pending.drain() {
                let _ = p.tx.send(AckResult::Lost(format!("{why}; resending")));
            }
        }
    }

    fn finish_all(st: &mut State, result: &AckResult) {
        for (_, p) in st.pending.drain() {
            let _ = p.tx.send(result.clone());
        }
    }

    /// Gives up ids past their deadline; the outstanding ids otherwise.
    fn due(&self) -> Option<Vec<u64>> {
        let mut st = self.lock();
        let now = Instant::now();
        let late: Vec<u64> = st
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            let p = st.pending.remove(&id).expect("listed above");
            self.counters.ack_timeouts.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                message = "no indexer acknowledgement in time; resending",
                ack_id = id,
                timeout_ms = self.timeout.as_millis() as u64
            );
            let _ = p.tx.send(AckResult::Lost(format!(
                "no indexer acknowledgement for ackId {id} within {} ms; resending (duplicates possible)",
                self.timeout.as_millis()
            )));
        }
        if st.pending.is_empty() {
            st.polling = false;
            return None;
        }
        let mut ids: Vec<u64> = st.pending.keys().copied().collect();
        ids.sort_unstable();
        Some(ids)
    }

    /// The poller: runs while ids are outstanding.
    async fn poll(self: Arc<Self>) {
        loop {
            tokio::time::sleep(self.interval).await;
            let Some(ids) = self.due() else { return };
            let (guid, generation) = self.channel.current();
            let reply = match self.transport.post_acks(&guid, &ids).await {
                Ok(a) => classify::ack_response(a.status, &a.body),
                Err(f) => AckReply::Unclear(f.to_string()),
            };
            let mut st = self.lock();
            if self.channel.generation() != generation {
                continue;
            }
            match reply {
                AckReply::Status(done) => {
                    for id in done {
                        if let Some(p) = st.pending.remove(&id) {
                            let _ = p.tx.send(AckResult::Acked);
                        }
                    }
                }
                AckReply::Disabled(text) => {
                    tracing::warn!(message = "`acknowledgements = true` but the HEC token has indexer acknowledgement off: an HTTP 200 now counts as delivered; turn on useACK for the token or set acknowledgements = false", reply = %text);
                    self.disabled.store(true, Ordering::Relaxed);
                    self.counters.acks_fallback.store(true, Ordering::Relaxed);
                    Self::finish_all(&mut st, &AckResult::Fallback);
                }
                AckReply::ChannelLost(text) => {
                    tracing::warn!(message = "Splunk no longer knows the HEC channel; rotating it and resending", reply = %text);
                    self.rotate(&mut st, generation, &text);
                }
                AckReply::Refused(text) => {
                    tracing::error!(message = "Splunk refused the ack query", reply = %text);
                    Self::finish_all(&mut st, &AckResult::Refused(text));
                }
                AckReply::Unclear(text) => {
                    tracing::warn!(message = "ack query failed; asking again", reply = %text);
                }
            }
        }
    }
}
