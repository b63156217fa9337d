//! The `stdout` sink: NDJSON on standard output, flushed per batch.

use std::io::Write;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::{Outcome, SendReport, Sink, SinkError};
use crate::event::Event;

/// `[[sinks]] type = "stdout"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdoutConfig {
    /// The sink's name in logs and metrics (default `stdout`).
    pub name: Option<String>,
}

/// Writes NDJSON to standard output.
pub struct StdoutSink {
    name: String,
}

impl StdoutSink {
    /// Builds the sink; it has nothing that can fail, the `Result` keeps
    /// every sink's constructor the same shape.
    pub fn new(_config: &StdoutConfig, name: String) -> Result<StdoutSink, SinkError> {
        Ok(StdoutSink { name })
    }
}

impl Sink for StdoutSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(&'a self, events: &'a [Arc<Event>]) -> BoxFuture<'a, SendReport> {
        let mut body = Vec::with_capacity(events.iter().map(|e| e.json.len() + 1).sum());
        for e in events {
            body.extend_from_slice(e.json.as_bytes());
            body.push(b'\n');
        }
        let n = events.len();
        Box::pin(async move {
            let result = tokio::task::spawn_blocking(move || {
                let mut out = std::io::stdout().lock();
                out.write_all(&body)?;
                out.flush()
            })
            .await;
            match result {
                Ok(Ok(())) => SendReport::accepted(n),
                // A closed pipe will not reopen: the operator must act.
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    SendReport::all(n, Outcome::Misconfigured(e.to_string()))
                }
                Ok(Err(e)) => SendReport::all(n, Outcome::Retryable(e.to_string())),
                Err(e) => SendReport::all(n, Outcome::Ambiguous(e.to_string())),
            }
        })
    }
}
