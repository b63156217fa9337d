//! Each sink's own health check, run periodically for `/ready`.
//!
//! Send outcomes only show a broken sink when events flow; an audit topic
//! can be quiet for hours, and an operator wants `/ready` to turn red when
//! the SIEM token is revoked, not at the next login. The probe never gates
//! sending: the pipeline keeps trying whatever it says.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::pipeline::stats::Stats;
use crate::sink::Sink;

/// Longest a single health check may take before it counts as failed.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs every sink's `healthcheck()` now and then every `every`, until
/// `stop`, recording the results in `stats`.
pub fn spawn_probes(
    sinks: Vec<Arc<dyn Sink>>,
    stats: Arc<Stats>,
    every: Duration,
    stop: CancellationToken,
) {
    tokio::spawn(async move {
        loop {
            let checks = sinks.iter().map(|s| async {
                let result = match tokio::time::timeout(PROBE_TIMEOUT, s.healthcheck()).await {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e.to_string()),
                    Err(_) => Some(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
                };
                (s.name().to_owned(), result)
            });
            let results = tokio::select! {
                r = futures::future::join_all(checks) => r,
                _ = stop.cancelled() => return,
            };
            for (name, result) in results {
                stats.set_probe(&name, result);
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.cancelled() => return,
            }
        }
    });
}
