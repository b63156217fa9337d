//! The `siem-bridge` binary: parses the command line, sets up logging,
//! calls the library, and maps errors to exit codes (0 ok, 1 runtime
//! failure, 2 bad usage or configuration).

use std::process::ExitCode;

use clap::Parser;
use siem_bridge::cli::{Cli, Command, LogFormat};
use siem_bridge::config::{self, ConfigError};
use siem_bridge::event::Processor;
use siem_bridge::policy::Policy;
use siem_bridge::sink::elasticsearch::template::{index_template, TemplateOptions};
use siem_bridge::{demo, inspect, pipeline, shutdown, watch};

// mimalloc: the hot path allocates many small strings per event; it is
// measurably faster than the system allocator there (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_filter = match cli.command {
        Command::Demo { .. } => "error",
        _ => "info",
    };
    init_logging(cli.log_format, cli.log.as_deref().unwrap_or(default_filter));
    match run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("siem-bridge: {err:#}");
            if err.downcast_ref::<ConfigError>().is_some()
                || err
                    .downcast_ref::<watch::WatchError>()
                    .is_some_and(watch::WatchError::is_usage)
                || err
                    .downcast_ref::<siem_bridge::cmd_detect::DetectError>()
                    .is_some_and(siem_bridge::cmd_detect::DetectError::is_usage)
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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
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

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run { config } => {
            let config = config::load(config.as_deref(), &config::process_env)?;
            runtime()?.block_on(async {
                let summary = pipeline::run(config, shutdown::on_signal()).await?;
                tracing::info!(
                    message = "Stopped.",
                    unresolved = summary.unresolved,
                    offsets = ?summary.stored
                );
                Ok(ExitCode::SUCCESS)
            })
        }
        Command::Validate {
            config,
            no_network,
            timeout_ms,
        } => Ok(ExitCode::from(runtime()?.block_on(
            siem_bridge::cli::validate(&config, no_network, timeout_ms),
        ))),
        Command::Demo { events, out } => runtime()?.block_on(async {
            let mut stdout = std::io::stdout();
            demo::run(events, &out, &mut stdout).await?;
            Ok(ExitCode::SUCCESS)
        }),
        Command::Inspect {
            config,
            no_filter,
            format,
            file,
        } => {
            let policy = match config {
                Some(path) => config::load_policy(&path)?,
                None => Policy::default(),
            };
            let mut processor = Processor::new(policy);
            processor.filtering = !no_filter;
            let input =
                inspect::open(&file).map_err(|e| anyhow::anyhow!("cannot open {file}: {e}"))?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            inspect::run(&processor, input, &mut out, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Detect { config, files } => {
            let mut detector = siem_bridge::cmd_detect::load_rules(config.as_deref())?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let mut err = std::io::stderr();
            siem_bridge::cmd_detect::run(&mut detector, &files, inspect::open, &mut out, &mut err)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Watch(args) => runtime()?.block_on(async {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            watch::command::run(&args, &config::process_env, shutdown::on_signal(), &mut out)
                .await?;
            Ok(ExitCode::SUCCESS)
        }),
        Command::EsTemplate {
            ecs,
            index_pattern,
            data_stream,
        } => {
            let opts = TemplateOptions {
                ecs,
                index_patterns: index_pattern,
                data_stream,
            };
            std::io::Write::write_all(&mut std::io::stdout(), index_template(&opts).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
