//! siem-bridge: Confluent audit-log events from Kafka into SIEMs, at least once.
//!
//! # Layout
//!
//! | module | concept |
//! |---|---|
//! | [`event`] | one record value → dead-letter reason, or an enriched event ([`event::Processor`]) |
//! | [`event::view`] | the tolerant borrowed view of the fields we read |
//! | [`event::validate`] | envelope validity and dead-letter reasons |
//! | [`event::crn`], [`event::principal`], [`event::time`] | CRN-PARSE, rule NP, rule TIME (`docs/audit-log-format.md` §7, §11) |
//! | [`event::enrich`] | computes the `enrichment` contract |
//! | [`event::enrichment`] | the [`event::Enrichment`] type: one text buffer, accessors |
//! | [`event::write`] | the enrichment as JSON, on the hot path |
//! | [`event::render`] | original bytes + `enrichment`, lossless |
//! | [`policy`] | filter rules and the severity table |
//! | [`sink`] | the `Sink` trait, outcome classes, and each sink (`sink::file`, `sink::stdout`, …) |
//! | [`secret`], [`tls`] | secrets that never print; rustls client configuration for sinks |
//! | [`config`] | the TOML file, `${VAR}`, every problem with key and line |
//! | [`kafka`] | `[kafka]` settings, the consumer, rebalance callbacks |
//! | [`pipeline`] | the at-least-once loop; [`pipeline::tracker`] is the one place offsets move |
//! | [`shutdown`] | SIGINT/SIGTERM → one cancellation token |
//! | [`demo`] | `siem-bridge demo`: generated stream → in-process Kafka → the real pipeline |
//! | [`mock`] | librdkafka's mock cluster, for `demo`, tests and the `mock-kafka` helper binary |
//! | [`observe`] | `[observability]`: `/metrics`, `/health`, `/ready` of a running pipeline |
//! | [`validate`] | `siem-bridge validate`: every config problem, then Kafka and sink reachability |
//! | [`inspect`] | `siem-bridge inspect`: why was this dropped, how was it classified |
//! | [`watch`] | `siem-bridge watch`: query the audit topic over a time range or live, committing nothing |

pub mod cli;
pub mod cmd_detect;
pub mod config;
pub mod demo;
pub mod detect;
pub mod event;
pub mod inspect;
pub mod kafka;
pub mod mock;
pub mod observe;
pub mod pipeline;
pub mod policy;
pub mod secret;
pub mod shutdown;
pub mod sink;
pub mod tls;
pub mod validate;
pub mod watch;
