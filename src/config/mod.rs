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
                        message: e.message().to_owned(),
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
