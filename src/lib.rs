//! siem-bridge: Confluent audit-log events from Kafka into SIEMs, at least once.
//!
//! # Layout
//!
//! | module | concept |
//! |---|---|
//! | [`event`] | one record value → dead-letter reason, or an enriched event ([`event::Processor`]) |
//! | [`event::view`] | the tolerant borrowed view of the fields we read |
//! | [`event::validate`] | envelope validity and dead-letter reasons |
//! | [`event::crn`], [`event::principal`], [`event::time`] | CRN-PARSE, rule NP, rule TIME |
//! | [`event::enrich`] | the `enrichment` contract |
//! | [`event::render`] | original bytes + `enrichment`, lossless |
//! | [`policy`] | filter rules and the severity table |
//! | [`sink`] | the `Sink` trait, outcome classes, and each sink (`sink::file`, `sink::stdout`, …) |
//! | [`secret`], [`tls`] | secrets that never print; rustls client configuration for sinks |
//! | [`config`] | the TOML file, `${VAR}`, every problem with key and line |
//! | [`inspect`] | `siem-bridge inspect`: why was this dropped, how was it classified |

pub mod cli;
pub mod config;
pub mod event;
pub mod inspect;
pub mod policy;
pub mod secret;
pub mod sink;
pub mod tls;
