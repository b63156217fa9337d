//! `siem-bridge validate`: is this configuration usable, and can it reach
//! what it names?
//!
//! First every problem of the file at once (the loader lists each with
//! its key and line). Then, unless `--no-network`, a Kafka metadata
//! request for each configured topic with the configured credentials, and
//! each sink's own health check. The exit code tells a deployment script
//! which of the two went wrong.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;

use crate::config::{self, Config};
use crate::secret::SecretError;

/// What `validate` concluded, and its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Exit 0: the file is valid (and, with network, everything answered).
    Valid,
    /// Exit 1: the file is valid but Kafka or a sink cannot be reached or
    /// refuses the credentials: check the network path and the secrets.
    Unreachable,
    /// Exit 2: the file has problems: fix the listed keys.
    Invalid,
}

impl Verdict {
    /// The process exit code of this verdict.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::Unreachable => 1,
            Verdict::Invalid => 2,
        }
    }
}

/// `siem-bridge validate`: prints the findings on stdout, returns the exit
/// code (0 valid, 1 unreachable, 2 invalid).
pub async fn command(config: &Path, no_network: bool, timeout_ms: u64) -> ExitCode {
    let mut out = std::io::stdout();
    let code = match run(
        config,
        !no_network,
        Duration::from_millis(timeout_ms),
        &config::process_env,
        &mut out,
    )
    .await
    {
        Ok(v) => v.exit_code(),
        Err(_) => 1,
    };
    ExitCode::from(code)
}

/// Validates `path`, writing one line per finding to `out`. `timeout`
/// bounds each network check.
pub async fn run(
    path: &Path,
    network: bool,
    timeout: Duration,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
) -> std::io::Result<Verdict> {
    let config = match config::load(Some(path), env) {
        Ok(c) => c,
        Err(e) => {
            writeln!(out, "{e}")?;
            return Ok(Verdict::Invalid);
        }
    };
    let names: Vec<&str> = config.sinks.iter().map(|s| s.name()).collect();
    writeln!(
        out,
        "{}: configuration is valid ({} sink{}: {}).",
        path.display(),
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        names.join(", ")
    )?;
    if !network {
        return Ok(Verdict::Valid);
    }
    let mut verdict = Verdict::Valid;
    for line in kafka(&config, timeout).await {
        if line.starts_with("unreachable") {
            verdict = Verdict::Unreachable;
        }
        writeln!(out, "kafka: {line}")?;
    }
    for s in &config.sinks {
        let sink = match s.build() {
            Ok(sink) => sink,
            Err(e) => {
                writeln!(out, "sink `{}`: cannot be built: {e}", s.name())?;
                verdict = Verdict::Invalid;
                continue;
            }
        };
        let line = match tokio::time::timeout(timeout, sink.healthcheck()).await {
            // `validate` is stricter than `/ready` here: a file sink's
            // missing directory would be created at the first write, but
            // it is more often a mistyped path.
            Ok(Ok(())) if missing_dir(s).is_some() => format!(
                "unhealthy: directory {} does not exist (the sink would create it at its first write; check the path)",
                missing_dir(s).unwrap_or_default()
            ),
            Ok(Ok(())) => "healthy".to_owned(),
            Ok(Err(e)) => format!("unhealthy: {e}"),
            Err(_) => format!("unreachable: no answer within {} ms", timeout.as_millis()),
        };
        if line != "healthy" && verdict == Verdict::Valid {
            verdict = Verdict::Unreachable;
        }
        writeln!(out, "sink `{}`: {line}", s.name())?;
        sink.close().await;
    }
    Ok(verdict)
}

/// The directory of a file sink's path, when it does not exist.
fn missing_dir(s: &crate::sink::SinkConfig) -> Option<String> {
    let crate::sink::SinkConfig::File(f) = s else {
        return None;
    };
    let dir = std::path::Path::new(&f.path).parent()?;
    (!dir.as_os_str().is_empty() && !dir.exists()).then(|| dir.display().to_string())
}

/// Why no Kafka client could be made for the metadata requests.
#[derive(Debug, thiserror::Error)]
enum ClientError {
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("cannot create a Kafka client: {0}")]
    Create(#[source] KafkaError),
}

/// One line per topic: its partition count, or why it is unreachable.
async fn kafka(config: &Config, timeout: Duration) -> Vec<String> {
    let kafka = config.kafka.clone();
    let result = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = kafka
            .client_config()?
            .create()
            .map_err(ClientError::Create)?;
        let mut lines = Vec::new();
        for topic in &kafka.topics {
            lines.push(match consumer.fetch_metadata(Some(topic), timeout) {
                Err(e) => format!(
                    "unreachable: metadata for topic `{topic}` from {}: {e}",
                    kafka.bootstrap_servers
                ),
                Ok(md) => match md.topics().iter().find(|t| t.name() == topic) {
                    Some(t) if t.error().is_none() => format!(
                        "topic `{topic}`: {} partition{}",
                        t.partitions().len(),
                        if t.partitions().len() == 1 { "" } else { "s" }
                    ),
                    Some(t) => format!(
                        "unreachable: topic `{topic}`: {}",
                        rdkafka::types::RDKafkaErrorCode::from(t.error().expect("guarded"))
                    ),
                    None => format!("unreachable: topic `{topic}`: not in the metadata"),
                },
            });
        }
        Ok::<_, ClientError>(lines)
    })
    .await;
    match result {
        Ok(Ok(lines)) => lines,
        Ok(Err(e)) => vec![format!("unreachable: {e}")],
        Err(e) => vec![format!("unreachable: metadata request failed: {e}")],
    }
}
