//! Command-line interface: `siem-bridge <command>`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::inspect::Format;

#[derive(Debug, Parser)]
#[command(
    name = "siem-bridge",
    version,
    about = "Confluent audit logs into your SIEM, at least once."
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "SIEM_BRIDGE_LOG_FORMAT"
    )]
    pub log_format: LogFormat,
    /// Log filter (tracing EnvFilter syntax), e.g. `info` or
    /// `siem_bridge=debug`. Default: `info`, and `error` for `demo`.
    #[arg(long, global = true, env = "SIEM_BRIDGE_LOG")]
    pub log: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the pipeline: consume the audit topic, deliver to the sinks,
    /// commit offsets only past resolved records. Stops on SIGINT/SIGTERM.
    Run {
        /// Config file. Without one: Kafka from CONFLUENT_BOOTSTRAP_SERVERS,
        /// CONFLUENT_API_KEY and CONFLUENT_API_SECRET, events to stdout.
        #[arg(long, env = "SIEM_BRIDGE_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Run the real pipeline on an in-process Kafka with a generated
    /// stream (logins, changes, malformed records, an attack), into files.
    Demo {
        /// How many records to generate.
        #[arg(long, default_value_t = 2000)]
        events: usize,
        /// Where the enriched events and dead letters go.
        #[arg(long, default_value = "siem-bridge-demo")]
        out: PathBuf,
    },
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
}
