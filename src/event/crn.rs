//! Confluent Resource Names (rule CRN-PARSE of `docs/audit-log-format.md` §11).
//!
//! `crn://<authority>/<key>=<value>/<key>=<value>…`: the authority may be
//! empty (Confluent Platform's `crn:///kafka=…`), empty segments are dropped
//! (so `crn://confluent.cloud/` has zero components), each segment splits at
//! its first `=`, and keys and values are percent-decoded as UTF-8 with `+`
//! left alone. Keys can repeat and order matters, so components are an
//! ordered list of pairs, not a map. A segment without `=` makes the CRN
//! invalid; the event is still forwarded.

use std::borrow::Cow;
use std::ops::Range;

use percent_encoding::percent_decode_str;
use smallvec::SmallVec;

pub use super::enrichment::CrnField;
use super::enrichment::{CrnSpans, Span, Text};
use super::view::Field;

/// One `key=value` segment: the byte ranges of key and value.
pub type Component = (Range<usize>, Range<usize>);

/// What a CRN's components fill by their key, for both ways of cutting
/// one (this file's general path and [`plain`]'s): the last component of
/// each key wins; the cluster is `cloud-cluster`, else `kafka`, else
/// `kafka-cluster`. It also notes the first component that is not one of
/// the [`SCOPE_KEYS`], where the resource's identity starts
/// ([`Enrichment::crn_identity`](super::Enrichment::crn_identity)): the
/// key is matched here anyway.
#[derive(Default)]
struct Keyed {
    organization: Option<Span>,
    environment: Option<Span>,
    cluster: [Option<Span>; 3],
    /// Components put so far.
    n: u32,
    /// The index of the first component whose key is not a scope.
    first_other: Option<u32>,
}

impl Keyed {
    #[inline(always)]
    fn put(&mut self, key: &[u8], value: Span) {
        let scope = match key {
            b"organization" => {
                self.organization = Some(value);
                true
            }
            b"environment" => {
                self.environment = Some(value);
                true
            }
            b"cloud-cluster" => {
                self.cluster[0] = Some(value);
                true
            }
            b"kafka" => {
                self.cluster[1] = Some(value);
                false
            }
            b"kafka-cluster" => {
                self.cluster[2] = Some(value);
                false
            }
            _ => false,
        };
        if !scope && self.first_other.is_none() {
            self.first_other = Some(self.n);
        }
        self.n += 1;
    }
}

/// A CRN cut into pieces, as byte ranges of the raw text (still
/// percent-encoded). Decoding is the caller's choice: the enrichment
/// points into its own copy of the raw CRN when a piece has no `%`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cuts {
    pub authority: Range<usize>,
    /// `None` when a segment has no `=`.
    pub components: Option<SmallVec<[Component; 8]>>,
    /// The raw last value ends in an unencoded `*` (a prefix pattern).
    pub is_pattern: bool,
}

impl Cuts {
    /// Cuts `raw`, or returns `None` when it does not start with `crn://`.
    pub fn of(raw: &str) -> Option<Cuts> {
        if !raw.starts_with("crn://") {
            return None;
        }
        let mut components = SmallVec::new();
        let mut last_value = None;
        let (authority, valid) = walk(raw, |k, v| {
            last_value = Some(v.clone());
            components.push((k, v));
        });
        let is_pattern = valid && last_value.is_some_and(|v| raw[v].ends_with('*'));
        Some(Cuts {
            authority,
            components: valid.then_some(components),
            is_pattern,
        })
    }
}

/// CRN-PARSE's one pass over `raw` (which starts with `crn://`), shared
/// by both ways of cutting a CRN ([`Cuts::of`] and [`plain`]'s): calls
/// `component(key, value)` for each `key=value` segment in order, and
/// returns the authority's range and whether every segment had an `=`.
///
/// One vectorised pass over the separators ([`seps`]): the first `/`
/// ends the authority, then `/` ends a segment (empty ones are dropped)
/// and the first `=` after a segment's start splits it. They are ASCII,
/// so every cut is a character boundary.
#[inline(always)]
fn walk(raw: &str, mut component: impl FnMut(Range<usize>, Range<usize>)) -> (Range<usize>, bool) {
    const PREFIX: usize = "crn://".len();
    let b = raw.as_bytes();
    let mut authority_end = None;
    let mut valid = true;
    let mut start = 0;
    let mut eq = None;
    let mut cut = |at: usize, sep: u8| {
        if authority_end.is_none() {
            if sep == b'/' {
                authority_end = Some(at);
                start = at + 1;
            }
            return;
        }
        if sep == b'=' {
            eq.get_or_insert(at);
            return;
        }
        if at > start {
            match eq {
                Some(eq) => component(start..eq, eq + 1..at),
                None => valid = false,
            }
        }
        eq = None;
        start = at + 1;
    };
    seps::for_each(&b[PREFIX..], |p, sep| cut(PREFIX + p, sep));
    // The end of the CRN ends the last segment (or the authority).
    cut(b.len(), b'/');
    (PREFIX..authority_end.unwrap_or(b.len()), valid)
}

/// A parsed CRN with owned, decoded pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crn {
    pub authority: String,
    /// `None` when a segment has no `=`.
    pub components: Option<Vec<(String, String)>>,
    /// The raw last value ends in an unencoded `*` (a prefix pattern).
    pub is_pattern: bool,
}

impl Crn {
    /// Parses `raw`, or returns `None` when it does not start with `crn://`.
    pub fn parse(raw: &str) -> Option<Crn> {
        let cuts = Cuts::of(raw)?;
        let own = |r: Range<usize>| decode(&raw[r]).into_owned();
        Some(Crn {
            authority: own(cuts.authority),
            components: cuts
                .components
                .map(|c| c.into_iter().map(|(k, v)| (own(k), own(v))).collect()),
            is_pattern: cuts.is_pattern,
        })
    }

    /// The value of the last component with this key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.components
            .as_ref()?
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The last component: the resource itself.
    pub fn last(&self) -> Option<&(String, String)> {
        self.components.as_ref()?.last()
    }
}

/// Percent-decodes as UTF-8 (lossy), `+` left alone.
fn decode(s: &str) -> Cow<'_, str> {
    if s.as_bytes().contains(&b'%') {
        percent_decode_str(s).decode_utf8_lossy()
    } else {
        Cow::Borrowed(s)
    }
}

impl CrnSpans {
    /// Builds `enrichment.crn` for the primary CRN `raw` found in `field`,
    /// its strings in `text`. `fallback` gives organization, environment
    /// and cluster from `cloudResources` when the CRN lacks them.
    pub(super) fn build(
        field: CrnField,
        raw: &Field,
        text: &mut Text,
        fallback: &ScopeIds,
    ) -> CrnSpans {
        let raw_span = text.field(raw);
        let mut info = CrnSpans {
            field: Some(field),
            raw: raw_span,
            ..CrnSpans::default()
        };
        let (Some(raw_span), Some(raw)) = (raw_span, raw.as_str()) else {
            return info;
        };
        if memchr::memchr(b'%', raw.as_bytes()).is_none() {
            if raw.starts_with("crn://") {
                info.cut_plain(raw, raw_span);
            }
        } else {
            info.cut_encoded(raw, raw_span, text);
        }
        info.fill_from(fallback, text);
        info
    }

    /// The pieces of any CRN (the general path; [`Self::build`] takes it
    /// for a CRN with `%`): cut by [`Cuts::of`], each piece decoded.
    fn cut_encoded(&mut self, raw: &str, raw_span: Span, text: &mut Text) {
        let info = self;
        let Some(cuts) = Cuts::of(raw) else {
            return;
        };
        // A piece without `%` is a range of the raw CRN already in the
        // text; a decoded one is appended (and checked for escaping).
        let encoded = memchr::memchr(b'%', raw.as_bytes()).is_some();
        let mut piece = |r: Range<usize>| {
            if !encoded {
                return raw_span.sub(r);
            }
            match decode(&raw[r.clone()]) {
                Cow::Borrowed(_) => raw_span.sub(r),
                Cow::Owned(s) => text.checked(&s),
            }
        };
        info.authority = Some(piece(cuts.authority));
        if let Some(list) = cuts.components {
            let mut spans: SmallVec<[(Span, Span); 8]> = SmallVec::new();
            let mut keyed = Keyed::default();
            for (k, v) in list {
                let key = match encoded {
                    true => decode(&raw[k.clone()]),
                    false => Cow::Borrowed(&raw[k.clone()]),
                };
                let (ks, vs) = (piece(k), piece(v));
                keyed.put(key.as_bytes(), vs);
                spans.push((ks, vs));
            }
            info.set_components(keyed, spans);
        }
        info.is_pattern = cuts.is_pattern;
    }

    /// A valid CRN's pieces: its components in order and what their keys
    /// filled; the last component is the resource.
    #[inline(always)]
    fn set_components(&mut self, keyed: Keyed, spans: SmallVec<[(Span, Span); 8]>) {
        // One byte (the enrichment's size matters: `detect`'s read-ahead
        // counts it per event): the index + 1, 0 for none; a CRN of more
        // than 253 components gives no answer (the detector then reads the
        // identity from the text: the same answer).
        self.identity_from = match keyed.first_other {
            None => 0,
            Some(i) if i < u32::from(u8::MAX) - 1 => i as u8 + 1,
            Some(_) => u8::MAX,
        };
        self.organization = keyed.organization;
        self.environment = keyed.environment;
        self.cluster = keyed.cluster.into_iter().flatten().next();
        if let Some(&(k, v)) = spans.last() {
            self.resource_type = Some(k);
            self.resource_name = Some(v);
        }
        self.valid = true;
        self.components = Some(spans);
    }

    fn fill_from(&mut self, fallback: &ScopeIds, text: &mut Text) {
        for (slot, id) in [
            (&mut self.organization, fallback.organization),
            (&mut self.environment, fallback.environment),
            (&mut self.cluster, fallback.cluster),
        ] {
            if slot.is_none() {
                *slot = id.map(|id| text.checked(id));
            }
        }
    }

    /// No CRN anywhere: only `cloudResources` ids.
    pub(super) fn from_scope(fallback: &ScopeIds, text: &mut Text) -> CrnSpans {
        let mut info = CrnSpans::default();
        info.fill_from(fallback, text);
        info
    }
}

/// The identity of a valid CRN whose text is `raw` and components
/// `spans` ([`Enrichment::crn_identity`](super::Enrichment::crn_identity)):
/// from its component at `from` (1 + the index of the first that is not
/// a scope; 0: none is, the last; `u8::MAX`: not noted) to its end, when
/// that piece of the raw CRN is its own decoded path.
#[inline(always)]
pub(super) fn identity(spans: &[(Span, Span)], from: u8, raw: Span) -> Option<Span> {
    let at = match from {
        0 => spans.len().checked_sub(1)?,
        u8::MAX => return None,
        i => usize::from(i) - 1,
    };
    let comps = spans.get(at..)?;
    // The key is a piece of the raw CRN when its span lies within the
    // raw CRN's (a decoded one was appended after it).
    let rest = comps.first()?.0.to_end_of(raw)?;
    // Its own decoded path: its components, `k=v` joined by `/`, make it
    // whole (a decoded piece is shorter than its escape; an empty segment
    // is one `/` more).
    let pieces: usize = comps.iter().map(|&(k, v)| k.len() + v.len() + 2).sum();
    (pieces == rest.len() + 1).then_some(rest)
}

/// Organization, environment and cluster ids from `data.cloudResources`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScopeIds<'a> {
    pub organization: Option<&'a str>,
    pub environment: Option<&'a str>,
    pub cluster: Option<&'a str>,
}

impl<'a> ScopeIds<'a> {
    /// Records one `{type, resourceId}` pair; the first of each kind wins.
    pub fn observe(&mut self, kind: &str, id: &'a str) {
        let slot = match kind {
            "ORGANIZATION" => &mut self.organization,
            "ENVIRONMENT" => &mut self.environment,
            "CLOUD_CLUSTER" | "KAFKA_CLUSTER" => &mut self.cluster,
            _ => return,
        };
        if slot.is_none() && !id.is_empty() {
            *slot = Some(id);
        }
    }
}

mod plain;
mod seps;

#[cfg(test)]
mod tests;

/// The scopes above a resource's cluster that only some forms of a CRN
/// write (the fully scoped Confluent Cloud form): a resource's identity
/// leaves them out ([`Enrichment::crn_identity`](super::Enrichment::crn_identity),
/// and `detect::resource::crn_identity` for any text).
pub const SCOPE_KEYS: [&str; 3] = ["organization", "environment", "cloud-cluster"];

impl super::enrichment::Enrichment {
    /// The CRN from its first component that is not an `organization=`,
    /// `environment=` or `cloud-cluster=` scope (the last component stays,
    /// whatever it is): the resource named the same way in each of its
    /// CRN's forms (docs/audit-log-format.md §6; `detect::resource::crn_identity`
    /// cuts any text so: [`SCOPE_KEYS`]). `None` when that is not a piece of the raw CRN
    /// that is its own decoded path (an invalid CRN or none, a `%` escape
    /// or an empty segment in it). Where it starts is noted while the
    /// enrichment cuts the CRN (its keys are matched there anyway): the
    /// detector asks for every granted authorization, and matching the
    /// keys again cost it about 140 instructions per event
    /// (BENCHMARKS.md, "Detector", session 17).
    pub fn crn_identity(&self) -> Option<&str> {
        let c = &self.crn;
        let span = identity(c.components.as_deref()?, c.identity_from, c.raw?)?;
        Some(self.text.get(span))
    }
}
