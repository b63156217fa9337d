//! `siem-bridge detect FILE... | -`: the stream's detection rules over
//! JSON Lines files or standard input; alerts as NDJSON on standard output.
//!
//! Each alert is printed once, complete, when its incident is over (its
//! keep-alive ended in event time) or the input ends. Lines that are not
//! valid audit events are reported on standard error with their file and
//! line number and skipped; blank lines are skipped silently.
//!
//! Several inputs are read side by side and merged by event time (the
//! earliest next event of any input goes first), as a consumer reads
//! partitions: files exported one per partition, each in time order, then
//! make no event late. One after the other, every event of the second
//! file would be as late as the first file is long.

use std::io::{self, BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use thiserror::Error;

use crate::config;
use crate::detect::{Alert, Detector, Emit};
use crate::event::{now_nanos, Enrichment, TimeSource};
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
    let mut all = Vec::with_capacity(inputs.len());
    for path in inputs {
        let reader = open(path).map_err(|reason| DetectError::Input {
            path: path.clone(),
            reason,
        })?;
        let mut input = Input {
            path,
            reader,
            line: 0,
            buf: Vec::new(),
            next: None,
        };
        input.advance(&processor, err, &mut summary)?;
        all.push(input);
    }
    // The input whose next event is the earliest (the first such input
    // on a tie): a handful of inputs, so a scan rather than a heap.
    while let Some(k) = (0..all.len())
        .filter_map(|k| Some((all[k].next.as_ref()?.time, k)))
        .min()
        .map(|(_, k)| k)
    {
        let input = &mut all[k];
        let next = input.next.take().expect("chosen for its next event");
        summary.events += 1;
        detector.observe(&next.event, &input.buf[next.record], &mut alerts);
        write_alerts(&mut alerts, out, &mut summary)?;
        input.advance(&processor, err, &mut summary)?;
    }
    detector.finish(&mut alerts);
    write_alerts(&mut alerts, out, &mut summary)?;
    out.flush().map_err(DetectError::Output)?;
    Ok(summary)
}

/// One input, read one valid event ahead.
struct Input<'p> {
    path: &'p str,
    reader: Box<dyn BufRead>,
    /// Lines read so far (the number of the line in `buf`).
    line: u64,
    buf: Vec<u8>,
    next: Option<Next>,
}

/// An input's next valid event, its line in the input's `buf`.
struct Next {
    /// Its place in the merge: its event time, or first of all when it
    /// has none (the rules give it the latest time seen).
    time: i64,
    record: std::ops::Range<usize>,
    event: Enrichment,
}

impl Input<'_> {
    /// Reads up to the next valid event (`next`, `None` at the end),
    /// reporting the lines skipped on the way.
    fn advance(
        &mut self,
        processor: &Processor,
        err: &mut impl Write,
        summary: &mut Summary,
    ) -> Result<(), DetectError> {
        loop {
            self.buf.clear();
            let read = self.reader.read_until(b'\n', &mut self.buf);
            if read.map_err(|reason| DetectError::Input {
                path: self.path.to_owned(),
                reason,
            })? == 0
            {
                self.next = None;
                return Ok(());
            }
            self.line += 1;
            summary.lines += 1;
            let record = super::inspect::record_in(&self.buf, self.line);
            if record.is_empty() {
                continue;
            }
            match processor.enrich(&self.buf[record.clone()], None, now_nanos()) {
                Ok((_, event)) => {
                    let time = match event.time_source {
                        TimeSource::Ingest => i64::MIN,
                        _ => event.time_unix_nanos,
                    };
                    self.next = Some(Next {
                        time,
                        record,
                        event,
                    });
                    return Ok(());
                }
                Err(reason) => {
                    summary.skipped += 1;
                    let _ = writeln!(err, "{}:{}: skipped: {reason}", self.path, self.line);
                }
            }
        }
    }
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
