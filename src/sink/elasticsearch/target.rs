//! Where a document goes: an index named from the event time, or a data
//! stream.
//!
//! The index comes from the **event** time, never the arrival time: a
//! replay a week later lands in the same concrete index, where the same
//! `_id` is refused with a 409. With a write alias or a data stream a
//! replay after a rollover reaches a new backing index and is not
//! deduplicated (`docs/sinks.md` §2.2), which `docs/elasticsearch.md` says.

use crate::event::time::rfc3339_nanos;

/// Why an index pattern or a data stream name is refused (Elasticsearch's
/// index-name rules, `MetadataCreateIndexService`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("unknown `%{0}`: use %Y, %m, %d, %H or %%")]
    UnknownPlaceholder(char),
    #[error("ends with a lone `%`")]
    LonePercent,
    #[error("a data stream name takes no `%` pattern")]
    PatternInDataStream,
    #[error("must not be empty")]
    Empty,
    #[error("longer than 255 bytes")]
    TooLong,
    #[error("`.` and `..` are not index names")]
    Dots,
    #[error("must not start with `-`, `_` or `+`")]
    BadStart,
    #[error("must be lowercase")]
    Uppercase,
    #[error("must not contain `{0}`")]
    BadChar(char),
}

/// One piece of an index pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Year,
    Month,
    Day,
    Hour,
}

/// A parsed `index` such as `confluent-audit-%Y.%m.%d`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexPattern {
    parts: Vec<Part>,
}

impl IndexPattern {
    /// Parses a pattern and checks that every name it can produce is a
    /// valid index name.
    pub fn parse(pattern: &str) -> Result<IndexPattern, NameError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                text.push(c);
                continue;
            }
            let part = match chars.next() {
                Some('%') => {
                    text.push('%');
                    continue;
                }
                Some('Y') => Part::Year,
                Some('m') => Part::Month,
                Some('d') => Part::Day,
                Some('H') => Part::Hour,
                Some(other) => return Err(NameError::UnknownPlaceholder(other)),
                None => return Err(NameError::LonePercent),
            };
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(part);
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        let p = IndexPattern { parts };
        // Any time gives a name of the same shape: checking one checks all.
        check_name(&p.render(0))?;
        Ok(p)
    }

    /// The index name for an event at `unix_nanos` (UTC).
    pub fn render(&self, unix_nanos: i64) -> String {
        let mut out = Vec::with_capacity(32);
        self.write(&rfc3339_nanos(unix_nanos), &mut out);
        String::from_utf8(out).expect("pattern text and ASCII digits")
    }

    /// Appends the index name for the time `t` (RFC 3339, as
    /// [`rfc3339_nanos`] writes it) to `out`.
    pub fn write(&self, t: &[u8; 30], out: &mut Vec<u8>) {
        for p in &self.parts {
            out.extend_from_slice(match p {
                Part::Text(s) => s.as_bytes(),
                Part::Year => &t[0..4],
                Part::Month => &t[5..7],
                Part::Day => &t[8..10],
                Part::Hour => &t[11..13],
            });
        }
    }

    /// The glob an index template needs: the text before the first time
    /// part, `*`, the text after the last (`confluent-audit-*`).
    pub fn glob(&self) -> String {
        let is_time = |p: &Part| !matches!(p, Part::Text(_));
        let text = |parts: &[Part]| -> String {
            parts
                .iter()
                .map(|p| match p {
                    Part::Text(s) => s.as_str(),
                    _ => "",
                })
                .collect()
        };
        match (
            self.parts.iter().position(is_time),
            self.parts.iter().rposition(is_time),
        ) {
            (Some(first), Some(last)) => {
                format!(
                    "{}*{}",
                    text(&self.parts[..first]),
                    text(&self.parts[last + 1..])
                )
            }
            _ => text(&self.parts),
        }
    }
}

/// The write target of the sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Index(IndexPattern),
    /// A data stream; `create` only.
    DataStream(String),
}

impl Target {
    /// A data stream target, if `name` is a valid name.
    pub fn data_stream(name: &str) -> Result<Target, NameError> {
        if name.contains('%') {
            return Err(NameError::PatternInDataStream);
        }
        check_name(name)?;
        Ok(Target::DataStream(name.to_owned()))
    }

    /// The `_index` of an event at the time `t` (RFC 3339, as
    /// [`rfc3339_nanos`] writes it), appended to `out`.
    pub fn write_name(&self, t: &[u8; 30], out: &mut Vec<u8>) {
        match self {
            Target::Index(p) => p.write(t, out),
            Target::DataStream(n) => out.extend_from_slice(n.as_bytes()),
        }
    }
}

/// Elasticsearch's index-name rules (`MetadataCreateIndexService`).
fn check_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > 255 {
        return Err(NameError::TooLong);
    }
    if name == "." || name == ".." {
        return Err(NameError::Dots);
    }
    if name.starts_with(['-', '_', '+']) {
        return Err(NameError::BadStart);
    }
    if name.chars().any(|c| c.is_uppercase()) {
        return Err(NameError::Uppercase);
    }
    if let Some(c) = name.chars().find(|c| {
        matches!(
            c,
            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
        )
    }) {
        return Err(NameError::BadChar(c));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
