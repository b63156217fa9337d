//! `siem-bridge es-template`: prints the Elasticsearch / OpenSearch index
//! template of the `elasticsearch` sink (install it with
//! `PUT _index_template/<name>`).

use std::io::Write;
use std::process::ExitCode;

use crate::sink::elasticsearch::template::{index_template, TemplateOptions};

/// An `--index-pattern` Elasticsearch would refuse in a template (its
/// `MetadataIndexTemplateService` rules): fix the pattern as said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// Empty.
    #[error("index pattern is empty: give a name such as `confluent-audit-*`")]
    Empty,
    /// Upper-case letters: index names are lower case.
    #[error("index pattern `{0}` has upper-case letters: index names are lower case")]
    UpperCase(String),
    /// A character index names may not contain.
    #[error("index pattern `{0}` contains {1:?}, which index names may not contain (space , \" \\ / ? < > | # :)")]
    Character(String, char),
    /// A leading `_`, `-` or `+`.
    #[error(
        "index pattern `{0}` starts with {1:?}: index names may not start with `_`, `-` or `+`"
    )]
    Start(String, char),
    /// Longer than an index name may be.
    #[error("index pattern `{0}` is longer than 255 bytes")]
    TooLong(String),
}

/// Checks one index pattern as Elasticsearch checks a template's
/// `index_patterns` (a `*` is allowed; so are `.`-prefixed names).
pub fn check_pattern(p: &str) -> Result<(), PatternError> {
    if p.is_empty() {
        return Err(PatternError::Empty);
    }
    if let Some(c) = p.chars().find(|c| {
        matches!(
            c,
            ' ' | ',' | '"' | '\\' | '/' | '?' | '<' | '>' | '|' | '#' | ':'
        )
    }) {
        return Err(PatternError::Character(p.to_owned(), c));
    }
    if p.chars().any(char::is_uppercase) {
        return Err(PatternError::UpperCase(p.to_owned()));
    }
    if let Some(c) = p.chars().next().filter(|c| matches!(c, '_' | '-' | '+')) {
        return Err(PatternError::Start(p.to_owned(), c));
    }
    if p.len() > 255 {
        return Err(PatternError::TooLong(p.to_owned()));
    }
    Ok(())
}

/// Writes the template for these flags to standard output.
pub fn command(
    ecs: bool,
    index_patterns: Vec<String>,
    data_stream: bool,
) -> anyhow::Result<ExitCode> {
    for p in &index_patterns {
        check_pattern(p)?;
    }
    let opts = TemplateOptions {
        ecs,
        index_patterns,
        data_stream,
    };
    std::io::stdout().write_all(index_template(&opts).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests;
