//! `/ready` follows each sink's own health check, even with no events.

use std::sync::Arc;
use std::time::Duration;

use siem_bridge::mock::MockKafka;
use siem_bridge::sink::{HealthError, Sink};

use super::{get, metrics, Served};
use crate::support::kafka::*;
use crate::support::wait::{secs, wait_until};

/// Accepts everything; its health check fails while `broken` is set.
struct ProbedSink {
    broken: std::sync::atomic::AtomicBool,
}

impl Sink for ProbedSink {
    fn name(&self) -> &str {
        "siem"
    }

    fn send<'a>(
        &'a self,
        events: &'a [Arc<siem_bridge::event::Event>],
    ) -> futures::future::BoxFuture<'a, siem_bridge::sink::SendReport> {
        Box::pin(async move { siem_bridge::sink::SendReport::accepted(events.len()) })
    }

    fn healthcheck(&self) -> futures::future::BoxFuture<'_, Result<(), HealthError>> {
        let broken = self.broken.load(std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move {
            match broken {
                true => Err(HealthError::Unhealthy {
                    status: 503,
                    message: "HTTP 503 from /services/collector/health".to_owned(),
                }),
                false => Ok(()),
            }
        })
    }
}

/// Polls `/ready` every 50 ms until it answers `want` (up to 5 s);
/// returns the last answer.
async fn ready_until(base: &str, want: (u16, &str)) -> (u16, String) {
    let mut last = (0, String::new());
    wait_until(secs(5), Duration::from_millis(50), async || {
        last = get(&format!("{base}/ready")).await;
        (last.0, last.1.as_str()) == want
    })
    .await;
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_health_check_makes_an_idle_pipeline_not_ready() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 1).unwrap();
    let bs = kafka.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(ProbedSink {
        broken: true.into(),
    });
    let mut config = config(&bs, "g-probe", &dir.path().join("dl").display().to_string());
    config.observability.healthcheck_interval_secs = 1;
    let (run, base) = Served::start(config, vec![sink.clone() as Arc<dyn Sink>]).await;
    // No events at all: only the health check can tell.
    let broken =
        "not ready: sink `siem` health check fails: HTTP 503 from /services/collector/health\n";
    assert_eq!(
        ready_until(&base, (503, broken)).await,
        (503, broken.into())
    );
    assert_eq!(
        metrics(&base).await["siem_bridge_sink_healthcheck_ok{sink=\"siem\"}"],
        0.0
    );
    sink.broken
        .store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        ready_until(&base, (200, "ready\n")).await,
        (200, "ready\n".into())
    );
    assert_eq!(
        metrics(&base).await["siem_bridge_sink_healthcheck_ok{sink=\"siem\"}"],
        1.0
    );
    run.stop().await;
}
