//! `siem-bridge run`: the pipeline of a configuration, with its
//! `/metrics`, `/health` and `/ready` endpoints, until SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::Consumer;
use tokio_util::sync::CancellationToken;

use crate::config::{self, Config};
use crate::observe;
use crate::pipeline::{self, Handle, PipelineError, Summary};
use crate::shutdown;
use crate::sink::{Sink, SinkError};

/// Why `run` could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// `[observability] listen` is taken or not local: change the address
    /// or set `enabled = false`.
    #[error("observability endpoint: {0}")]
    Http(#[from] observe::BindError),
    /// The pipeline could not start (Kafka, dead-letter store).
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// `[kafka] exit_after_unreachable_secs` passed without a broker:
    /// check the network path and `bootstrap_servers`, then restart.
    #[error("gave up after exit_after_unreachable_secs: {0}")]
    KafkaUnreachable(String),
}

/// `siem-bridge run [--config FILE]`: loads the configuration, builds its
/// sinks, [`serve`]s until a signal, logs what was stored.
pub async fn command(config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = config::load(config, &config::process_env)?;
    let shutdown = shutdown::on_signal();
    let sinks = config
        .sinks
        .iter()
        .map(|s| s.build())
        .collect::<Result<Vec<_>, SinkError>>()?;
    let give_up = Duration::from_secs(config.kafka.exit_after_unreachable_secs);
    let gave_up = Arc::new(std::sync::OnceLock::new());
    let watchdog = (shutdown.clone(), gave_up.clone());
    let summary = serve(config, sinks, shutdown, move |handle, _| {
        if let Some(c) = handle.consumer.upgrade().filter(|_| !give_up.is_zero()) {
            let (outage, (shutdown, gave_up)) = (c.context().outage.clone(), watchdog);
            // The watchdog cancels a child token; the reason is stored
            // before the pipeline is stopped, so `run` always sees it (a
            // loaded machine could run the pipeline's whole shutdown
            // between the two otherwise, and exit 0).
            let watch = shutdown.child_token();
            tokio::spawn(async move {
                if let Some(why) = outage.give_up_after(give_up, watch).await {
                    let _ = gave_up.set(why);
                    shutdown.cancel();
                }
            });
        }
    })
    .await?;
    tracing::info!(
        message = "Stopped.",
        unresolved = summary.unresolved,
        offsets = %crate::kafka::describe::offsets(&summary.stored)
    );
    match gave_up.get() {
        Some(why) => Err(RunError::KafkaUnreachable(why.clone()).into()),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Runs the pipeline of `config` with `sinks` (tests bring their own) and
/// serves `/metrics`, `/health` and `/ready` on `[observability] listen`
/// while it runs. The listener is bound before anything else, so a taken
/// port fails the start; `on_start` gets the pipeline's handle and the
/// bound address (`None` when disabled). `config` is taken apart, not
/// copied: `[observability]` here, the rest for the pipeline.
pub async fn serve(
    mut config: Config,
    sinks: Vec<Arc<dyn Sink>>,
    shutdown: CancellationToken,
    on_start: impl FnOnce(Handle, Option<SocketAddr>),
) -> Result<Summary, RunError> {
    let observability = std::mem::take(&mut config.observability);
    let server = observe::Server::bind(&observability).await?;
    let stop_server = shutdown.child_token();
    let probed = sinks.clone();
    let summary = pipeline::run(config.pipeline_parts(sinks), shutdown, |handle| {
        let addr = server.as_ref().map(|s| s.addr());
        if let Some(server) = server {
            tracing::info!(message = "Serving /metrics, /health and /ready.", address = %server.addr());
            server.spawn(
                handle.clone(),
                observability.retention(),
                stop_server.clone(),
            );
            let every = Duration::from_secs(observability.healthcheck_interval_secs);
            if !every.is_zero() {
                observe::spawn_probes(probed, handle.stats.clone(), every, stop_server.clone());
            }
        }
        on_start(handle, addr);
    })
    .await;
    stop_server.cancel();
    Ok(summary?)
}
