//! The command line of `watch` → a [`Watch`], with the configuration
//! loaded exactly as `run` loads it.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;

use crate::cmd::WatchArgs;
use crate::process::Processor;
use crate::{config, shutdown};

use super::{Query, QueryFlags, Range, Style, Summary, Watch, WatchError};

/// Builds the watch from the flags (no Kafka yet).
/// `sensitive_resources` are the globs of `--failed-sensitive`.
pub fn watch_from(
    args: &WatchArgs,
    policy: crate::policy::Policy,
    sensitive_resources: Vec<String>,
) -> Result<Watch, WatchError> {
    let query = Query::new(&QueryFlags {
        failed_auth: args.failed_auth,
        failed_sensitive: args.failed_sensitive,
        sensitive_resources,
        principal: args.principal.clone(),
        ip: args.ip.clone(),
        method: args.method.clone(),
        crn: args.crn.clone(),
        severity: args.severity.map(Into::into),
    })?;
    let now_ms = crate::event::now_nanos() / 1_000_000;
    let range = Range::resolve(
        args.since.as_deref(),
        args.from.as_deref(),
        args.from_beginning,
        args.until.as_deref(),
        now_ms,
    )?;
    // The configured severity table applies; the filter does not: an
    // investigator wants to see what the pipeline would drop too.
    let mut processor = Processor::new(policy);
    processor.filtering = false;
    let style = if args.json {
        Style::Json
    } else {
        Style::Text {
            colour: !args.no_color && std::io::stdout().is_terminal(),
        }
    };
    Ok(Watch {
        processor,
        query,
        range,
        style,
        progress: true,
    })
}

/// `siem-bridge watch …` on standard output until the range ends or a
/// signal arrives.
pub async fn command(args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    run(args, &config::process_env, shutdown::on_signal(), &mut out).await?;
    Ok(ExitCode::SUCCESS)
}

/// `siem-bridge watch …`: load the config, watch, write to `out`.
pub async fn run(
    args: &WatchArgs,
    env: &dyn Fn(&str) -> Option<String>,
    shutdown: CancellationToken,
    out: &mut impl Write,
) -> anyhow::Result<Summary> {
    let config = config::load(args.config.as_deref(), env)?;
    // `--failed-sensitive` means what "sensitive" means for the severity
    // table.
    let sensitive = config.policy.severity.sensitive_resources.clone();
    let watch = watch_from(args, config.policy, sensitive)?;
    // Blocking reads; the signal handler runs on another worker thread.
    Ok(tokio::task::block_in_place(|| {
        watch.run(&config.kafka, shutdown, out)
    })?)
}
