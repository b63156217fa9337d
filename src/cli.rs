//! Command-line interface: `siem-bridge <command>`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::inspect::Format;

#[derive(Debug, Parser)]
#[command(
    name = "siem-bridge",
    version,
    about = "Confluent audit logs into your SIEM, at least once."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show, for each JSON line, whether it would be forwarded, dropped (by
    /// which rule) or dead-lettered (why), with its enrichment.
    Inspect {
        /// Config file whose [filter] and [severity] sections apply.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Forward every valid event (ignore filter rules).
        #[arg(long)]
        no_filter: bool,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        /// JSON Lines file (`.gz` too), or `-` for standard input.
        #[arg(default_value = "-")]
        file: String,
    },
    /// Print the Elasticsearch / OpenSearch index template for the
    /// `elasticsearch` sink (install it with `PUT _index_template/<name>`).
    EsTemplate {
        /// The layout of `ecs = true` (ECS fields, event under `confluent`).
        #[arg(long)]
        ecs: bool,
        /// Index names the template applies to (repeatable).
        #[arg(long, default_value = "confluent-audit-*")]
        index_pattern: Vec<String>,
        /// Make matching names data streams (for `data_stream = "…"`).
        #[arg(long)]
        data_stream: bool,
    },
}
