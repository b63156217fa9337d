//! One integration-test binary (ripgrep's layout): each module is a topic.

mod at_least_once;
mod bad_input;
mod cli_errors;
mod config_file;
mod demo_cli;
mod detect_cli;
mod detect_pipeline;
mod elasticsearch;
mod enrichment;
mod faults;
mod file_sink;
mod fixtures;
mod inspect_cli;
mod no_panic;
mod observability;
mod process;
mod secrets;
mod self_contained;
mod setup_script;
mod splunk_hec;
mod support;
mod syslog;
mod unreachable_kafka;
mod validate_cli;
mod watch;
mod webhook;
