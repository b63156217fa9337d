//! `enrichment.crn`'s pieces for a CRN without `%` (nearly all of them):
//! every piece is then a range of the raw CRN already in the text, so one
//! pass over the separators fills the spans as it finds them. The general
//! path ([`CrnSpans::cut_encoded`]) first cuts the CRN into a list of
//! ranges ([`super::Cuts`], returned by value) and then walks that list,
//! matching each key again; for the benchmark's event that was about a
//! fifth of `crn_info`. The cuts come from the same pass as
//! [`super::Cuts::of`]'s (`walk`, CRN-PARSE), and the tests compare this
//! path with the general one.

use super::{walk, Keyed};
use crate::event::enrichment::{CrnSpans, Span};

impl CrnSpans {
    /// Fills the pieces of `raw` (starting with `crn://`, without `%`),
    /// whose text is `raw_span`, as [`Self::cut_encoded`] does.
    pub(super) fn cut_plain(&mut self, raw: &str, raw_span: Span) {
        debug_assert!(raw.starts_with("crn://") && !raw.contains('%'));
        let b = raw.as_bytes();
        let mut spans: smallvec::SmallVec<[(Span, Span); 8]> = smallvec::SmallVec::new();
        let mut keyed = Keyed::default();
        let mut last_star = false;
        let (authority, valid) = walk(raw, |k, v| {
            let vs = raw_span.sub(v.clone());
            keyed.put(&b[k.clone()], vs);
            spans.push((raw_span.sub(k), vs));
            last_star = v.end > v.start && b[v.end - 1] == b'*';
        });
        self.authority = Some(raw_span.sub(authority));
        if !valid {
            return;
        }
        self.set_components(keyed, spans);
        self.is_pattern = last_star;
    }
}
