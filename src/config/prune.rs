//! Taking one offending key out of a TOML value, so that deserialising
//! the rest can report the next problem ([`super::Document::value`]).

use serde_path_to_error::{Path, Segment};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// The steps of a serde path (enum variants and unknown steps dropped).
pub fn segments(path: &Path) -> Vec<Seg> {
    path.iter()
        .filter_map(|s| match s {
            Segment::Map { key } => Some(Seg::Key(key.clone())),
            Segment::Seq { index } => Some(Seg::Index(*index)),
            _ => None,
        })
        .collect()
}

/// `prefix` followed by `path`, as problems name keys: `sinks[0].fsync`.
pub fn join(prefix: &str, path: &[Seg]) -> String {
    let mut out = prefix.to_owned();
    for s in path {
        match s {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The field named by serde's "unknown field `x`, expected …".
pub fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(&rest[..rest.find('`')?])
}

/// The field named by serde's "missing field `x`".
pub fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    Some(&rest[..rest.find('`')?])
}

/// Removes the deepest table key of `path` from `value` (an error inside
/// an array takes out the whole array: removing one element would shift
/// the indexes of later problems). False when there is nothing to remove.
pub fn remove(value: &mut toml::Value, path: &[Seg]) -> bool {
    let Some(last) = path.iter().rposition(|s| matches!(s, Seg::Key(_))) else {
        return false;
    };
    let mut node = value;
    for s in &path[..last] {
        node = match (s, node) {
            (Seg::Key(k), toml::Value::Table(t)) => match t.get_mut(k) {
                Some(v) => v,
                None => return false,
            },
            (Seg::Index(i), toml::Value::Array(a)) => match a.get_mut(*i) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match (&path[last], node) {
        (Seg::Key(k), toml::Value::Table(t)) => t.remove(k).is_some(),
        _ => false,
    }
}
