//! One integration-test binary (ripgrep's layout): each module is a topic.

mod at_least_once;
mod config_file;
mod detect_cli;
mod elasticsearch;
mod enrichment;
mod faults;
mod file_sink;
mod fixtures;
mod inspect_cli;
mod investigate;
mod no_panic;
mod observability;
mod process;
mod self_contained;
mod splunk_hec;
mod support;
mod syslog;
mod validate_cli;
mod watch;
