//! One integration-test binary (ripgrep's layout): each module is a topic.

mod elasticsearch;
mod fixtures;
mod inspect_cli;
mod support;
