//! One integration-test binary (ripgrep's layout): each module is a topic.

mod fixtures;
mod inspect_cli;
mod splunk_hec;
mod support;
