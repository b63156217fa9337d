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
//! file would be as late as the first file is long. Then up to
//! `--reorder-mib` of events are held back and given to the rules in
//! event-time order ([`super::reorder`]): one file exported partition after
//! partition makes no event late either. Standard input quiet for
//! [`IDLE`] gives the rules everything held ([`source`]).

mod source;

use std::io::{self, BufRead, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use thiserror::Error;

use self::source::{Got, Source};
use super::reorder::Ordered;
use crate::config;
use crate::detect::{Alert, Detector, Emit};
use crate::event::{now_nanos, Enrichment};
use crate::process::Processor;

/// Standard input quiet this long has caught up with its writer: what is
/// held goes to the rules rather than waiting for more.
pub const IDLE: Duration = Duration::from_secs(2);

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
pub fn command(
    config: Option<&Path>,
    reorder_mib: usize,
    files: &[String],
) -> anyhow::Result<ExitCode> {
    let mut detector = config::load_detect(config, Emit::OnClose)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let reading = Reading {
        open: super::inspect::open,
        reorder_bytes: reorder_mib.saturating_mul(1 << 20),
        idle: IDLE,
    };
    run(&mut detector, files, &reading, &mut out, &mut io::stderr())?;
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

/// How `detect` reads its inputs.
pub struct Reading<F> {
    /// Opens a path (`-` for standard input, `.gz` decompressed).
    pub open: F,
    /// Events held back to be put in event-time order, in bytes.
    pub reorder_bytes: usize,
    /// Standard input quiet this long gives the rules what is held.
    pub idle: Duration,
}

/// Runs `detector` over `inputs`, alerts to `out`, problems to `err`.
pub fn run<F>(
    detector: &mut Detector,
    inputs: &[String],
    reading: &Reading<F>,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<Summary, DetectError>
where
    F: Fn(&str) -> io::Result<Box<dyn BufRead + Send>>,
{
    let mut summary = Summary::default();
    let processor = Processor::default();
    let mut alerts = Vec::new();
    let mut rules = Ordered::new(&mut *detector, reading.reorder_bytes);
    let mut all = Vec::with_capacity(inputs.len());
    for path in inputs {
        let reader = (reading.open)(path).map_err(|reason| DetectError::Input {
            path: path.clone(),
            reason,
        })?;
        let source = match path.as_str() {
            "-" => Source::live(reader, reading.idle),
            _ => Source::File(reader),
        };
        let mut input = Input {
            path,
            source,
            line: 0,
            buf: Vec::new(),
            next: Next::Pending,
        };
        input.advance(&processor, err, &mut summary, false)?;
        all.push(input);
    }
    loop {
        // A quiet live input: what is held goes to the rules and the
        // alerts out of the buffer, then wait.
        if all.iter().any(|i| matches!(i.next, Next::Idle)) {
            rules.release(&mut alerts);
            write_alerts(&mut alerts, out, &mut summary)?;
            out.flush().map_err(DetectError::Output)?;
            for input in all.iter_mut().filter(|i| matches!(i.next, Next::Idle)) {
                input.advance(&processor, err, &mut summary, true)?;
            }
        }
        // The input whose next event is the earliest (the first such
        // input on a tie): a handful of inputs, so a scan, not a heap.
        let Some(k) = (0..all.len())
            .filter_map(|k| Some((all[k].next.time()?, k)))
            .min()
            .map(|(_, k)| k)
        else {
            break;
        };
        let input = &mut all[k];
        let Next::Event { record, event } = std::mem::replace(&mut input.next, Next::Pending)
        else {
            unreachable!("chosen for its next event")
        };
        summary.events += 1;
        rules.observe(event, &input.buf[record], &mut alerts);
        write_alerts(&mut alerts, out, &mut summary)?;
        input.advance(&processor, err, &mut summary, false)?;
    }
    rules.finish(&mut alerts);
    write_alerts(&mut alerts, out, &mut summary)?;
    out.flush().map_err(DetectError::Output)?;
    drop(rules);
    warn_late(detector, reading.reorder_bytes, err);
    Ok(summary)
}

/// Says on standard error when events came later than the allowed
/// lateness even after the read-ahead: the windows they belonged to may
/// have closed without them, so an alert can be missing or list fewer
/// events, and the fix is in how the input is given.
fn warn_late(detector: &Detector, reorder_bytes: usize, err: &mut impl Write) {
    let s = detector.stats();
    if s.late_events == 0 {
        return;
    }
    let _ = writeln!(
        err,
        "siem-bridge detect: warning: {} events came more than the allowed lateness ({} s) \
         behind the latest event time, up to {:.1} s: alerts that needed them may be missing \
         or list fewer events. Give each partition's export as its own file, or raise \
         --reorder-mib (now {} MiB).",
        s.late_events,
        detector.allowed_lateness_ns() / 1_000_000_000,
        s.max_lateness_ns as f64 / 1e9,
        reorder_bytes >> 20,
    );
}

/// One input, read one valid event ahead.
struct Input<'p> {
    path: &'p str,
    source: Source,
    /// Lines read so far (the number of the line in `buf`).
    line: u64,
    buf: Vec<u8>,
    next: Next,
}

/// An input's next valid event, or why there is none. One per input, so
/// the event is not boxed.
#[allow(clippy::large_enum_variant)]
enum Next {
    /// Not read yet.
    Pending,
    Event {
        /// Its line in the input's `buf`.
        record: std::ops::Range<usize>,
        event: Enrichment,
    },
    /// A live input sent nothing for its idle time.
    Idle,
    End,
}

impl Next {
    /// Its place in the merge: its event time, or first of all when it
    /// has none. `None` when there is no event.
    fn time(&self) -> Option<i64> {
        match self {
            Next::Event { event, .. } => Some(event.event_time().unwrap_or(i64::MIN)),
            _ => None,
        }
    }
}

impl Input<'_> {
    /// Reads up to the next valid event, reporting the lines skipped on
    /// the way. With `wait`, a quiet live input is waited for.
    fn advance(
        &mut self,
        processor: &Processor,
        err: &mut impl Write,
        summary: &mut Summary,
        wait: bool,
    ) -> Result<(), DetectError> {
        loop {
            let got = self.source.next_line(&mut self.buf, wait);
            match got.map_err(|reason| DetectError::Input {
                path: self.path.to_owned(),
                reason,
            })? {
                Got::End => {
                    self.next = Next::End;
                    return Ok(());
                }
                Got::Idle => {
                    self.next = Next::Idle;
                    return Ok(());
                }
                Got::Line => {}
            }
            self.line += 1;
            summary.lines += 1;
            let record = super::inspect::record_in(&self.buf, self.line);
            if record.is_empty() {
                continue;
            }
            match processor.enrich(&self.buf[record.clone()], None, now_nanos()) {
                Ok((_, event)) => {
                    self.next = Next::Event { record, event };
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
