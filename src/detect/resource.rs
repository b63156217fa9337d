//! A resource as the rules compare it: a CRN's path as ordered pairs
//! ([`ResourcePath`], for what a privilege change covers), and the part
//! of a CRN that names its resource the same way in each of its forms
//! ([`crn_identity`], `denied_then_granted`'s "same resource").
//! `docs/audit-log-format.md` §6 has the CRN grammar.

use crate::event::crn::SCOPE_KEYS;

/// A CRN as ordered `(key, value)` pairs, the last one the resource
/// itself; `prefix` when the last value was a pattern (`topic=pii*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourcePath {
    pub parts: Vec<(String, String)>,
    pub prefix: bool,
}

/// The part of a CRN that names its resource the same way in every form
/// (docs/audit-log-format.md §6): without the authority and without the
/// `organization=`, `environment=` and `cloud-cluster=` scopes that only
/// the fully scoped Cloud form writes (the last element stays, whatever
/// it is). `crn:///kafka=lkc-1/topic=t`, `crn://confluent.cloud/kafka=lkc-1/topic=t`
/// and `crn://confluent.cloud/organization=…/environment=…/cloud-cluster=lkc-1/kafka=lkc-1/topic=t`
/// all give `kafka=lkc-1/topic=t`. Text that is not a CRN is its own
/// identity. A slice of `crn`: no allocation.
pub fn crn_identity(crn: &str) -> &str {
    let Some(rest) = crn.strip_prefix("crn://") else {
        return crn;
    };
    // Bytes and `memchr`: the detector reads the enrichment's cut first
    // (`Facts::resource_identity`) and scans only what it could not cut;
    // `str::split_once` on a char cost ≈ 1,070 instructions per event
    // (BENCHMARKS.md, "Detector", session 12).
    let b = rest.as_bytes();
    let Some(slash) = memchr::memchr(b'/', b) else {
        return "";
    };
    let mut at = slash + 1;
    let scope = |seg: &[u8]| {
        SCOPE_KEYS
            .iter()
            .find(|k| seg.starts_with(k.as_bytes()) && seg.get(k.len()) == Some(&b'='))
    };
    while let Some(key) = scope(&b[at..]) {
        let value = at + key.len() + 1;
        match memchr::memchr(b'/', &b[value..]) {
            // Not the last element: skip it.
            Some(end) if value + end + 1 < b.len() => at = value + end + 1,
            _ => break,
        }
    }
    &rest[at..]
}

/// Whether `id` (a [`crn_identity`]) is its own decoded path
/// ([`ResourcePath::display`]): no `%` escape, no empty segment. Other
/// forms of one resource (`topic=sensitive%2Dpii`, `kafka=k//topic=t`)
/// are compared by that path.
pub fn is_plain_identity(id: &str) -> bool {
    let b = id.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    // A few separators per CRN: each looked at, not every byte.
    first != b'/'
        && last != b'/'
        && memchr::memchr(b'%', b).is_none()
        && !memchr::memchr_iter(b'/', b).any(|i| b.get(i + 1) == Some(&b'/'))
}

impl ResourcePath {
    /// Parses `crn://authority/k=v/...`; `None` for anything else.
    pub fn parse_crn(crn: &str) -> Option<ResourcePath> {
        let rest = crn.strip_prefix("crn://")?;
        let path = rest.split_once('/').map(|(_, p)| p).unwrap_or("");
        // A trailing *unencoded* `*` is a prefix pattern; `%2A` is a
        // literal star, so the check comes before decoding.
        let prefix = path.ends_with('*');
        let path = path.strip_suffix('*').unwrap_or(path);
        let mut parts = Vec::new();
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            let (k, v) = seg.split_once('=')?;
            parts.push((decode(k), decode(v)));
        }
        (!parts.is_empty()).then_some(ResourcePath { parts, prefix })
    }

    /// The path as text, `k=v/k=v`, with a trailing `*` for a prefix.
    pub fn display(&self) -> String {
        let mut s = String::new();
        for (i, (k, v)) in self.parts.iter().enumerate() {
            if i > 0 {
                s.push('/');
            }
            s.push_str(k);
            s.push('=');
            s.push_str(v);
        }
        if self.prefix {
            s.push('*');
        }
        s
    }

    /// Whether a privilege granted on `self` reaches `other`: `self`'s
    /// last element (a resource or a scope such as `kafka=…` or
    /// `environment=…`) appears in `other` with an equal value, or with a
    /// value it is a prefix of when `self` is a prefix pattern; and the
    /// Kafka cluster, when both name one, is the same.
    pub fn covers(&self, other: &ResourcePath) -> bool {
        let Some((tk, tv)) = self.parts.last() else {
            return false;
        };
        let cluster = |p: &ResourcePath| {
            p.parts
                .iter()
                .find(|(k, _)| k == "kafka" || k == "cloud-cluster")
                .map(|(_, v)| v.clone())
        };
        if let (Some(a), Some(b)) = (cluster(self), cluster(other)) {
            if a != b {
                return false;
            }
        }
        other
            .parts
            .iter()
            .any(|(k, v)| k == tk && (v == tv || (self.prefix && v.starts_with(tv.as_str()))))
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| s.to_owned())
}
