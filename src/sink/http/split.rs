//! How the HTTP sinks cut a batch into requests, shared by all of them:
//!
//! - [`by_caps`]: before sending, runs of documents within the sink's
//!   `max_batch_bytes` and `max_batch_events`;
//! - [`too_large`], the 413 rule: a request over the server's size limit
//!   is halved and each half sent on its own, recursively; a document
//!   refused alone can never be accepted and is rejected (dead-lettered)
//!   with the sink's reason. One bad size costs at most ⌈log2 n⌉
//!   halvings.

use std::ops::Range;

/// Cuts documents of `sizes` bytes (uncompressed, in request order) into
/// consecutive runs of at most `max_bytes` and `max_events`: positions
/// into `sizes`. A document bigger than `max_bytes` travels alone.
pub(crate) fn by_caps(
    sizes: impl IntoIterator<Item = usize>,
    max_bytes: usize,
    max_events: usize,
) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut end, mut bytes) = (0, 0, 0);
    for size in sizes {
        if end > start && (bytes + size > max_bytes || end - start >= max_events) {
            out.push(start..end);
            (start, bytes) = (end, 0);
        }
        bytes += size;
        end += 1;
    }
    if end > start {
        out.push(start..end);
    }
    out
}

/// The documents of one request, in request order.
pub(crate) trait Docs: Sized {
    fn count(&self) -> usize;
    /// The first half (the shorter one when odd) and the rest.
    fn halves(self) -> (Self, Self);
}

/// Positions into the sink's event list (HEC).
impl Docs for Vec<usize> {
    fn count(&self) -> usize {
        self.len()
    }
    fn halves(mut self) -> (Self, Self) {
        let right = self.split_off(self.len() / 2);
        (self, right)
    }
}

/// A run of consecutive encoded documents (Elasticsearch).
impl Docs for Range<usize> {
    fn count(&self) -> usize {
        self.len()
    }
    fn halves(self) -> (Self, Self) {
        let mid = self.start + self.len() / 2;
        (self.start..mid, mid..self.end)
    }
}

/// What to do with a request answered 413.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TooLarge<T> {
    /// Send each half on its own, first then second.
    Halves(T, T),
    /// A single document: reject it, it will never fit.
    Alone(T),
}

/// Applies the 413 rule to `docs`.
pub(crate) fn too_large<T: Docs>(docs: T) -> TooLarge<T> {
    if docs.count() <= 1 {
        TooLarge::Alone(docs)
    } else {
        let (l, r) = docs.halves();
        TooLarge::Halves(l, r)
    }
}

#[cfg(test)]
mod tests;
