//! `enrichment.crn`'s pieces for a CRN without `%` (nearly all of them):
//! every piece is then a range of the raw CRN already in the text, so one
//! pass over the separators fills the spans as it finds them. The general
//! path ([`CrnSpans::cut_encoded`]) first cuts the CRN into a list of
//! ranges ([`super::Cuts`], returned by value) and then walks that list,
//! matching each key again; for the benchmark's event that was about a
//! fifth of `crn_info`. The cuts are [`super::Cuts::of`]'s (CRN-PARSE), and
//! the tests compare this path with the general one.

use super::seps;
use crate::event::enrichment::{CrnSpans, Span};

impl CrnSpans {
    /// Fills the pieces of `raw` (starting with `crn://`, without `%`),
    /// whose text is `raw_span`, as [`Self::cut_encoded`] does.
    pub(super) fn cut_plain(&mut self, raw: &str, raw_span: Span) {
        const PREFIX: usize = "crn://".len();
        debug_assert!(raw.starts_with("crn://") && !raw.contains('%'));
        let b = raw.as_bytes();
        let mut authority_end = None;
        let mut spans: smallvec::SmallVec<[(Span, Span); 8]> = smallvec::SmallVec::new();
        let (mut organization, mut environment) = (None, None);
        // The last component of each key wins; the cluster is
        // `cloud-cluster`, else `kafka`, else `kafka-cluster`.
        let mut cluster: [Option<Span>; 3] = [None; 3];
        let mut valid = true;
        let mut last_star = false;
        let mut start = 0;
        let mut eq = None;
        // As `Cuts::of`: the first `/` ends the authority, then `/` ends a
        // segment (empty ones dropped) and its first `=` splits it.
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
                    Some(eq) => {
                        let v = raw_span.sub(eq + 1..at);
                        match &b[start..eq] {
                            b"organization" => organization = Some(v),
                            b"environment" => environment = Some(v),
                            b"cloud-cluster" => cluster[0] = Some(v),
                            b"kafka" => cluster[1] = Some(v),
                            b"kafka-cluster" => cluster[2] = Some(v),
                            _ => {}
                        }
                        spans.push((raw_span.sub(start..eq), v));
                        last_star = at > eq + 1 && b[at - 1] == b'*';
                    }
                    None => valid = false,
                }
            }
            eq = None;
            start = at + 1;
        };
        seps::for_each(&b[PREFIX..], |p, sep| cut(PREFIX + p, sep));
        // The end of the CRN ends the last segment (or the authority).
        cut(b.len(), b'/');
        self.authority = Some(raw_span.sub(PREFIX..authority_end.unwrap_or(b.len())));
        if !valid {
            return;
        }
        self.organization = organization;
        self.environment = environment;
        self.cluster = cluster.into_iter().flatten().next();
        if let Some(&(k, v)) = spans.last() {
            self.resource_type = Some(k);
            self.resource_name = Some(v);
        }
        self.valid = true;
        self.components = Some(spans);
        self.is_pattern = last_star;
    }
}
