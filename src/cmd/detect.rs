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

use serde::Deserialize;
use thiserror::Error;

use crate::detect::{Alert, DetectConfig, Detector, Emit};
use crate::event::{enrich, now_nanos, validate, DEFAULT_MAX_RECORD_BYTES};
use crate::policy::SeverityPolicy;

/// What can stop `detect`.
#[derive(Debug, Error)]
pub enum DetectError {
    /// The input could not be opened or read: check the path.
    #[error("cannot read {path}: {source}")]
    Input { path: String, source: io::Error },
    /// The configuration file could not be read or parsed: fix it.
    #[error("{path}: {message}")]
    Config { path: String, message: String },
    /// `[detect]` has problems: each is listed.
    #[error("{path}: [detect] has {} problem(s):\n  {}", problems.len(), problems.join("\n  "))]
    Rules { path: String, problems: Vec<String> },
    /// Standard output went away.
    #[error("cannot write alerts: {0}")]
    Output(#[source] io::Error),
}

impl DetectError {
    /// Usage and configuration errors exit 2.
    pub fn is_usage(&self) -> bool {
        matches!(self, DetectError::Config { .. } | DetectError::Rules { .. })
    }
}

/// `siem-bridge detect [--config FILE] FILE...`: alerts to standard
/// output, skipped lines to standard error.
pub fn command(config: Option<&Path>, files: &[String]) -> Result<ExitCode, DetectError> {
    let mut detector = load_rules(config)?;
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

#[derive(Deserialize)]
struct FileWithDetect {
    #[serde(default)]
    detect: Option<DetectConfig>,
}

/// Reads `[detect]` from a configuration file (other sections ignored);
/// no file: the defaults.
pub fn load_rules(config: Option<&Path>) -> Result<Detector, DetectError> {
    let cfg = match config {
        None => DetectConfig::default(),
        Some(p) => {
            let path = p.display().to_string();
            let text = std::fs::read_to_string(p).map_err(|e| DetectError::Config {
                path: path.clone(),
                message: e.to_string(),
            })?;
            let file: FileWithDetect = toml::from_str(&text).map_err(|e| DetectError::Config {
                path: path.clone(),
                message: e.to_string(),
            })?;
            file.detect.unwrap_or_default()
        }
    };
    Detector::new(&cfg, Emit::OnClose).map_err(|problems| DetectError::Rules {
        path: config.map(|p| p.display().to_string()).unwrap_or_default(),
        problems,
    })
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
    let severity = SeverityPolicy::default();
    let mut alerts = Vec::new();
    let mut buf = Vec::new();
    for path in inputs {
        let input_err = |source| DetectError::Input {
            path: path.clone(),
            source,
        };
        let mut input = open(path).map_err(input_err)?;
        let mut line = 0u64;
        loop {
            buf.clear();
            if input.read_until(b'\n', &mut buf).map_err(input_err)? == 0 {
                break;
            }
            line += 1;
            summary.lines += 1;
            let record = trim(&buf);
            if record.is_empty() {
                continue;
            }
            match validate::parse(record, DEFAULT_MAX_RECORD_BYTES) {
                Ok((_, env)) => {
                    let e = enrich::enrich(&env, None, now_nanos(), |e| severity.classify(e));
                    summary.events += 1;
                    detector.observe(&e, record, &mut alerts);
                }
                Err(reason) => {
                    summary.skipped += 1;
                    let _ = writeln!(err, "{path}:{line}: skipped: {reason}");
                }
            }
            write_alerts(&mut alerts, out, &mut summary)?;
        }
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

fn trim(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let start = b[..end]
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(end);
    &b[start..end]
}
