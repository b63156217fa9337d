//! The configuration file: TOML, `${VAR}` interpolation, and validation
//! that reports every problem at once, each with its key and line.

pub mod locate;

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::policy::{FilterConfig, Policy, SeverityConfig};
use locate::Locator;

/// One problem in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Key path such as `sinks[1].endpoint`; empty for the whole file.
    pub key: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.key.is_empty(), self.line) {
            (true, Some(l)) => write!(f, "line {l}: {}", self.message),
            (true, None) => write!(f, "{}", self.message),
            (false, Some(l)) => write!(f, "line {l}: `{}`: {}", self.key, self.message),
            (false, None) => write!(f, "`{}`: {}", self.key, self.message),
        }
    }
}

/// Why a configuration cannot be used. `main` exits with code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is invalid:\n{}", list(.problems))]
    Invalid {
        path: String,
        problems: Vec<Problem>,
    },
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A TOML document being validated: its text, its spans and the problems
/// found so far.
pub struct Document {
    pub path: String,
    pub text: String,
    pub table: toml::Table,
    locator: Locator,
    pub problems: Vec<Problem>,
}

impl Document {
    /// Reads and parses `path`. A syntax error is returned at once: nothing
    /// else can be checked without a parse.
    pub fn read(path: &Path) -> Result<Document, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Document::parse(&path.display().to_string(), &text)
    }

    pub fn parse(path: &str, text: &str) -> Result<Document, ConfigError> {
        let table = match text.parse::<toml::Table>() {
            Ok(t) => t,
            Err(e) => {
                let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
                return Err(ConfigError::Invalid {
                    path: path.to_owned(),
                    problems: vec![Problem {
                        key: String::new(),
                        line,
                        // One line per problem: the parser's message
                        // may span several.
                        message: e.message().trim().replace('\n', "; "),
                    }],
                });
            }
        };
        Ok(Document {
            path: path.to_owned(),
            text: text.to_owned(),
            table,
            locator: Locator::new(text),
            problems: Vec::new(),
        })
    }

    /// Records a problem at `key`.
    pub fn problem(&mut self, key: impl Into<String>, message: impl Into<String>) {
        let key = key.into();
        let line = self.locator.line(&key);
        self.problems.push(Problem {
            key,
            line,
            message: message.into(),
        });
    }

    /// Deserialises the top-level `section` (absent → `T::default()`),
    /// recording a problem and returning `None` when it does not fit.
    pub fn section<T: DeserializeOwned + Default>(&mut self, section: &str) -> Option<T> {
        match self.table.get(section).cloned() {
            None => Some(T::default()),
            Some(v) => self.value(section, v),
        }
    }

    /// Deserialises `value` found at `key`.
    pub fn value<T: DeserializeOwned>(&mut self, key: &str, value: toml::Value) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(t) => Some(t),
            Err(e) => {
                let inner = e.path().to_string();
                let full = if inner == "." || inner.is_empty() {
                    key.to_owned()
                } else if inner.starts_with('[') {
                    format!("{key}{inner}")
                } else {
                    format!("{key}.{inner}")
                };
                let message = e.into_inner().to_string();
                let first = message.lines().next().unwrap_or_default().to_owned();
                self.problem(full, first);
                None
            }
        }
    }

    /// Records problems returned as `"<key>: <message>"` strings.
    pub fn problems_at(&mut self, problems: Vec<String>) {
        for p in problems {
            match p.split_once(": ") {
                Some((key, msg)) => self.problem(key, msg),
                None => self.problem("", p),
            }
        }
    }

    /// The problems, as an error, if there are any.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid {
                path: self.path,
                problems: self.problems,
            })
        }
    }
}

/// Reads only the policy sections (`[filter]`, `[severity]`) of a config
/// file; other sections are not checked here.
pub fn load_policy(path: &Path) -> Result<Policy, ConfigError> {
    let mut doc = Document::read(path)?;
    let policy = policy_from(&mut doc);
    doc.finish()?;
    Ok(policy.expect("no problems recorded means the policy was built"))
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

/// The whole configuration, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub kafka: crate::kafka::KafkaConfig,
    pub pipeline: crate::pipeline::PipelineConfig,
    pub dead_letter: crate::pipeline::dead_letter::DeadLetterConfig,
    pub sinks: Vec<crate::sink::SinkConfig>,
    pub policy: Policy,
    pub observability: crate::observe::ObservabilityConfig,
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
    let kafka = doc
        .section::<crate::kafka::KafkaConfig>("kafka")
        .map(|mut k| {
            k.apply_env(env);
            k
        });
    if let Some(k) = &kafka {
        for (key, msg) in k.check() {
            doc.problem(format!("kafka.{key}"), msg);
        }
    }
    let pipeline = doc.section::<crate::pipeline::PipelineConfig>("pipeline");
    if let Some(p) = &pipeline {
        let session = kafka.as_ref().map_or(
            crate::kafka::KafkaConfig::default().session_timeout_ms,
            |k| k.session_timeout_ms,
        );
        for (key, msg) in p.check(session) {
            doc.problem(format!("pipeline.{key}"), msg);
        }
    }
    let dead_letter = doc.section::<crate::pipeline::dead_letter::DeadLetterConfig>("dead_letter");
    if let Some(d) = &dead_letter {
        for (key, msg) in d.check() {
            doc.problem(join("dead_letter", &key), msg);
        }
    }
    // Zero-config mode opens no port: there is no file to say where.
    let observability = match path {
        None => Some(crate::observe::ObservabilityConfig::disabled()),
        Some(_) => doc.section::<crate::observe::ObservabilityConfig>("observability"),
    };
    if let Some(o) = &observability {
        for (key, msg) in o.check() {
            doc.problem(format!("observability.{key}"), msg);
        }
    }
    let sinks = sinks_from(&mut doc, path.is_none());
    let policy = policy_from(&mut doc);
    doc.finish()?;
    Ok(Config {
        kafka: kafka.expect("no problems"),
        pipeline: pipeline.expect("no problems"),
        dead_letter: dead_letter.expect("no problems"),
        sinks: sinks.expect("no problems"),
        policy: policy.expect("no problems"),
        observability: observability.expect("no problems"),
    })
}

fn join(prefix: &str, key: &str) -> String {
    if key.is_empty() {
        prefix.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn sinks_from(doc: &mut Document, zero_config: bool) -> Option<Vec<crate::sink::SinkConfig>> {
    let list = match doc.table.get("sinks").cloned() {
        None if zero_config => {
            return Some(vec![crate::sink::SinkConfig::Stdout(Default::default())])
        }
        None => {
            doc.problem("sinks", "at least one [[sinks]] entry is required");
            return None;
        }
        Some(toml::Value::Array(list)) => list,
        Some(_) => {
            doc.problem("sinks", "must be an array of tables ([[sinks]])");
            return None;
        }
    };
    if list.is_empty() {
        doc.problem("sinks", "at least one [[sinks]] entry is required");
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (i, v) in list.into_iter().enumerate() {
        let key = format!("sinks[{i}]");
        match doc.value::<crate::sink::SinkConfig>(&key, v) {
            Some(s) => {
                for (k, msg) in s.check() {
                    doc.problem(join(&key, &k), msg);
                }
                out.push(s);
            }
            None => ok = false,
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, s) in out.iter().enumerate() {
        if !seen.insert(s.name().to_owned()) {
            doc.problem(
                format!("sinks[{i}].name"),
                format!("duplicate sink name `{}`", s.name()),
            );
        }
    }
    ok.then_some(out)
}

impl Document {
    /// Replaces `${VAR}` in every string value; `$${` stays a literal `${`.
    /// An undefined variable is a problem at its key.
    pub fn interpolate(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        let mut problems = Vec::new();
        for (k, v) in self.table.iter_mut() {
            interpolate_value(k, v, env, &mut problems);
        }
        for (key, msg) in problems {
            self.problem(key, msg);
        }
    }
}

fn interpolate_value(
    key: &str,
    v: &mut toml::Value,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<(String, String)>,
) {
    match v {
        toml::Value::String(s) if s.contains("${") => match expand(s, env) {
            Ok(e) => *s = e,
            Err(var) => problems.push((
                key.to_owned(),
                format!("environment variable {var} is not set"),
            )),
        },
        toml::Value::Array(a) => {
            for (i, item) in a.iter_mut().enumerate() {
                interpolate_value(&format!("{key}[{i}]"), item, env, problems);
            }
        }
        toml::Value::Table(t) => {
            for (k, item) in t.iter_mut() {
                interpolate_value(&format!("{key}.{k}"), item, env, problems);
            }
        }
        _ => {}
    }
}

/// Expands `${VAR}`; returns the name of the first undefined variable.
pub fn expand(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(lit) = after.strip_prefix("${") {
            out.push_str("${");
            rest = lit;
        } else if let Some(body) = after.strip_prefix('{') {
            match body.find('}') {
                Some(end) => {
                    let name = &body[..end];
                    out.push_str(&env(name).ok_or_else(|| name.to_owned())?);
                    rest = &body[end + 1..];
                }
                None => {
                    out.push('$');
                    rest = after;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The process environment, for [`load`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
