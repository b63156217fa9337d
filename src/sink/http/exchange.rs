//! One request and its answer, or why there is none, sorted by what that
//! means for delivery. Deciding what an answer means is the sink's
//! `classify`.

use std::error::Error as _;
use std::io::Read as _;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_ENCODING, RETRY_AFTER};

use crate::sink::{HealthError, Outcome};

/// An answer, whatever its status.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// Decompressed when the server gzipped it.
    pub body: Bytes,
    /// `Retry-After`, when the server sent one in seconds.
    pub retry_after: Option<Duration>,
}

/// Why no answer came back. Each variant says what is known about
/// delivery; the text is the whole message (it names the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Nothing reached the server (refused, DNS, connect timeout): resend.
    NotSent(String),
    /// The request may have been processed (reset, timeout after sending,
    /// unreadable answer): resend, duplicates possible.
    Unknown(String),
    /// TLS handshake or certificate verification failed: configuration.
    Tls(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NotSent(m) | Failure::Unknown(m) | Failure::Tls(m) => f.write_str(m),
        }
    }
}

impl Failure {
    /// The outcome for the documents of the request.
    pub(crate) fn outcome(&self) -> Outcome {
        match self {
            Failure::NotSent(m) => Outcome::Retryable(m.clone()),
            Failure::Unknown(m) => Outcome::Ambiguous(m.clone()),
            Failure::Tls(m) => Outcome::Misconfigured(format!("{m}; check `tls.*` and `endpoint`")),
        }
    }

    /// As the failure of a health check, worded `text`.
    pub(crate) fn health(&self, text: String) -> HealthError {
        match self {
            Failure::Tls(_) => HealthError::Misconfigured(text),
            Failure::NotSent(_) | Failure::Unknown(_) => HealthError::Unreachable(text),
        }
    }
}

/// Sends `req` to `peer` (a name for messages, e.g. "Splunk HEC") and
/// reads the whole answer.
pub(crate) async fn exchange(req: reqwest::RequestBuilder, peer: &str) -> Result<Answer, Failure> {
    let resp = req.send().await.map_err(|e| failure(&e, peer))?;
    let status = resp.status().as_u16();
    let retry_after = retry_after(
        resp.headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
    );
    let gzipped = resp
        .headers()
        .get(CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let body = resp.bytes().await.map_err(|e| failure(&e, peer))?;
    let body = if gzipped {
        let mut out = Vec::with_capacity(body.len() * 4);
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .map_err(|e| Failure::Unknown(format!("gzip answer from {peer}: {e}")))?;
        Bytes::from(out)
    } else {
        body
    };
    Ok(Answer {
        status,
        body,
        retry_after,
    })
}

/// `Retry-After` in seconds (the form HEC, Elasticsearch and proxies
/// use; the HTTP-date form is ignored).
pub(crate) fn retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Sorts a reqwest error by what it means for the request.
fn failure(e: &reqwest::Error, peer: &str) -> Failure {
    let text = chain(e);
    if is_tls(e) {
        Failure::Tls(format!("TLS with {peer} failed: {text}"))
    } else if e.is_connect() {
        Failure::NotSent(format!("cannot connect to {peer}: {text}"))
    } else if e.is_timeout() {
        Failure::Unknown(format!("no answer from {peer} in time: {text}"))
    } else {
        Failure::Unknown(format!("request to {peer} broke off: {text}"))
    }
}

/// The error and its causes on one line (reqwest's own text is terse);
/// a cause whose text is already there is left out.
fn chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        source = s.source();
    }
    out
}

/// A rustls error anywhere in the chain. rustls errors arrive wrapped in
/// (nested) `io::Error`s, whose `source()` skips the wrapped error
/// itself: look inside each `io::Error` too.
fn is_tls(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(s) = source {
        let mut inner = Some(s);
        while let Some(err) = inner {
            if err.is::<rustls::Error>() {
                return true;
            }
            inner = err
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .map(|i| i as &(dyn std::error::Error + 'static));
        }
        source = s.source();
    }
    false
}

#[cfg(test)]
mod tests;
