//! `siem-bridge inspect`: runs JSON Lines through validation, enrichment and
//! the filter, and says for every line what would happen to it and why.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::ops::Range;
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::config;
use crate::policy::Policy;

use crate::event::{now_nanos, Disposition, Enrichment};
use crate::process::Processor;

/// `siem-bridge inspect`: the policy of `config` (or the default one),
/// the filter unless `no_filter`, each line of `file` (`-`: stdin) judged
/// on standard output.
pub fn command(
    config: Option<&Path>,
    no_filter: bool,
    format: Format,
    file: &str,
) -> anyhow::Result<ExitCode> {
    let policy = match config {
        Some(path) => config::load_policy(path)?,
        None => Policy::default(),
    };
    let mut processor = Processor::new(policy);
    processor.filtering = !no_filter;
    let input = open(file).map_err(|reason| InspectError::Input {
        path: file.to_owned(),
        reason,
    })?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut reader = Tell {
        inner: input,
        failed: None,
    };
    match run(&processor, &mut reader, &mut out, format) {
        Ok(_) => Ok(ExitCode::SUCCESS),
        Err(_) if reader.failed.is_some() => Err(InspectError::Input {
            path: file.to_owned(),
            reason: reader.failed.take().expect("checked"),
        }
        .into()),
        Err(e) => Err(InspectError::Output(e).into()),
    }
}

/// Why `inspect` stopped (a bad `--config` is a [`config::ConfigError`]).
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The input cannot be opened or read: check the path, and that a
    /// `.gz` file is complete.
    #[error("cannot read {path}: {reason}")]
    Input {
        /// The file as given.
        path: String,
        /// Why (not a `#[source]`: `main` prints the chain, and the
        /// message already says it).
        reason: io::Error,
    },
    /// Standard output went away.
    #[error("cannot write the verdicts: {0}")]
    Output(#[source] io::Error),
}

/// A reader that remembers its own failure, so that a read error and a
/// write error of [`run`] can be told apart (and the read error named
/// with its file).
struct Tell<R> {
    inner: R,
    failed: Option<io::Error>,
}

impl<R: BufRead> Read for Tell<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| keep(&mut self.failed, e))
    }
}

impl<R: BufRead> BufRead for Tell<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        // Disjoint fields: the buffer borrows `inner`, the error `failed`.
        match self.inner.fill_buf() {
            Ok(b) => Ok(b),
            Err(e) => Err(keep(&mut self.failed, e)),
        }
    }
    fn consume(&mut self, n: usize) {
        self.inner.consume(n)
    }
}

/// Keeps `e` in `slot` and returns a copy of it for the caller.
fn keep(slot: &mut Option<io::Error>, e: io::Error) -> io::Error {
    let copy = io::Error::new(e.kind(), e.to_string());
    *slot = Some(e);
    copy
}

/// What is wrong with an input other than its lines.
#[derive(Debug, thiserror::Error)]
pub enum InputProblem {
    /// A directory was given: give a file in it, or `-`.
    #[error("is a directory; give a JSON Lines file (`.gz` too) or `-` for standard input")]
    Directory,
    /// A `.gz` file that does not decompress: it is truncated or not gzip.
    #[error("gzip: {0} (is the file complete, and gzip at all?)")]
    Gzip(io::Error),
}

/// Output format of `inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per input line (the contract outside checks read).
    Json,
    /// Aligned columns for people.
    Table,
}

/// One output line of `inspect --format json`.
#[derive(Debug, Serialize)]
pub struct Verdict<'a> {
    pub line: usize,
    pub disposition: &'static str,
    pub reason: Option<String>,
    pub enrichment: Option<&'a Enrichment>,
}

/// Tallies printed at the end of a table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub forward: usize,
    pub drop: usize,
    pub dead_letter: usize,
}

/// Hands each non-blank line of `input`, trimmed, to `f` with its
/// 1-based number (blank lines are counted, never handed over); a read
/// error goes through `on_err`. Returns how many lines were read. The one
/// JSON Lines loop of `detect` and `investigate`.
pub fn each_line<E>(
    input: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    on_err: impl Fn(io::Error) -> E,
    mut f: impl FnMut(u64, &[u8]) -> Result<(), E>,
) -> Result<u64, E> {
    let mut line = 0u64;
    loop {
        buf.clear();
        if input.read_until(b'\n', buf).map_err(&on_err)? == 0 {
            return Ok(line);
        }
        line += 1;
        let record = &buf[record_in(buf, line)];
        if !record.is_empty() {
            f(line, record)?;
        }
    }
}

/// Where the record of line number `line` (1-based), read into `buf`, is:
/// the line without surrounding whitespace (and, on the first line, a
/// byte order mark, as some Windows tools write UTF-8 files). Empty for a
/// blank line.
pub fn record_in(buf: &[u8], line: u64) -> Range<usize> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let text = |b: &u8| !b.is_ascii_whitespace();
    let mut start = buf.iter().position(text).unwrap_or(buf.len());
    if line == 1 && buf[start..].starts_with(BOM) {
        start += BOM.len();
        start += buf[start..]
            .iter()
            .position(text)
            .unwrap_or(buf.len() - start);
    }
    let end = buf
        .iter()
        .rposition(text)
        .map_or(start, |i| i + 1)
        .max(start);
    start..end
}

/// Opens `path` (`-` for stdin), decompressing `.gz` files. A directory
/// is refused here (reading it would fail later without its name); a
/// `.gz` file's read errors say `gzip` ([`InputProblem`]).
pub fn open(path: &str) -> io::Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = if path == "-" {
        Box::new(io::stdin())
    } else {
        if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                InputProblem::Directory,
            ));
        }
        Box::new(std::fs::File::open(path)?)
    };
    if Path::new(path).extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(BufReader::new(Gunzip(
            flate2::read::MultiGzDecoder::new(raw),
        ))))
    } else {
        Ok(Box::new(BufReader::with_capacity(1 << 16, raw)))
    }
}

/// A gzip decoder whose errors say `gzip`.
struct Gunzip<R>(flate2::read::MultiGzDecoder<R>);

impl<R: Read> Read for Gunzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), InputProblem::Gzip(e)))
    }
}

/// Reads records line by line from `input` and writes one verdict each.
/// Blank lines are skipped (as JSON Lines readers do) but counted, so
/// `line` is always the line number in the input.
pub fn run(
    processor: &Processor,
    mut input: impl BufRead,
    out: &mut impl Write,
    format: Format,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut buf = Vec::new();
    let mut line = 0;
    if format == Format::Table {
        writeln!(
            out,
            "{:>5}  {:<11}  {:<8}  {:<7}  {:<24}  {:<32}  reason / resource",
            "line", "disposition", "severity", "verdict", "principal", "method"
        )?;
    }
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line += 1;
        let record = trim_newline(&buf);
        if record.trim_ascii().is_empty() {
            continue;
        }
        let disposition = processor.process(record, None, now_nanos());
        match &disposition {
            Disposition::Forward(_) => summary.forward += 1,
            Disposition::Drop { .. } => summary.drop += 1,
            Disposition::DeadLetter(_) => summary.dead_letter += 1,
        }
        match format {
            Format::Json => {
                serde_json::to_writer(&mut *out, &verdict(line, &disposition))?;
                out.write_all(b"\n")?;
            }
            Format::Table => write_row(out, line, &disposition)?,
        }
    }
    if format == Format::Table {
        writeln!(
            out,
            "\n{} lines: {} forward, {} drop, {} dead_letter",
            line, summary.forward, summary.drop, summary.dead_letter
        )?;
    }
    out.flush()?;
    Ok(summary)
}

fn trim_newline(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// The JSON verdict for one line.
pub fn verdict(line: usize, d: &Disposition) -> Verdict<'_> {
    let (reason, enrichment) = match d {
        Disposition::Forward(e) => (None, Some(&e.enrichment)),
        Disposition::Drop { rule, enrichment } => (Some(rule.clone()), Some(&**enrichment)),
        Disposition::DeadLetter(r) => (Some(r.to_string()), None),
    };
    Verdict {
        line,
        disposition: d.label(),
        reason,
        enrichment,
    }
}

fn write_row(out: &mut impl Write, line: usize, d: &Disposition) -> io::Result<()> {
    let e = match d {
        Disposition::Forward(ev) => Some(&ev.enrichment),
        Disposition::Drop { enrichment, .. } => Some(&**enrichment),
        Disposition::DeadLetter(_) => None,
    };
    let cut = |s: &str, n: usize| -> String {
        if s.chars().count() > n {
            s.chars().take(n - 1).chain(['…']).collect()
        } else {
            s.to_owned()
        }
    };
    let last = match d {
        Disposition::Forward(_) => e
            .and_then(|e| {
                e.resource_name()
                    .or(e.crn().resource_name)
                    .map(str::to_owned)
            })
            .unwrap_or_default(),
        Disposition::Drop { rule, .. } => format!("rule {rule}"),
        Disposition::DeadLetter(r) => cut(&r.to_string(), 100),
    };
    writeln!(
        out,
        "{:>5}  {:<11}  {:<8}  {:<7}  {:<24}  {:<32}  {}",
        line,
        d.label(),
        e.map_or("-", |e| e.severity.as_str()),
        e.map_or("-".to_owned(), |e| format!("{:?}", e.verdict)
            .to_lowercase()),
        cut(e.and_then(|e| e.principal().normalized).unwrap_or("-"), 24),
        cut(e.and_then(|e| e.method()).unwrap_or("-"), 32),
        last
    )
}
