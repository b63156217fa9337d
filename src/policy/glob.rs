//! Globs (`*`, `?`) compiled to the cheapest matcher that gives the same
//! answer as [`WildMatch`].
//!
//! The severity table runs for every event, and almost all of its patterns
//! are an exact name, `prefix*`, `*suffix`, `*part*` or `prefix*suffix`: a string compare
//! or one substring search instead of the general glob loop. Anything else
//! (a `?`, a `*` in the middle, case-insensitive patterns) keeps
//! [`WildMatch`].

use wildmatch::WildMatch;

/// A compiled glob.
#[derive(Debug, Clone)]
pub struct Glob(Kind);

#[derive(Debug, Clone)]
enum Kind {
    Any,
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    /// `prefix*suffix` (one `*` inside): `kafka.*Acls`.
    Around(String, String),
    /// Any other pattern of literals and `*`s: `*Role*ForPrincipal`. The
    /// head and tail are anchored (either may be empty); the middle parts
    /// are found left to right in what lies between, which is exact for
    /// globs without `?`.
    Parts {
        head: String,
        middle: Vec<String>,
        tail: String,
    },
    General(WildMatch),
}

impl Glob {
    /// A case-sensitive glob.
    pub fn new(pattern: &str) -> Glob {
        if pattern.contains('?') {
            return Glob(Kind::General(WildMatch::new(pattern)));
        }
        let lead = pattern.starts_with('*');
        let inner = pattern.trim_matches('*');
        let trail = pattern.ends_with('*');
        let kind = if inner.contains('*') {
            match pattern.split_once('*') {
                Some((head, tail)) if !lead && !trail && !tail.contains('*') => {
                    Kind::Around(head.to_owned(), tail.to_owned())
                }
                _ => {
                    let mut parts: Vec<String> = pattern.split('*').map(str::to_owned).collect();
                    // At least two `*`: split gives at least three parts.
                    let tail = parts.pop().unwrap_or_default();
                    let head = parts.remove(0);
                    parts.retain(|p| !p.is_empty());
                    Kind::Parts {
                        head,
                        middle: parts,
                        tail,
                    }
                }
            }
        } else if inner.is_empty() && lead {
            Kind::Any
        } else {
            let part = inner.to_owned();
            match (lead, trail) {
                (false, false) => Kind::Exact(part),
                (false, true) => Kind::Prefix(part),
                (true, false) => Kind::Suffix(part),
                (true, true) => Kind::Contains(part),
            }
        };
        Glob(kind)
    }

    /// A glob that ignores case (as [`WildMatch::new_case_insensitive`]).
    pub fn new_case_insensitive(pattern: &str) -> Glob {
        Glob(Kind::General(WildMatch::new_case_insensitive(pattern)))
    }

    pub fn matches(&self, v: &str) -> bool {
        match &self.0 {
            Kind::Any => true,
            Kind::Exact(p) => v == p,
            Kind::Prefix(p) => v.starts_with(p.as_str()),
            Kind::Suffix(p) => v.ends_with(p.as_str()),
            // Method names are short: a plain window compare beats setting
            // up a substring searcher for each call.
            Kind::Contains(p) => {
                p.is_empty() || v.as_bytes().windows(p.len()).any(|w| w == p.as_bytes())
            }
            Kind::Around(head, tail) => {
                v.len() >= head.len() + tail.len()
                    && v.starts_with(head.as_str())
                    && v.ends_with(tail.as_str())
            }
            Kind::Parts { head, middle, tail } => {
                if v.len() < head.len() + tail.len()
                    || !v.starts_with(head.as_str())
                    || !v.ends_with(tail.as_str())
                {
                    return false;
                }
                let mut rest = &v[head.len()..v.len() - tail.len()];
                middle.iter().all(|m| match rest.find(m.as_str()) {
                    Some(at) => {
                        rest = &rest[at + m.len()..];
                        true
                    }
                    None => false,
                })
            }
            Kind::General(w) => w.matches(v),
        }
    }
}

#[cfg(test)]
mod tests;
