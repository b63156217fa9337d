//! Where the events come from: files (JSON Lines, `.gz`, `.zst`, the file
//! sink's output), standard input, or a time range of the audit topic
//! read as `watch` reads it (no group joined, nothing committed, a
//! progress bar over offsets on a terminal). Each record is validated and
//! enriched once ([`Processor::enrich`]) and handed to a [`Feed`].

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use std::time::Duration;

use rdkafka::Message;
use tokio_util::sync::CancellationToken;

use crate::cmd::watch::{Fetched, Range, RangeReader};
use crate::event::{now_nanos, Enrichment, KafkaCoords};
use crate::kafka::KafkaConfig;
use crate::process::Processor;

use super::InvestigateError;

/// Invalid records reported one by one on standard error; the rest are
/// only counted.
const REPORTED_INVALID: u64 = 10;

/// What receives the records.
pub trait Feed {
    /// A valid event; `raw` is its JSON.
    fn event(&mut self, e: Enrichment, raw: &[u8]);
    /// A record that is not a valid audit event.
    fn invalid(&mut self);
}

/// Opens `path` (`-`: standard input), decompressing `.gz` and `.zst`.
pub fn open(path: &str) -> io::Result<Box<dyn BufRead>> {
    if Path::new(path).extension().is_some_and(|e| e == "zst") {
        let raw: Box<dyn Read> = Box::new(std::fs::File::open(path)?);
        let decoder = zstd::stream::read::Decoder::new(raw)?;
        return Ok(Box::new(BufReader::with_capacity(1 << 16, decoder)));
    }
    crate::cmd::inspect::open(path).map(|r| r as Box<dyn BufRead>)
}

/// Validates and enriches one record and hands it on.
fn feed_one(
    processor: &Processor,
    record: &[u8],
    kafka: Option<&KafkaCoords>,
    feed: &mut impl Feed,
    invalid: &mut u64,
    place: impl FnOnce() -> String,
    err: &mut impl Write,
) {
    match processor.enrich(record, kafka, now_nanos()) {
        Ok((text, e)) => feed.event(e, text.as_bytes()),
        Err(reason) => {
            *invalid += 1;
            if *invalid <= REPORTED_INVALID {
                let _ = writeln!(err, "{}: skipped: {reason}", place());
            } else if *invalid == REPORTED_INVALID + 1 {
                let _ = writeln!(err, "(more invalid records: only counted from here on)");
            }
            feed.invalid();
        }
    }
}

/// Reads every line of `inputs` in order (blank lines skipped).
pub fn read_files(
    inputs: &[String],
    processor: &Processor,
    feed: &mut impl Feed,
    err: &mut impl Write,
) -> Result<(), InvestigateError> {
    let mut buf = Vec::with_capacity(4096);
    let mut invalid = 0;
    for path in inputs {
        let input_err = |source| InvestigateError::Input {
            path: path.clone(),
            source,
        };
        let mut input = open(path).map_err(input_err)?;
        crate::cmd::inspect::each_line(&mut input, &mut buf, input_err, |line, record| {
            feed_one(
                processor,
                record,
                None,
                feed,
                &mut invalid,
                || format!("{path}:{line}"),
                err,
            );
            Ok(())
        })?;
    }
    Ok(())
}

/// Reads the range of every partition of the configured topics with
/// `watch`'s reader (merged by record timestamp); stops early (and says
/// so) on `shutdown`. Blocking.
pub fn read_kafka(
    kafka: &KafkaConfig,
    range: &Range,
    processor: &Processor,
    feed: &mut impl Feed,
    shutdown: &CancellationToken,
    err: &mut impl Write,
) -> Result<(), InvestigateError> {
    let mut reader = RangeReader::open(kafka, range, true)?;
    tracing::info!(
        message = "Reading the range (no group joined, nothing committed).",
        throwaway_group = %reader.group(),
        partitions = ?reader.parts().iter().map(|p| (p.partition, p.start, p.high_at_start)).collect::<Vec<_>>()
    );
    let mut invalid = 0;
    loop {
        if shutdown.is_cancelled() {
            tracing::warn!(message = "Interrupted: the report covers what was read so far.");
            break;
        }
        let msg = match reader.next(Duration::from_millis(200))? {
            Fetched::Record(m) => m,
            Fetched::Early | Fetched::Idle => continue,
            Fetched::End => break,
        };
        let coords = crate::kafka::coords(&msg);
        let raw = msg.payload().unwrap_or_default();
        let place = || format!("{}/{}@{}", coords.topic, coords.partition, coords.offset);
        feed_one(
            processor,
            raw,
            Some(&coords),
            feed,
            &mut invalid,
            place,
            err,
        );
    }
    reader.finish();
    Ok(())
}
