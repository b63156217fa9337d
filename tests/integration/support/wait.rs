//! Waiting for a condition instead of guessing a sleep.

use std::time::Duration;

/// How often the Kafka and pipeline tests look (their conditions ask the
/// broker or read counters).
pub const KAFKA_POLL: Duration = Duration::from_millis(20);

/// How often the sink tests look at a fake server's state (cheap, and some
/// tests act right after the condition holds).
pub const FAKE_POLL: Duration = Duration::from_millis(5);

pub const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Polls `done` every `every` until it holds or `within` has passed, and
/// says whether it held (the caller asserts, with its own message). The
/// condition may be async (`async || …`): it can probe an endpoint, and it
/// can keep the last value it saw for the caller's assertion.
pub async fn wait_until(
    within: Duration,
    every: Duration,
    mut done: impl AsyncFnMut() -> bool,
) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if done().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(every).await;
    }
}
