//! The `siem-bridge` binary: parses the command line, calls the library,
//! and maps errors to exit codes (0 ok, 1 runtime failure, 2 bad usage or
//! configuration).

use std::process::ExitCode;

use clap::Parser;
use siem_bridge::cli::{Cli, Command};
use siem_bridge::config::{self, ConfigError};
use siem_bridge::event::Processor;
use siem_bridge::inspect;
use siem_bridge::policy::Policy;

// mimalloc: the hot path allocates many small strings per event; it is
// measurably faster than the system allocator there (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("siem-bridge: {err:#}");
            if err.downcast_ref::<ConfigError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
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
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
