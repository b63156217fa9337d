//! The configuration file: TOML, `${VAR}` interpolation, and validation
//! that reports every problem at once, each with its key and line.

mod document;
pub mod locate;
mod prune;
mod sinks;

use std::path::Path;
use std::sync::Arc;

use crate::detect::{DetectConfig, Detector, Emit};
use crate::kafka::KafkaConfig;
use crate::observe::ObservabilityConfig;
use crate::pipeline::dead_letter::DeadLetterConfig;
use crate::pipeline::{self, PipelineConfig};
use crate::policy::{FilterConfig, Policy, SeverityConfig};
use crate::sink::{Sink, SinkConfig};
use sinks::sinks_from;

pub use document::{expand, ConfigError, Document, Problem, UndefinedVar};

/// Reads only the policy sections (`[filter]`, `[severity]`) of a config
/// file; other sections are not checked here.
pub fn load_policy(path: &Path) -> Result<Policy, ConfigError> {
    let mut doc = Document::read(path)?;
    let policy = policy_from(&mut doc);
    doc.finish_with(policy)
}

/// Builds the policy from a document, recording problems in it.
pub fn policy_from(doc: &mut Document) -> Option<Policy> {
    let filter = doc
        .section::<FilterConfig>("filter")
        .and_then(|f| f.compile().map_err(|p| doc.problems_at(p)).ok());
    let severity = doc
        .section::<SeverityConfig>("severity")
        .and_then(|s| s.compile().map_err(|p| doc.problems_at(p)).ok());
    Some(Policy {
        filter: filter?,
        severity: severity?,
    })
}

/// Reads only `[detect]` of a config file (`siem-bridge detect --config`;
/// other sections are not checked here) and builds its detector; no file,
/// or no section: every rule with its defaults.
pub fn load_detect(path: Option<&Path>, emit: Emit) -> Result<Detector, ConfigError> {
    let mut doc = match path {
        Some(p) => Document::read(p)?,
        None => Document::parse("(no config file)", "")?,
    };
    // Absent, the section is its defaults (every rule on).
    let detector = doc
        .section::<DetectConfig>("detect")
        .and_then(|c| Detector::new(&c, emit).map_err(|p| doc.problems_at(p)).ok());
    doc.finish_with(detector)
}

/// `[detect]`, checked (every problem recorded in `doc`); `Some(None)`
/// when the file has no such section.
pub fn detect_from(doc: &mut Document) -> Option<Option<DetectConfig>> {
    if !doc.table.contains_key("detect") {
        return Some(None);
    }
    let cfg = doc.section::<DetectConfig>("detect")?;
    // Building the rules is the check; a detector's state is not needed.
    match crate::detect::build::build(&cfg) {
        Ok(_) => Some(Some(cfg)),
        Err(problems) => {
            doc.problems_at(problems);
            None
        }
    }
}

/// The whole configuration, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[kafka]`.
    pub kafka: KafkaConfig,
    /// `[pipeline]`.
    pub pipeline: PipelineConfig,
    /// `[dead_letter]`.
    pub dead_letter: DeadLetterConfig,
    /// `[[sinks]]`, in file order.
    pub sinks: Vec<SinkConfig>,
    /// `[filter]` and `[severity]`, compiled.
    pub policy: Policy,
    /// `[observability]`.
    pub observability: ObservabilityConfig,
    /// `[detect]`, when the file has one.
    pub detect: Option<DetectConfig>,
}

impl Config {
    /// What [`pipeline::run`] needs of this configuration (moved out of
    /// it, nothing copied), with `sinks` (built from [`Config::sinks`], or
    /// the caller's own in tests).
    pub fn pipeline_parts(self, sinks: Vec<Arc<dyn Sink>>) -> pipeline::Parts {
        pipeline::Parts {
            kafka: self.kafka,
            settings: self.pipeline,
            dead_letter: self.dead_letter,
            policy: self.policy,
            detect: self.detect.filter(|d| d.enabled).map(|d| {
                let sinks = sinks
                    .iter()
                    .filter(|s| {
                        d.sinks
                            .as_ref()
                            .is_none_or(|n| n.iter().any(|n| n == s.name()))
                    })
                    .cloned()
                    .collect();
                pipeline::DetectParts { config: d, sinks }
            }),
            sinks,
        }
    }
}

/// Top-level sections a config file may have.
pub const SECTIONS: &[&str] = &[
    "kafka",
    "pipeline",
    "dead_letter",
    "sinks",
    "filter",
    "severity",
    "observability",
    "detect",
];

/// Loads and validates a config file (or, with `None`, the zero-config
/// defaults: Kafka from `CONFLUENT_*` variables, a stdout sink).
/// `env` resolves `${VAR}` and the Confluent variables.
pub fn load(
    path: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let mut doc = match path {
        Some(p) => Document::read(p)?,
        None => Document::parse("(no config file)", "")?,
    };
    doc.interpolate(env);
    let keys: Vec<String> = doc.table.keys().cloned().collect();
    for key in keys {
        if !SECTIONS.contains(&key.as_str()) {
            doc.problem(
                key.clone(),
                format!("unknown section, expected one of: {}", SECTIONS.join(", ")),
            );
        }
    }
    let kafka = doc.section::<KafkaConfig>("kafka").map(|mut k| {
        for (key, msg) in k.apply_env(env) {
            doc.problem(format!("kafka.{key}"), msg);
        }
        k
    });
    if let Some(k) = &kafka {
        for (key, msg) in k.check() {
            doc.problem(format!("kafka.{key}"), msg);
        }
    }
    let pipeline = doc.section::<PipelineConfig>("pipeline");
    if let Some(p) = &pipeline {
        let session = kafka
            .as_ref()
            .map_or(KafkaConfig::default().session_timeout_ms, |k| {
                k.session_timeout_ms
            });
        for (key, msg) in p.check(session) {
            doc.problem(format!("pipeline.{key}"), msg);
        }
    }
    let dead_letter = doc.section::<DeadLetterConfig>("dead_letter");
    if let Some(d) = &dead_letter {
        for (key, msg) in d.check() {
            doc.problem(join("dead_letter", &key), msg);
        }
    }
    // Zero-config mode opens no port: there is no file to say where.
    let observability = match path {
        None => Some(ObservabilityConfig::disabled()),
        Some(_) => doc.section::<ObservabilityConfig>("observability"),
    };
    if let Some(o) = &observability {
        for (key, msg) in o.check() {
            doc.problem(format!("observability.{key}"), msg);
        }
    }
    let sinks = sinks_from(&mut doc, path.is_none());
    let policy = policy_from(&mut doc);
    let detect = detect_from(&mut doc);
    if let (Some(sinks), Some(detect)) = (&sinks, &detect) {
        alert_sinks_check(&mut doc, sinks, detect.as_ref());
    }
    let config = (|| {
        Some(Config {
            kafka: kafka?,
            pipeline: pipeline?,
            dead_letter: dead_letter?,
            sinks: sinks?,
            policy: policy?,
            observability: observability?,
            detect: detect?,
        })
    })();
    doc.finish_with(config)
}

fn join(prefix: &str, key: &str) -> String {
    if key.is_empty() {
        prefix.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// `[detect] sinks` names existing sinks; sinks that receive only alerts
/// (`webhook`) need `[detect]` on, and
/// named by `[detect] sinks` when that list is given: otherwise they
/// would never receive anything.
fn alert_sinks_check(doc: &mut Document, sinks: &[SinkConfig], detect: Option<&DetectConfig>) {
    // Every sink `[detect] sinks` names must exist.
    for (i, name) in detect
        .and_then(|d| d.sinks.as_ref())
        .into_iter()
        .flatten()
        .enumerate()
    {
        if !sinks.iter().any(|s| s.name() == name) {
            let known: Vec<&str> = sinks.iter().map(SinkConfig::name).collect();
            doc.problem(
                format!("detect.sinks[{i}]"),
                format!("no sink is named `{name}` (sinks: {})", known.join(", ")),
            );
        }
    }
    for (i, s) in sinks.iter().enumerate() {
        if !matches!(s, SinkConfig::Webhook(_)) {
            continue;
        }
        let key = format!("sinks[{i}].type");
        match detect {
            Some(d) if d.enabled => {
                if let Some(names) = &d.sinks {
                    if !names.iter().any(|n| n == s.name()) {
                        doc.problem(
                            key,
                            format!(
                                "a webhook sink receives only alerts, and `[detect] sinks` does not name `{}`: add it there",
                                s.name()
                            ),
                        );
                    }
                }
            }
            _ => doc.problem(key, "a webhook sink receives only alerts: enable [detect]"),
        }
    }
}

/// The process environment, for [`load`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
