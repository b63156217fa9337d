//! A TOML document being validated ([`Document`]): its text, the spans
//! that give each problem its line, `${VAR}` interpolation, and the
//! problems found so far ([`Problem`], [`ConfigError`]).

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;

use super::locate::Locator;
use super::prune;

/// One problem in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Key path such as `sinks[1].endpoint`; empty for the whole file.
    pub key: String,
    /// The 1-based line of the key (or of its deepest existing parent).
    pub line: Option<usize>,
    /// What is wrong, and usually what to write instead.
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
    /// The file cannot be read: check the path and permissions.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why reading failed. Not a `#[source]`: the message already
        /// says it, and `main` prints the chain (it would say it twice).
        reason: std::io::Error,
    },
    /// The file was read but has problems: fix each listed key.
    #[error("{path} is invalid:\n{}", list(.problems))]
    Invalid {
        /// The file (or a name such as `(no config file)`).
        path: String,
        /// Every problem found, in the order found.
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
    /// The file name, as problems report it.
    pub path: String,
    /// The parsed TOML (interpolated once [`Document::interpolate`] ran).
    pub table: toml::Table,
    locator: Locator,
    /// The problems found so far.
    pub problems: Vec<Problem>,
}

impl Document {
    /// Reads and parses `path`. A syntax error is returned at once: nothing
    /// else can be checked without a parse.
    pub fn read(path: &Path) -> Result<Document, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|reason| ConfigError::Read {
            path: path.display().to_string(),
            reason,
        })?;
        Document::parse(&path.display().to_string(), &text)
    }

    /// Parses `text`, naming it `path` in problems.
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
            table,
            locator: Locator::new(text),
            problems: Vec::new(),
        })
    }

    /// Records a problem at `key`. A key already reported (say, for its
    /// type) gets no second problem from a check that saw its default.
    pub fn problem(&mut self, key: impl Into<String>, message: impl Into<String>) {
        let key = key.into();
        if !key.is_empty() && self.problems.iter().any(|p| p.key == key) {
            return;
        }
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

    /// Deserialises `value` found at `key`, recording **every** unknown
    /// key and wrong type in it, each at its own key path and line: after
    /// each error the offending key is taken out and the rest is tried
    /// again (with that key's default), so that the semantic checks of
    /// the caller still run on what is left. `None` only when what is left
    /// cannot be read at all (a missing required key, or `value` itself of
    /// the wrong type); with `Some`, problems may have been recorded, and
    /// [`Document::finish_with`] still fails.
    pub fn value<T: DeserializeOwned>(&mut self, key: &str, mut value: toml::Value) -> Option<T> {
        let mut seen = Vec::new();
        loop {
            let e = match serde_path_to_error::deserialize::<_, T>(value.clone()) {
                Ok(t) => return Some(t),
                Err(e) => e,
            };
            let mut path = prune::segments(e.path());
            let message = e.into_inner().to_string();
            let first = message.lines().next().unwrap_or_default().to_owned();
            if let Some(field) = prune::missing_field(&first) {
                // Reported at the key that should be there (its line is
                // the table's); nothing can be read without it.
                path.push(prune::Seg::Key(field.to_owned()));
                self.problem(prune::join(key, &path), first);
                return None;
            }
            if let Some(field) = prune::unknown_field(&first) {
                // Raised while reading the key: make sure the path ends
                // with it.
                let named = prune::Seg::Key(field.to_owned());
                if path.last() != Some(&named) {
                    path.push(named);
                }
            }
            let full = prune::join(key, &path);
            if seen.contains(&full) {
                return None;
            }
            self.problem(full.clone(), first);
            seen.push(full);
            if !prune::remove(&mut value, &path) {
                return None;
            }
        }
    }

    /// Records problems returned as `(key, message)` pairs.
    pub fn problems_at(&mut self, problems: Vec<(String, String)>) {
        for (key, message) in problems {
            self.problem(key, message);
        }
    }

    /// The problems, as an error, if there are any.
    pub fn finish(self) -> Result<(), ConfigError> {
        self.finish_with(Some(()))
    }

    /// `value` when no problem was recorded, else every problem as an
    /// error. Whatever returned `None` while reading recorded a problem,
    /// so `None` comes with at least one.
    pub fn finish_with<T>(self, value: Option<T>) -> Result<T, ConfigError> {
        match value {
            Some(v) if self.problems.is_empty() => Ok(v),
            _ => {
                debug_assert!(
                    !self.problems.is_empty(),
                    "a part is missing without a problem"
                );
                // In file order, as someone fixing them reads the file
                // (stable: problems of one line keep the order found).
                let mut problems = self.problems;
                problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
                Err(ConfigError::Invalid {
                    path: self.path,
                    problems,
                })
            }
        }
    }
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
            Err(undefined) => problems.push((key.to_owned(), undefined.to_string())),
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

/// A `${VAR}` whose variable is not set: set it, or write `$${` for a
/// literal `${`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {0} is not set")]
pub struct UndefinedVar(pub String);

/// Expands `${VAR}`; fails on the first undefined variable.
pub fn expand(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, UndefinedVar> {
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
                    out.push_str(&env(name).ok_or_else(|| UndefinedVar(name.to_owned()))?);
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
