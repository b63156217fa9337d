//! `siem-bridge watch`: the ad hoc investigator. Reads the audit topic
//! with the `run` configuration, shows matching events one line each (or
//! NDJSON), and never commits anything to any consumer group.
//!
//! | file | concept |
//! |---|---|
//! | `command.rs` | the flags and the config file → a [`Watch`]; the `watch` command itself |
//! | [`range`] | `--since/--from/--from-beginning/--until` → start and stop |
//! | [`query`] | the query flags → one matcher over the enrichment |
//! | [`line`] | one readable (coloured) line, or one NDJSON line |
//! | [`consume`] | the group-less consumer: assign, watermarks, offsets for times |
//! | [`reader`] | the range read merged by timestamp, shared with `investigate` |
//! | [`progress`] | the catching-up bar, driven by offsets vs watermarks |

pub mod command;
pub mod consume;
pub mod line;
pub mod progress;
pub mod query;
pub mod range;
pub mod reader;

use std::io::Write;

use std::time::Duration;

use rdkafka::Message;
use tokio_util::sync::CancellationToken;

use crate::event::{now_nanos, Disposition};
use crate::kafka::KafkaConfig;
use crate::process::Processor;

pub use command::command;
pub use line::Style;
pub use query::{Query, QueryFlags};
pub use range::Range;
pub use reader::{Fetched, RangeReader};

/// Why `watch` stopped early.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// A flag is wrong: fix the command line (exit 2).
    #[error("{0}")]
    Query(String),
    /// `[kafka]`'s password file cannot be read (exit 1).
    #[error(transparent)]
    Secret(#[from] crate::secret::SecretError),
    /// Kafka could not be reached or read (`what` was being done): check
    /// the address, credentials and topic (exit 1).
    #[error("{what}: {source}")]
    Kafka {
        /// What failed, e.g. `cannot create the Kafka consumer`.
        what: String,
        /// librdkafka's error.
        #[source]
        source: rdkafka::error::KafkaError,
    },
    /// No metadata for a topic: the brokers cannot be reached or refuse
    /// the credentials (exit 1).
    #[error("cannot read the metadata of {topic} from {servers}: {source} (check bootstrap_servers, the credentials and the network)")]
    Metadata {
        /// The topic asked for.
        topic: String,
        /// `[kafka] bootstrap_servers`.
        servers: String,
        /// librdkafka's error (boxed: keeps `WatchError` small).
        #[source]
        source: Box<rdkafka::error::KafkaError>,
    },
    /// A configured topic does not exist or may not be read: check
    /// `[kafka] topics` and the ACLs (exit 1).
    #[error("topic {0} does not exist or is not readable with these credentials")]
    NoTopic(String),
    /// A partition stopped yielding records before the end of the range:
    /// check the brokers (exit 1).
    #[error(transparent)]
    Stalled(#[from] crate::kafka::merge::Stalled),
    /// A partition list could not be built (a librdkafka error).
    #[error(transparent)]
    Client(rdkafka::error::KafkaError),
    /// Standard output is gone or full.
    #[error("writing the output: {0}")]
    Output(#[from] std::io::Error),
}

impl WatchError {
    /// A [`WatchError::Kafka`] for `what`.
    pub fn kafka(what: impl Into<String>) -> impl FnOnce(rdkafka::error::KafkaError) -> WatchError {
        let what = what.into();
        move |source| WatchError::Kafka { what, source }
    }

    /// Whether the command line is at fault (exit code 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, WatchError::Query(_))
    }
}

/// What a watch saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Events that matched the query and were printed.
    pub shown: u64,
    /// Records the pipeline would dead-letter (always printed).
    pub invalid: u64,
    /// Valid events the query did not match.
    pub skipped: u64,
}

/// Everything `watch` needs besides Kafka and the output.
pub struct Watch {
    pub processor: Processor,
    pub query: Query,
    pub range: Range,
    pub style: Style,
    /// Draw the catching-up bar on stderr (only on a terminal).
    pub progress: bool,
}

impl Watch {
    /// Reads until `--until` is reached on every partition, or until
    /// `shutdown` without it, writing one line per shown record to `out`.
    /// Blocking.
    pub fn run(
        &self,
        kafka: &KafkaConfig,
        shutdown: CancellationToken,
        out: &mut impl Write,
    ) -> Result<Summary, WatchError> {
        let mut reader = RangeReader::open(kafka, &self.range, self.progress)?;
        tracing::info!(
            message = "Watching (no group joined, nothing committed).",
            throwaway_group = %reader.group(),
            partitions = %describe_start(reader.parts())
        );
        let mut summary = Summary::default();
        // Ctrl-C is checked per record too: catching up never waits.
        while !shutdown.is_cancelled() {
            let read = match reader.next(Duration::ZERO)? {
                Fetched::Idle => {
                    out.flush()?;
                    reader.next(Duration::from_millis(200))?
                }
                read => read,
            };
            let msg = match read {
                Fetched::Record(m) => m,
                Fetched::Early => {
                    summary.skipped += 1;
                    continue;
                }
                Fetched::Idle => continue,
                Fetched::End => break,
            };
            let coords = crate::kafka::coords(&msg);
            let raw = msg.payload().unwrap_or_default();
            let text = match self.processor.process(raw, Some(&coords), now_nanos()) {
                Disposition::Forward(e) if self.query.matches(&e.enrichment) => {
                    summary.shown += 1;
                    Some(line::format(&line::Shown::Event(&e), self.style))
                }
                Disposition::Forward(_) | Disposition::Drop { .. } => {
                    summary.skipped += 1;
                    None
                }
                Disposition::DeadLetter(reason) => {
                    summary.invalid += 1;
                    Some(line::format(
                        &line::Shown::Invalid {
                            reason: &reason,
                            kafka: &coords,
                            raw,
                        },
                        self.style,
                    ))
                }
            };
            if let Some(text) = text {
                reader.suspend(|| writeln!(out, "{text}"))?;
            }
        }
        out.flush()?;
        reader.finish();
        tracing::info!(
            message = "Watch finished.",
            shown = summary.shown,
            dead_letter = summary.invalid,
            not_matching = summary.skipped
        );
        Ok(summary)
    }
}

/// Where each partition starts, in words: `topic partition 0 from offset
/// 0 (68 to catch up), …`.
fn describe_start(parts: &[consume::Part]) -> String {
    parts
        .iter()
        .map(|p| {
            let behind = (p.high_at_start - p.start).max(0);
            format!(
                "{} partition {} from offset {} ({behind} to catch up)",
                p.topic, p.partition, p.start
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
