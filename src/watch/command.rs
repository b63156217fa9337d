//! The command line of `watch` → a [`Watch`], with the configuration
//! loaded exactly as `run` loads it.

use std::io::{IsTerminal, Write};

use tokio_util::sync::CancellationToken;

use crate::cli::WatchArgs;
use crate::config;
use crate::event::Processor;

use super::{Query, QueryFlags, Range, Style, Summary, Watch, WatchError};

/// Builds the watch from the flags (no Kafka yet).
pub fn watch_from(args: &WatchArgs, policy: crate::policy::Policy) -> Result<Watch, WatchError> {
    let query = Query::new(&QueryFlags {
        failed_auth: args.failed_auth,
        failed_sensitive: args.failed_sensitive,
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

/// `siem-bridge watch …`: load the config, watch, write to `out`.
pub async fn run(
    args: &WatchArgs,
    env: &dyn Fn(&str) -> Option<String>,
    shutdown: CancellationToken,
    out: &mut impl Write,
) -> anyhow::Result<Summary> {
    let config = config::load(args.config.as_deref(), env)?;
    let watch = watch_from(args, config.policy)?;
    Ok(watch.run(&config.kafka, shutdown, out).await?)
}
