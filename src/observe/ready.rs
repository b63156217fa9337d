//! `/ready`: whether this instance is doing its job right now.
//!
//! Ready means: a Kafka broker is reachable, partitions are assigned (a consumer without partitions
//! moves nothing — normal for a standby in a group larger than the
//! partition count, but not "ready"), every sink's last answer was not
//! `misconfigured` (the pipeline holds offsets and retries), and the
//! dead-letter store accepts writes (without it invalid records block
//! their partition).

use rdkafka::consumer::Consumer;

use crate::pipeline::Handle;

/// Why the instance is not ready; empty when it is.
pub fn reasons(handle: &Handle) -> Vec<String> {
    let mut out = Vec::new();
    let outage = handle
        .consumer
        .upgrade()
        .and_then(|c| c.context().outage.reason());
    if let Some(why) = outage {
        out.push(why);
    }
    if handle.tracker.partitions().is_empty() {
        out.push("no partitions assigned".to_owned());
    }
    for (sink, h) in handle.stats.health() {
        if !h.healthy {
            out.push(format!(
                "sink `{sink}` is unhealthy: {}",
                h.last_error.as_deref().unwrap_or("no detail")
            ));
        }
    }
    for (sink, e) in handle.stats.probes() {
        if let Some(e) = e {
            out.push(format!("sink `{sink}` health check fails: {e}"));
        }
    }
    if let Some(e) = handle.stats.dead_letter_error() {
        out.push(format!("dead-letter store fails: {e}"));
    }
    out
}
