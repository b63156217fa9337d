//! siem-bridge: Confluent audit-log events from Kafka into SIEMs, at least once.
//!
//! # Layout
//!
//! Two layers. The core moves and shapes events; the commands
//! ([`cmd`]) put it to work for one `siem-bridge <command>` each. Imports
//! go only downward: the core never imports `cmd`, and within the core a
//! module imports only those listed below it (`scripts/modcycles.py`
//! finds cycles).
//!
//! **Commands** ([`cmd`]; `main.rs` parses, logs, dispatches, maps exit codes)
//!
//! | module | command |
//! |---|---|
//! | [`cmd`] | the command line: `Cli`, `Command`, the flags |
//! | [`cmd::run`] | `run`: the pipeline with its observability endpoints, until a signal |
//! | [`cmd::validate`] | `validate`: every config problem, then Kafka and sink reachability |
//! | [`cmd::inspect`] | `inspect`: why was this dropped, how was it classified |
//! | [`cmd::watch`] | `watch`: query the audit topic over a time range or live, committing nothing |
//! | [`cmd::demo`] | `demo`: generated stream → in-process Kafka → the real pipeline |
//! | [`cmd::detect`] | `detect`: the detection rules over files or standard input, alerts as NDJSON |
//! | [`cmd::investigate`] | `investigate`: an incident from files or a range — timeline, attack chains, overreaching principals — as text, JSON or one HTML file |
//! | [`cmd::es_template`] | `es-template`: the Elasticsearch / OpenSearch index template |
//!
//! **Core**, from the top down
//!
//! | module | concept |
//! |---|---|
//! | [`config`] | the TOML file, `${VAR}`, every problem with key and line → a typed [`config::Config`] |
//! | [`observe`] | `[observability]`: `/metrics`, `/health`, `/ready`, read from a running pipeline's [`pipeline::Handle`] |
//! | [`pipeline`] | the at-least-once loop ([`pipeline::run`]); [`pipeline::tracker`] is the one place offsets move |
//! | [`kafka`] | `[kafka]` settings, the consumer, rebalance callbacks ([`kafka::RebalanceHook`]), outages ([`kafka::Outage`]: repeated errors summarised, the reason `/ready` gives) |
//! | [`mock`] | librdkafka's mock cluster, for `demo`, tests and the `mock-kafka` helper binary |
//! | [`sink`] | the `Sink` trait, outcome classes, and each sink (`sink::file`, `sink::stdout`, …) |
//! | [`detect`] | detection rules over enriched events → alerts (`docs/detect.md`) |
//! | [`process`] | one record value → forward, drop or dead-letter ([`process::Processor`]) |
//! | [`policy`] | filter rules and the severity table, over the enrichment |
//! | [`event`] | one record value → dead-letter reason, or an enriched, rendered event |
//! | [`event::view`] | the tolerant borrowed view of the fields we read |
//! | [`event::scan`] | the one-pass fast path that builds that view without serde (serde is the fallback) |
//! | [`event::escape`] | where JSON strings need escaping, for the scanner and the writer |
//! | [`event::validate`] | envelope validity and dead-letter reasons |
//! | [`event::crn`], [`event::principal`], [`event::time`] | CRN-PARSE, rule NP, rule TIME (`docs/audit-log-format.md` §7, §11) |
//! | [`event::enrich`] | computes the `enrichment` contract |
//! | [`event::enrichment`], [`event::values`] | the [`event::Enrichment`] type: one text buffer, accessors; its small value types |
//! | [`event::write`] | the enrichment as JSON, on the hot path |
//! | [`event::render`] | original bytes + `enrichment`, lossless |
//! | [`secret`], [`tls`], [`shutdown`] | secrets that never print; rustls client configuration for sinks; SIGINT/SIGTERM → one cancellation token |
//! | [`hash`] | the unkeyed word-at-a-time map hasher (the investigation report's maps); keyed maps use `detect::hash` |
//! | [`xorshift`] | the deterministic generator of the demo's stream and the property tests |

pub mod cmd;
pub mod config;
pub mod detect;
pub mod event;
pub mod hash;
pub mod kafka;
pub mod mock;
pub mod observe;
pub mod pipeline;
pub mod policy;
pub mod process;
pub mod secret;
pub mod shutdown;
pub mod sink;
pub mod tls;
pub mod xorshift;
