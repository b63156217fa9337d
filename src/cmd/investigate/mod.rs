//! `siem-bridge investigate`: reconstructs an incident — totals, a
//! timeline with the detection rules' alerts on it, attack chains per
//! client, overreaching principals, tops — from files or a time range of
//! the audit topic, as a terminal report, one JSON document or one
//! self-contained HTML file. `docs/investigate.md` is the user's guide and
//! the JSON schema.
//!
//! | file | concept |
//! |---|---|
//! | [`input`] | files (`.gz`, `.zst`), standard input, a Kafka range → validated, enriched events |
//! | [`focus`] | `--principal`, `--ip`, `--resource`, `--client-id`, `--alert` → one matcher |
//! | [`observed`] | what the aggregation reads of one event |
//! | [`aggregate`] | the streaming computation, pure: events in, a [`model::Report`] out |
//! | [`counters`] | bounded top-K, distinct counts, the per-minute timeline |
//! | [`detect_stage`] | the detection rules and their alerts; the batches handed to threads |
//! | [`parallel`] | the rules and the aggregation on two threads beside the reading one |
//! | [`chains`] | attack chains per client, capped |
//! | [`principals`] | overreaching principals, capped |
//! | [`model`] | the report (the `--json` schema) |
//! | [`report_text`], [`report_json`], [`report_html`] (+ [`report_svg`]) | the three outputs |

pub mod aggregate;
pub mod chains;
pub mod counters;
pub mod detect_stage;
pub mod focus;
pub mod input;
pub mod model;
pub mod observed;
pub mod parallel;
pub mod principals;
pub mod report_html;
pub mod report_json;
pub mod report_svg;
pub mod report_text;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;

use self::detect_stage::Rules;
use crate::cmd::reorder::Ordered;
use crate::cmd::watch::{Range, WatchError};
use crate::cmd::InvestigateArgs;
use crate::detect::{Alert, Emit};
use crate::event::{now_nanos, Enrichment};
use crate::process::Processor;
use crate::{config, shutdown};

pub use aggregate::{Investigation, Options};
pub use focus::{AlertFocus, Focus};
pub use input::Feed;
pub use model::Report;
pub use parallel::Parallel;

/// Why `investigate` stopped. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum InvestigateError {
    /// A flag is wrong: fix the command line (exit 2).
    #[error("{0}")]
    Usage(String),
    /// An input file could not be opened or read.
    #[error("cannot read {path}: {source} (check the path; files are JSON Lines, .gz or .zst)")]
    Input { path: String, source: io::Error },
    /// The Kafka range could not be read (see [`WatchError`]).
    #[error(transparent)]
    Kafka(#[from] WatchError),
    /// `--alert ID` names no alert the rules raised over this input.
    #[error("no alert {id} in this input ({raised} alerts raised): list them with `siem-bridge detect` over the same input, or widen the range")]
    AlertNotFound { id: String, raised: u64 },
    /// The HTML report could not be written.
    #[error("cannot write {path}: {source} (check that the directory exists and is writable)")]
    Html { path: PathBuf, source: io::Error },
    /// Standard output went away.
    #[error("cannot write the report: {0}")]
    Output(#[source] io::Error),
}

impl InvestigateError {
    /// Whether the command line is at fault (exit code 2).
    pub fn is_usage(&self) -> bool {
        match self {
            InvestigateError::Usage(_) => true,
            InvestigateError::Kafka(w) => w.is_usage(),
            _ => false,
        }
    }
}

impl Feed for Investigation {
    fn event(&mut self, e: Enrichment, raw: &[u8]) {
        self.observe(&e, raw);
    }

    fn invalid(&mut self) {
        Investigation::invalid(self);
    }
}

/// The first pass of `--alert`: the rules over the whole input, keeping
/// the alert asked for.
struct AlertFinder {
    id: String,
    rules: Ordered<Box<crate::detect::Detector>>,
    pending: Vec<Alert>,
    found: Option<Alert>,
    raised: u64,
}

impl AlertFinder {
    fn take(&mut self) {
        for a in self.pending.drain(..) {
            self.raised += 1;
            if a.id == self.id {
                self.found = Some(a);
            }
        }
    }
}

impl Feed for AlertFinder {
    fn event(&mut self, e: Enrichment, raw: &[u8]) {
        self.rules.observe(e, raw, &mut self.pending);
        self.take();
    }

    fn invalid(&mut self) {}
}

/// Where the events come from.
enum Source {
    Files(Vec<String>),
    Kafka(Box<crate::kafka::KafkaConfig>, Range),
}

/// `siem-bridge investigate …`: the report on standard output (and in
/// the `--html` file).
pub async fn command(args: &InvestigateArgs) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let colour = !args.no_color && !args.json && stdout.is_terminal();
    let mut out = io::BufWriter::new(stdout.lock());
    let report = run(args, &config::process_env, shutdown::on_signal()).await?;
    if let Some(path) = &args.html {
        std::fs::write(path, report_html::render(&report)).map_err(|source| {
            InvestigateError::Html {
                path: path.clone(),
                source,
            }
        })?;
        tracing::info!(message = "HTML report written.", path = %path.display());
    }
    if args.json {
        report_json::write(&report, &mut out).map_err(InvestigateError::Output)?;
    } else {
        report_text::write(&report, colour, &mut out).map_err(InvestigateError::Output)?;
    }
    out.flush().map_err(InvestigateError::Output)?;
    Ok(ExitCode::SUCCESS)
}

/// Loads the configuration, reads the input (twice with `--alert`) and
/// returns the report.
pub async fn run(
    args: &InvestigateArgs,
    env: &dyn Fn(&str) -> Option<String>,
    shutdown: CancellationToken,
) -> anyhow::Result<Report> {
    let mut focus = Focus::new(
        &args.principal,
        &args.ip,
        &args.resource,
        &args.client_id,
        args.alert.as_deref(),
    )?;
    let baseline_secs = args
        .baseline
        .as_deref()
        .map(|b| {
            crate::cmd::watch::range::duration_ms(b)
                .map(|ms| ms / 1000)
                .map_err(|e| InvestigateError::Usage(format!("--baseline: {e}")))
        })
        .transpose()?;
    let ranged = args.since.is_some() || args.from.is_some() || args.from_beginning;
    let (source, policy) = if ranged {
        let cfg = config::load(args.config.as_deref(), env)?;
        let until = args.until.as_deref().unwrap_or("0s");
        let range = Range::resolve(
            args.since.as_deref(),
            args.from.as_deref(),
            args.from_beginning,
            Some(until),
            now_nanos() / 1_000_000,
        )
        .map_err(|e| InvestigateError::Usage(e.to_string()))?;
        (Source::Kafka(Box::new(cfg.kafka), range), cfg.policy)
    } else {
        let files = if args.files.is_empty() {
            vec!["-".to_owned()]
        } else {
            args.files.clone()
        };
        if args.alert.is_some() && files.iter().any(|f| f == "-") {
            return Err(InvestigateError::Usage(
                "--alert reads the input twice (to find the alert, then to investigate it): give files or a range, not standard input".to_owned(),
            )
            .into());
        }
        let policy = match &args.config {
            Some(p) => config::load_policy(p)?,
            None => crate::policy::Policy::default(),
        };
        (Source::Files(files), policy)
    };
    let opts = Options {
        top: args.top.max(1),
        chains: args.chains,
        baseline_secs,
        sensitive: policy.severity.sensitive_resources.clone(),
        ..Options::default()
    };
    // The filter does not apply: an investigator wants what the pipeline
    // would drop too. The severity table does.
    let mut processor = Processor::new(policy);
    processor.filtering = false;
    let detector = || config::load_detect(args.config.as_deref(), Emit::OnClose);
    if let Some(id) = &args.alert {
        let mut finder = AlertFinder {
            id: id.clone(),
            rules: Ordered::new(Box::new(detector()?), opts.reorder_bytes),
            pending: Vec::new(),
            found: None,
            raised: 0,
        };
        read(&source, &processor, &mut finder, &shutdown).await?;
        finder.rules.finish(&mut finder.pending);
        finder.take();
        let alert = finder
            .found
            .ok_or_else(|| InvestigateError::AlertNotFound {
                id: id.clone(),
                raised: finder.raised,
            })?;
        focus.alert = Some(AlertFocus::of(&alert));
    }
    let rules = Rules::new(
        Ordered::new(Box::new(detector()?), opts.reorder_bytes),
        opts.max_alerts,
    );
    let mut both = Parallel::start(Investigation::without_rules(opts, focus), rules);
    read(&source, &processor, &mut both, &shutdown).await?;
    let (mut inv, alerts) = both.finish();
    match &source {
        Source::Files(f) => inv.input.sources = f.clone(),
        Source::Kafka(k, range) => {
            inv.input.sources = vec![format!("kafka:{}", k.topics.join(","))];
            let fmt = |ms: i64| crate::event::time::format_rfc3339_nanos(ms * 1_000_000);
            if let crate::cmd::watch::range::Start::Time(ms) = range.start {
                inv.input.range_from = Some(fmt(ms));
            }
            inv.input.range_until = range.until.map(fmt);
        }
    }
    Ok(inv.report(alerts, now_nanos()))
}

async fn read(
    source: &Source,
    processor: &Processor,
    feed: &mut impl Feed,
    shutdown: &CancellationToken,
) -> Result<(), InvestigateError> {
    let mut err = io::stderr();
    match source {
        Source::Files(files) => input::read_files(files, processor, feed, &mut err),
        // Blocking reads; the signal handler runs on another worker thread.
        Source::Kafka(kafka, range) => tokio::task::block_in_place(|| {
            input::read_kafka(kafka, range, processor, feed, shutdown, &mut err)
        }),
    }
}

#[cfg(test)]
mod tests;
