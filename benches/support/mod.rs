//! Helpers shared by the benches (each bench is its own crate and declares
//! `mod support;`).

use siem_bridge::secret::Secret;

/// `LIBRDKAFKA=key=value,…` from the environment: extra consumer settings
/// for A/B runs (e.g. `fetch.queue.backoff.ms=1000`, librdkafka's default).
pub fn librdkafka_options<C: FromIterator<(String, Secret)>>() -> C {
    std::env::var("LIBRDKAFKA")
        .unwrap_or_default()
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), Secret::new(v)))
        .collect()
}
