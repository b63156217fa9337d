//! The `siem-bridge` binary: parses the command line, sets up logging,
//! dispatches to the command ([`siem_bridge::cmd`]), and maps errors to
//! exit codes (0 ok, 1 runtime failure, 2 bad usage or configuration).

use std::process::ExitCode;

use clap::Parser;
use siem_bridge::cmd::{self, Cli, Command, LogFormat};
use siem_bridge::config::ConfigError;

// mimalloc: the hot path allocates many small strings per event; it is
// measurably faster than the system allocator there (BENCHMARKS.md).
// Built without transparent huge pages (`no_thp`): with them every fresh
// 2 MiB of heap was zeroed at once and counted in RSS however little of
// it was used (peak RSS 143-166 → 131-137 MB at 100k events, CPU the same
// or lower; BENCHMARKS.md, "End to end").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_filter = match cli.command {
        Command::Demo { .. } => "error",
        _ => "info",
    };
    init_logging(cli.log_format, cli.log.as_deref().unwrap_or(default_filter));
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("siem-bridge: {err:#}");
            if err.downcast_ref::<ConfigError>().is_some()
                || err
                    .downcast_ref::<cmd::es_template::PatternError>()
                    .is_some()
                || err
                    .downcast_ref::<cmd::watch::WatchError>()
                    .is_some_and(cmd::watch::WatchError::is_usage)
                || err
                    .downcast_ref::<cmd::investigate::InvestigateError>()
                    .is_some_and(cmd::investigate::InvestigateError::is_usage)
            {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn init_logging(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal: a log file or journal
    // would get escape codes (and `NO_COLOR`, when set, always wins).
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run { config } => runtime()?.block_on(cmd::run::command(config.as_deref())),
        Command::Validate {
            config,
            no_network,
            timeout_ms,
        } => Ok(runtime()?.block_on(cmd::validate::command(&config, no_network, timeout_ms))),
        Command::Demo { events, out, serve } => {
            runtime()?.block_on(cmd::demo::command(events, &out, serve))
        }
        Command::Inspect {
            config,
            no_filter,
            format,
            file,
        } => cmd::inspect::command(config.as_deref(), no_filter, format, &file),
        Command::Detect {
            config,
            reorder_mib,
            files,
        } => cmd::detect::command(config.as_deref(), reorder_mib, &files),
        Command::Watch(args) => runtime()?.block_on(cmd::watch::command(&args)),
        Command::Investigate(args) => runtime()?.block_on(cmd::investigate::command(&args)),
        Command::EsTemplate {
            ecs,
            index_pattern,
            data_stream,
        } => cmd::es_template::command(ecs, index_pattern, data_stream),
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
