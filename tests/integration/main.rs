//! One integration-test binary (ripgrep's layout): each module is a topic.

mod enrichment;
mod fixtures;
mod inspect_cli;
mod no_panic;
mod splunk_hec;
mod support;
