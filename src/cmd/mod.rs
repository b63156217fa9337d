//! The commands: the command line (`siem-bridge <command>`) and one module
//! per subcommand. This layer sits on top of the core (`event`, `policy`,
//! `sink`, `kafka`, `pipeline`, `observe`, `config`, …) and the core never
//! imports it.
//!
//! | module | command |
//! |---|---|
//! | [`run`] | `run`: the pipeline with its observability endpoints, until a signal |
//! | [`validate`] | `validate`: every config problem, then Kafka and sink reachability |
//! | [`inspect`] | `inspect`: why was this dropped, how was it classified |
//! | [`watch`] | `watch`: query the audit topic over a time range or live, committing nothing |
//! | [`demo`] | `demo`: generated stream → in-process Kafka → the real pipeline |
//! | [`detect`] | `detect`: the detection rules over files or standard input, alerts as NDJSON |
//! | [`investigate`] | `investigate`: an incident's timeline, attack chains and overreaching principals, as text, JSON or one HTML file |
//! | [`es_template`] | `es-template`: the Elasticsearch / OpenSearch index template |
//! | [`reorder`] | (shared by `detect` and `investigate`) the read-ahead that gives the rules a backlog in event-time order |
//!
//! Each command module has a `command` function that `main` calls with
//! the parsed flags; it returns the process exit code or an error that
//! `main` maps to one.

pub mod demo;
pub mod detect;
pub mod es_template;
pub mod inspect;
pub mod investigate;
pub mod reorder;
pub mod run;
pub mod validate;
pub mod watch;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use inspect::Format;

/// `siem-bridge [--log-format …] [--log …] <command>`.
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

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The subcommands.
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
    /// Check a config file: every problem at once (with key and line),
    /// then, unless --no-network, Kafka metadata for the topics with the
    /// configured credentials and each sink's health check. Exit 0 valid,
    /// 1 unreachable, 2 invalid.
    Validate {
        #[arg(long, env = "SIEM_BRIDGE_CONFIG")]
        config: PathBuf,
        /// Only check the file.
        #[arg(long)]
        no_network: bool,
        /// Time allowed for each network check.
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
    },
    /// Run the real pipeline on an in-process Kafka with a generated
    /// stream (logins, changes, malformed records, an attack), into files.
    Demo {
        /// How many records to generate: at least 100 (the attack
        /// storyline is the last 60; fewer are raised to 100).
        #[arg(long, default_value_t = 2000)]
        events: usize,
        /// Where the enriched events and dead letters go.
        #[arg(long, default_value = "siem-bridge-demo")]
        out: PathBuf,
        /// After the summary, keep the in-process Kafka (its bootstrap
        /// address is printed) and /metrics, /health, /ready (on
        /// 127.0.0.1:9464, or a free port) up until Ctrl-C, to try
        /// `watch` and the endpoints against.
        #[arg(long)]
        serve: bool,
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
    /// Run the detection rules over JSON Lines files (or standard input)
    /// and print alerts as NDJSON, one per line.
    Detect {
        /// Config file whose [detect] section sets the rules.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Events held back (MiB) and given to the rules in event-time
        /// order, so that a file exported partition after partition makes
        /// no event late; 0 reads in file order.
        #[arg(long, default_value_t = reorder::REORDER_MIB, value_name = "MIB")]
        reorder_mib: usize,
        /// JSON Lines files (`.gz` too), or `-` for standard input.
        #[arg(default_value = "-")]
        files: Vec<String>,
    },
    /// Investigate: show audit events matching a query, one line each,
    /// from a time range or live. Same config and environment as `run`;
    /// joins no consumer group and commits nothing.
    Watch(WatchArgs),
    /// Reconstruct an incident from files or a time range of the audit
    /// topic: totals, timeline with the detection rules' alerts, attack
    /// chains per client, overreaching principals, tops. A terminal report,
    /// `--json`, or one self-contained HTML file (`--html`).
    Investigate(InvestigateArgs),
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

/// `siem-bridge watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// Config file (its [kafka] and [severity] sections). Without one:
    /// Kafka from CONFLUENT_BOOTSTRAP_SERVERS, CONFLUENT_API_KEY and
    /// CONFLUENT_API_SECRET.
    #[arg(long, env = "SIEM_BRIDGE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Start this long ago: 90s, 15m, 2h, 1h30m, 7d.
    #[arg(long, group = "start")]
    pub since: Option<String>,
    /// Start at this time (RFC 3339, e.g. 2025-03-04T09:00:00Z).
    #[arg(long, group = "start")]
    pub from: Option<String>,
    /// Start at the oldest retained record.
    #[arg(long, group = "start")]
    pub from_beginning: bool,
    /// Stop at this time (RFC 3339, or a duration meaning that long ago),
    /// or at the end of what existed when watch started. Without it,
    /// follow live until Ctrl-C.
    #[arg(long, requires = "start")]
    pub until: Option<String>,
    /// Only failed authentications and denied authorizations.
    #[arg(long)]
    pub failed_auth: bool,
    /// The classic case: failed attempts on sensitive resources
    /// (`[severity] sensitive_resources`, default `sensitive-*`).
    #[arg(long)]
    pub failed_sensitive: bool,
    /// Normalised principal glob, e.g. `User:sa-*` (repeatable).
    #[arg(long)]
    pub principal: Vec<String>,
    /// Source IP: an address, a CIDR block or a glob (repeatable).
    #[arg(long)]
    pub ip: Vec<String>,
    /// `methodName` glob, e.g. `kafka.Delete*` (repeatable).
    #[arg(long)]
    pub method: Vec<String>,
    /// CRN component `KEY=GLOB`, e.g. `topic=sensitive-*` (repeatable).
    #[arg(long)]
    pub crn: Vec<String>,
    /// This severity and above.
    #[arg(long, value_enum)]
    pub severity: Option<SeverityArg>,
    /// NDJSON: the enriched event per line, or a `dead_letter` record.
    #[arg(long)]
    pub json: bool,
    /// Never colour the text lines (colour is used only on a terminal).
    #[arg(long, env = "NO_COLOR", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_color: bool,
}

/// `siem-bridge investigate`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct InvestigateArgs {
    /// Config file: its [kafka] section (range input), [severity]
    /// (sensitive resources) and [detect] (the rules). Without one: Kafka
    /// from CONFLUENT_BOOTSTRAP_SERVERS, CONFLUENT_API_KEY and
    /// CONFLUENT_API_SECRET, and every rule with its defaults.
    #[arg(long, env = "SIEM_BRIDGE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Read the audit topic from this long ago: 90s, 15m, 2h, 7d.
    #[arg(long, group = "start", conflicts_with = "files")]
    pub since: Option<String>,
    /// Read the audit topic from this time (RFC 3339).
    #[arg(long, group = "start", conflicts_with = "files")]
    pub from: Option<String>,
    /// Read the audit topic from its oldest retained record.
    #[arg(long, group = "start", conflicts_with = "files")]
    pub from_beginning: bool,
    /// End of the range (RFC 3339, or a duration meaning that long ago);
    /// default: what existed when investigate started.
    #[arg(long, requires = "start")]
    pub until: Option<String>,
    /// Focus: normalised principal glob, e.g. `User:svc-*` (repeatable).
    #[arg(long)]
    pub principal: Vec<String>,
    /// Focus: source IP, CIDR block or glob (repeatable).
    #[arg(long)]
    pub ip: Vec<String>,
    /// Focus: resource glob, on its name or CRN, e.g. `sensitive-*`
    /// (repeatable).
    #[arg(long)]
    pub resource: Vec<String>,
    /// Focus: Kafka client id glob (repeatable).
    #[arg(long)]
    pub client_id: Vec<String>,
    /// Focus: start from an alert the detection rules raise over the same
    /// input (its id, `sb-…`): its principal, addresses and events.
    #[arg(long)]
    pub alert: Option<String>,
    /// One JSON document on standard output instead of the text report.
    #[arg(long)]
    pub json: bool,
    /// Also write the report as one self-contained HTML file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Rows of each top table and of the principals table.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Attack chains in the report.
    #[arg(long, default_value_t = 10)]
    pub chains: usize,
    /// How long a principal's usual set is learnt from the first event
    /// (e.g. 1h); default: the first quarter of the events' span.
    #[arg(long)]
    pub baseline: Option<String>,
    /// Never colour the terminal report (colour is used only on a terminal).
    #[arg(long, env = "NO_COLOR", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_color: bool,
    /// JSON Lines files (`.gz`, `.zst` too), or `-` for standard input.
    pub files: Vec<String>,
}

/// `--severity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for crate::event::Severity {
    fn from(s: SeverityArg) -> Self {
        use crate::event::Severity;
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}
