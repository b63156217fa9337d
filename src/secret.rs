//! Secrets (tokens, passwords, API keys): taken from the environment or a
//! file, never printed. `Debug` and `Display` show `**REDACTED**`.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A secret string. Read it with [`Secret::expose`] at the one place that
/// sends it, never in logs.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads a secret from a file (trailing newline removed), as mounted by
    /// Kubernetes or systemd credentials.
    pub fn from_file(path: &str) -> std::io::Result<Secret> {
        let text = std::fs::read_to_string(path)?;
        Ok(Secret(text.trim_end_matches(['\n', '\r']).to_owned()))
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("**REDACTED**")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("**REDACTED**")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// Why a secret given as `<key>` / `<key>_file` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Both keys are set: keep one of them.
    #[error("give the secret inline or as a file, not both")]
    Both,
    /// The `<key>_file` cannot be read: check the path and permissions.
    #[error("cannot read secret file {path}: {source}")]
    Read {
        /// The file named by `<key>_file`.
        path: String,
        /// Why reading failed.
        #[source]
        source: std::io::Error,
    },
}

/// A secret given inline (normally as `${ENV_VAR}`) or as `<key>_file`.
pub fn load(inline: Option<&Secret>, file: Option<&str>) -> Result<Option<Secret>, SecretError> {
    match (inline, file) {
        (Some(_), Some(_)) => Err(SecretError::Both),
        (Some(s), None) => Ok(Some(s.clone())),
        (None, Some(path)) => {
            Secret::from_file(path)
                .map(Some)
                .map_err(|source| SecretError::Read {
                    path: path.to_owned(),
                    source,
                })
        }
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests;
