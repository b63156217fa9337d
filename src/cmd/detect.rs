//! `siem-bridge detect FILE... | -`: the stream's detection rules over
//! JSON Lines files or standard input; alerts as NDJSON on standard output.
//!
//! Each alert is printed once, complete, when its incident is over (its
//! keep-alive ended in event time) or the input ends. Lines that are not
//! valid audit events are reported on standard error with their file and
//! line number and skipped; blank lines are skipped silently.

use std::io::{self, BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use thiserror::Error;

use crate::config;
use crate::detect::{Alert, Detector, Emit};
use crate::event::now_nanos;
use crate::process::Processor;

/// What can stop `detect` once its rules are loaded (a bad `[detect]` is
/// a [`config::ConfigError`], exit 2).
#[derive(Debug, Error)]
pub enum DetectError {
    /// The input could not be opened or read: check the path.
    #[error("cannot read {path}: {reason}")]
    Input { path: String, reason: io::Error },
    /// Standard output went away.
    #[error("cannot write alerts: {0}")]
    Output(#[source] io::Error),
}

/// `siem-bridge detect [--config FILE] FILE...`: alerts to standard
/// output, skipped lines to standard error.
pub fn command(config: Option<&Path>, files: &[String]) -> anyhow::Result<ExitCode> {
    let mut detector = config::load_detect(config, Emit::OnClose)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    run(
        &mut detector,
        files,
        super::inspect::open,
        &mut out,
        &mut io::stderr(),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// What a run saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub lines: u64,
    pub events: u64,
    pub skipped: u64,
    pub alerts: u64,
}

/// Runs `detector` over `inputs` (paths, `-` for standard input, `.gz`
/// decompressed), alerts to `out`, problems to `err`.
pub fn run(
    detector: &mut Detector,
    inputs: &[String],
    open: impl Fn(&str) -> io::Result<Box<dyn BufRead>>,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<Summary, DetectError> {
    let mut summary = Summary::default();
    let processor = Processor::default();
    let mut alerts = Vec::new();
    let mut buf = Vec::new();
    for path in inputs {
        let input_err = |reason| DetectError::Input {
            path: path.clone(),
            reason,
        };
        let mut input = open(path).map_err(input_err)?;
        let lines = super::inspect::each_line(&mut input, &mut buf, input_err, |line, record| {
            match processor.enrich(record, None, now_nanos()) {
                Ok((_, e)) => {
                    summary.events += 1;
                    detector.observe(&e, record, &mut alerts);
                }
                Err(reason) => {
                    summary.skipped += 1;
                    let _ = writeln!(err, "{path}:{line}: skipped: {reason}");
                }
            }
            write_alerts(&mut alerts, out, &mut summary)
        })?;
        summary.lines += lines;
    }
    detector.finish(&mut alerts);
    write_alerts(&mut alerts, out, &mut summary)?;
    out.flush().map_err(DetectError::Output)?;
    Ok(summary)
}

fn write_alerts(
    alerts: &mut Vec<Alert>,
    out: &mut impl Write,
    summary: &mut Summary,
) -> Result<(), DetectError> {
    for a in alerts.drain(..) {
        summary.alerts += 1;
        writeln!(out, "{}", a.to_json()).map_err(DetectError::Output)?;
    }
    Ok(())
}
