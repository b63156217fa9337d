//! Events → `_bulk` NDJSON: an action line and a source line per event,
//! every line ending in `\n` (the last one too, or the server refuses the
//! whole request). Pure: bytes in, bytes out.

use std::io::Write as _;

use super::config::Action;
use super::target::Target;
use crate::event::escape::first_special;
use crate::event::time::rfc3339_nanos;
use crate::event::write::enrichment_string;
use crate::event::{Event, Verdict};

/// Elasticsearch and OpenSearch (≥ 2.9) refuse longer `_id`s.
pub const MAX_ID_BYTES: usize = 512;

/// Why one event cannot be written as a bulk document. Each one means the
/// event can never be accepted as it is: dead-letter it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("event id is empty: no idempotent `_id` possible")]
    EmptyId,
    #[error("event id is {0} bytes; Elasticsearch `_id` allows at most 512")]
    IdTooLong(usize),
    #[error("event JSON contains a raw line break, which would corrupt the NDJSON body")]
    NotOneLine,
}

/// Builds bulk documents for one sink.
#[derive(Debug, Clone)]
pub struct Encoder {
    /// Where each document goes.
    pub target: Target,
    /// The configured action (data streams always get `create`).
    pub action: Action,
    /// Write ECS fields, the event under `confluent`.
    pub ecs: bool,
}

impl Encoder {
    /// The action actually sent: data streams take only `create`.
    pub fn op(&self) -> Action {
        match self.target {
            Target::DataStream(_) => Action::Create,
            Target::Index(_) => self.action,
        }
    }

    /// Appends the two lines for `event` to `out`. On error `out` is left
    /// as it was.
    pub fn encode(&self, event: &Event, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let id = event.id();
        if id.is_empty() {
            return Err(EncodeError::EmptyId);
        }
        if id.len() > MAX_ID_BYTES {
            return Err(EncodeError::IdTooLong(id.len()));
        }
        if memchr::memchr2(b'\n', b'\r', event.json.as_bytes()).is_some() {
            return Err(EncodeError::NotOneLine);
        }
        let time = rfc3339_nanos(event.enrichment.time.0);
        out.extend_from_slice(b"{\"");
        out.extend_from_slice(self.op().as_str().as_bytes());
        out.extend_from_slice(b"\":{\"_index\":\"");
        let name = out.len();
        self.target.write_name(&time, out);
        if first_special(&out[name..]).is_some() {
            // A control character in the configured name (allowed by
            // Elasticsearch's rules): escape it properly.
            let raw = String::from_utf8(out.split_off(name)).expect("UTF-8 name");
            out.pop();
            crate::event::write::string(&raw, out);
        } else {
            out.push(b'"');
        }
        out.extend_from_slice(b",\"_id\":");
        enrichment_string(&event.enrichment, id, out);
        out.extend_from_slice(b"}}\n");
        if self.ecs {
            ecs_document(event, &time, out);
        } else {
            plain_document(event, &time, out);
        }
        out.push(b'\n');
        Ok(())
    }
}

/// The event as rendered (original + `enrichment`) with `@timestamp` as
/// its first key. CloudEvents attribute names are lowercase letters and
/// digits only, so an audit event never has its own `@timestamp`.
fn plain_document(event: &Event, time: &[u8; 30], out: &mut Vec<u8>) {
    let json = event.json.trim_start();
    let rest = json.strip_prefix('{').unwrap_or(json);
    timestamp(time, out);
    if !rest.trim_start().starts_with('}') {
        out.push(b',');
    }
    out.extend_from_slice(rest.as_bytes());
}

/// ECS fields at the top, the whole event (original + `enrichment`)
/// untouched under `confluent`.
fn ecs_document(event: &Event, time: &[u8; 30], out: &mut Vec<u8>) {
    let e = &event.enrichment;
    timestamp(time, out);
    out.extend_from_slice(b",\"event\":{\"kind\":\"event\",\"id\":");
    enrichment_string(e, e.event_id(), out);
    if let Some(m) = e.method() {
        out.extend_from_slice(b",\"action\":");
        enrichment_string(e, m, out);
    }
    let outcome = match e.verdict {
        Verdict::Allowed | Verdict::Success => "success",
        Verdict::Denied | Verdict::Failure => "failure",
        Verdict::Unknown => "unknown",
    };
    write!(out, ",\"outcome\":\"{outcome}\"}}").expect("write to Vec");
    if let Some(p) = e.principal().normalized {
        out.extend_from_slice(b",\"user\":{\"name\":");
        enrichment_string(e, p, out);
        out.push(b'}');
    }
    if let Some(ip) = e.source_ip() {
        out.extend_from_slice(b",\"source\":{\"ip\":");
        enrichment_string(e, ip, out);
        out.push(b'}');
    }
    out.extend_from_slice(b",\"confluent\":");
    out.extend_from_slice(event.json.trim().as_bytes());
    out.push(b'}');
}

/// `{"@timestamp":"…"`, the start of a document.
fn timestamp(time: &[u8; 30], out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"@timestamp\":\"");
    out.extend_from_slice(time);
    out.push(b'"');
}

/// gzip at level 1: most of the size win for a fraction of the CPU of the
/// default level (Logstash's choice too).
///
/// Each thread (a runtime worker) keeps one compressor and resets it per
/// request: a new one zeroed its window and tables for every request
/// (≈ 440,000 instructions, ≈ 1,300 per event of a 1 MB request), and the
/// output goes straight into the body instead of through the writer's own
/// buffer (BENCHMARKS.md, "2026-12-06 (session 7)").
pub fn gzip(body: &[u8]) -> Vec<u8> {
    thread_local! {
        static DEFLATE: std::cell::RefCell<Option<flate2::Compress>> =
            const { std::cell::RefCell::new(None) };
    }
    DEFLATE.with(|cell| {
        let mut cell = cell.borrow_mut();
        let deflate = match cell.as_mut() {
            Some(d) => {
                d.reset();
                d
            }
            // Window bits 15 (zlib's default); gzip header and trailer.
            None => cell.insert(flate2::Compress::new_gzip(flate2::Compression::fast(), 15)),
        };
        gzip_with(deflate, body)
    })
}

/// One whole gzip member of `body` from a fresh (or just reset) `deflate`.
fn gzip_with(deflate: &mut flate2::Compress, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 4 + 64);
    let start = deflate.total_in();
    loop {
        let read = (deflate.total_in() - start) as usize;
        match deflate.compress_vec(&body[read..], &mut out, flate2::FlushCompress::Finish) {
            Ok(flate2::Status::StreamEnd) => return out,
            // Out of room (or no progress possible without it): grow.
            Ok(_) => out.reserve(out.capacity().max(4096)),
            Err(e) => unreachable!("deflate into a Vec cannot fail: {e}"),
        }
    }
}

#[cfg(test)]
mod tests;
