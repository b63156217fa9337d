//! Kafka errors that repeat: logged once, then summarised, never a flood.
//!
//! librdkafka reports an unreachable cluster many times a second (a
//! global error per failed connection, a consumer error per poll). An
//! [`Outage`] turns that into: one warning when the first error arrives,
//! one summary per [`SUMMARY_EVERY`] while it lasts ("no Kafka broker
//! reachable for 60 s (412 errors) …"), one line when a broker answers
//! again. Other repeated errors (a partition error, a failed commit) are
//! logged at most once per [`SUMMARY_EVERY`] per kind, with how many were
//! held back. `/ready` reads [`Outage::reason`]; `run` can give up after
//! `[kafka] exit_after_unreachable_secs` ([`Outage::give_up_after`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use tokio_util::sync::CancellationToken;

/// How often a repeated error is logged at most (with its count).
pub const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// A failed connection this recent names the cause of an outage.
const RECENT: Duration = Duration::from_secs(10);

/// The state of the connection to the cluster, and the log limiter.
pub struct Outage {
    /// `bootstrap_servers`, as the log lines name it.
    bootstrap: String,
    /// Fast path: records arrive while nothing is wrong.
    down: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Since when no broker is reachable, with the errors seen since.
    since: Option<Instant>,
    errors: u64,
    last_error: String,
    last_summary: Option<Instant>,
    /// The last failed connection before an outage began, and when.
    recent: Option<(Instant, String)>,
    /// Other errors: kind → (when last logged, held back since).
    repeats: BTreeMap<String, (Instant, u64)>,
}

/// What a log call should do, decided under the lock, logged after it.
enum Say {
    Nothing,
    Down(String),
    Still(Duration, u64, String),
    Other(String, u64),
}

impl Outage {
    /// Nothing wrong yet.
    pub fn new(bootstrap: &str) -> Outage {
        Outage {
            bootstrap: bootstrap.to_owned(),
            down: AtomicBool::new(false),
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An error from librdkafka. "All brokers down" (or failed
    /// authentication, or a bootstrap name that does not resolve) starts
    /// an outage; a failure of one broker's connection only counts
    /// towards one already going (in a cluster of several, the others may
    /// be fine); any other error is logged at most once per
    /// [`SUMMARY_EVERY`] per kind.
    pub fn error(&self, error: &KafkaError, detail: &str) {
        let text = if detail.is_empty() {
            error.to_string()
        } else {
            format!("{error}: {detail}")
        };
        let now = Instant::now();
        match connection(error) {
            Some(Starts::Outage) => self.connection_error(text, true, now),
            // Without librdkafka's detail, it is the consumer's copy of a
            // global error: counted, but its text tells nothing new.
            Some(Starts::Nothing) if detail.is_empty() => self.connection_error(text, false, now),
            Some(Starts::Nothing) => self.failed_connection(text, now),
            None => self.other(kind(error), text, now),
        }
    }

    /// A connection failed, with librdkafka's own words (its `FAIL` log
    /// lines, a transport error's detail): the most telling "last error".
    pub fn failed_connection(&self, text: String, now: Instant) {
        self.lock().recent = Some((now, text.clone()));
        self.connection_error(text, false, now);
    }

    /// A failed connection: `starts` when it means no broker at all is
    /// reachable; otherwise it only counts towards an outage going on.
    fn connection_error(&self, text: String, starts: bool, now: Instant) {
        let say = {
            let mut s = self.lock();
            if s.since.is_none() && !starts {
                drop(s);
                return self.other("connection".to_owned(), text, now);
            }
            s.errors += 1;
            // "1/1 brokers are down" says less than the connection's own
            // failure: name the latest of those when it is recent.
            let recent = s
                .recent
                .as_ref()
                .filter(|(at, _)| now - *at < RECENT)
                .map(|(_, t)| t.clone());
            match recent {
                Some(t) => s.last_error = t,
                None if s.last_error.is_empty() => s.last_error = text,
                // Keep the most telling one seen in this outage.
                None => {}
            }
            match s.since {
                None => {
                    s.since = Some(now);
                    s.last_summary = Some(now);
                    self.down.store(true, Ordering::Release);
                    Say::Down(s.last_error.clone())
                }
                Some(since) if s.last_summary.is_none_or(|t| now - t >= SUMMARY_EVERY) => {
                    s.last_summary = Some(now);
                    Say::Still(now - since, s.errors, s.last_error.clone())
                }
                Some(_) => Say::Nothing,
            }
        };
        self.say(say);
    }

    fn other(&self, kind: String, text: String, now: Instant) {
        let say = {
            let mut s = self.lock();
            match s.repeats.get_mut(&kind) {
                Some((at, held)) if now - *at < SUMMARY_EVERY => {
                    *held += 1;
                    Say::Nothing
                }
                Some((at, held)) => {
                    let n = std::mem::take(held);
                    *at = now;
                    Say::Other(text, n)
                }
                None => {
                    s.repeats.insert(kind, (now, 0));
                    Say::Other(text, 0)
                }
            }
        };
        self.say(say);
    }

    fn say(&self, say: Say) {
        let brokers = self.bootstrap.as_str();
        match say {
            Say::Nothing => {}
            Say::Down(error) => tracing::warn!(
                message = "Kafka unreachable; retrying (repeats are summarised once a minute).",
                brokers,
                %error
            ),
            Say::Still(d, errors, last_error) => tracing::warn!(
                message = format!(
                    "No Kafka broker reachable for {} s ({errors} errors); still retrying.",
                    d.as_secs()
                ),
                brokers,
                %last_error
            ),
            Say::Other(error, 0) => tracing::warn!(
                message = "Kafka error; continuing (repeats are summarised once a minute).",
                %error
            ),
            Say::Other(error, held) => tracing::warn!(
                message = format!(
                    "Kafka error; continuing ({held} more like it in the last minute)."
                ),
                %error
            ),
        }
    }

    /// A broker answered (a record arrived, partitions were assigned, or
    /// librdkafka's statistics show a broker up): the outage is over.
    pub fn reachable(&self) {
        if !self.down.load(Ordering::Acquire) {
            return;
        }
        let over = {
            let mut s = self.lock();
            self.down.store(false, Ordering::Release);
            let over = s.since.take().map(|t| (t.elapsed(), s.errors));
            s.errors = 0;
            s.last_error.clear();
            s.last_summary = None;
            over
        };
        if let Some((d, errors)) = over {
            tracing::info!(
                message = format!(
                    "Kafka reachable again after {} s ({errors} errors).",
                    d.as_secs()
                ),
                brokers = self.bootstrap.as_str()
            );
        }
    }

    /// librdkafka's statistics (JSON): any broker in state `UP` ends the
    /// outage.
    pub fn statistics(&self, json: &[u8]) {
        #[derive(serde::Deserialize)]
        struct Stats {
            #[serde(default)]
            brokers: BTreeMap<String, Broker>,
        }
        #[derive(serde::Deserialize)]
        struct Broker {
            state: String,
        }
        if !self.down.load(Ordering::Acquire) {
            return;
        }
        if let Ok(s) = serde_json::from_slice::<Stats>(json) {
            if s.brokers.values().any(|b| b.state == "UP") {
                self.reachable();
            }
        }
    }

    /// How long no broker has been reachable, if none is.
    pub fn down_for(&self) -> Option<Duration> {
        self.lock().since.map(|t| t.elapsed())
    }

    /// Why the consumer is not working, for `/ready`; `None` while a
    /// broker is reachable.
    pub fn reason(&self) -> Option<String> {
        let s = self.lock();
        let since = s.since?;
        Some(format!(
            "no Kafka broker reachable at {} for {} s ({} errors; last: {})",
            self.bootstrap,
            since.elapsed().as_secs(),
            s.errors,
            s.last_error
        ))
    }

    /// Waits until no broker has been reachable for `after`, then logs it,
    /// cancels `shutdown` and returns the reason; `None` when `shutdown`
    /// was cancelled first.
    pub async fn give_up_after(
        self: Arc<Self>,
        after: Duration,
        shutdown: CancellationToken,
    ) -> Option<String> {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return None,
                _ = tick.tick() => {}
            }
            if self.down_for().is_some_and(|d| d >= after) {
                let reason = self.reason().unwrap_or_default();
                tracing::error!(
                    message = "Giving up: no Kafka broker reachable for exit_after_unreachable_secs; exiting with 1 for the supervisor.",
                    %reason
                );
                shutdown.cancel();
                return Some(reason);
            }
        }
    }
}

/// What a connection error means for the outage.
enum Starts {
    /// No broker at all: an outage begins (or goes on).
    Outage,
    /// One connection failed: counts only towards an outage going on.
    Nothing,
}

/// Errors that mean "cannot talk to the cluster", and what they start.
fn connection(e: &KafkaError) -> Option<Starts> {
    use RDKafkaErrorCode as C;
    match e.rdkafka_error_code()? {
        C::AllBrokersDown | C::Resolve | C::Authentication | C::SaslAuthenticationFailed => {
            Some(Starts::Outage)
        }
        C::BrokerTransportFailure | C::NetworkException | C::BrokerNotAvailable => {
            Some(Starts::Nothing)
        }
        _ => None,
    }
}

/// The kind an error is counted under: its code, or its text.
fn kind(e: &KafkaError) -> String {
    match e.rdkafka_error_code() {
        Some(code) => format!("{code:?}"),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests;
