//! Where the scanner found the values of the few fields the detector reads
//! besides the enrichment ([`ExtraSpans`]): the credential a login used or
//! tried, the connection id, a role binding's target, the pattern type and
//! a failed request's error type (`docs/audit-log-format.md` §7–§8, both
//! dialects). The scanner passes over them anyway; keeping their byte
//! ranges costs nothing, and spares the detector a second parse of the
//! record (`crate::detect::extras`, which decodes them).
//!
//! The ranges are only a fast path, with the scanner's one-sided rule:
//! whenever the scanner could not tell that a second, typed parse of the
//! record would succeed and read the same values (a duplicate key among
//! these fields, an escaped string or an out-of-range number where an
//! object is expected, a record serde_json had to read), the spans say so
//! ([`ExtraSpans::usable`] is `false`) and the detector parses the record.

/// The fields whose values are kept, each the value's JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    /// `authenticationInfo.metadata.identifier`.
    Identifier,
    /// `authenticationInfo.credentials.idSecretCredentials.credentialId`.
    CredentialId,
    /// `authenticationInfo.credentials.idTokenCredentials.subject`.
    TokenSubject,
    /// `authenticationInfo.credentials.certificateCredentials.dname.cn`.
    CertificateCn,
    /// `authenticationInfo.principal` (an object may carry an `email`).
    Principal,
    /// `requestMetadata.connection_id`.
    ConnectionId,
    /// `requestMetadata.connectionId`.
    ConnectionIdCamel,
    /// `request.data.crn_pattern`.
    CrnPattern,
    /// `request.data.crnPattern`.
    CrnPatternCamel,
    /// `request.data.principal`.
    TargetPrincipal,
    /// `authorizationInfo.patternType`.
    PatternType,
    /// `authorizationInfo.pattern_type`.
    PatternTypeSnake,
    /// `result.data.errorType`.
    ErrorType,
    /// `authorizationInfo.dryRun`.
    DryRun,
    /// `authorizationInfo.dry_run`.
    DryRunSnake,
}

const SLOTS: usize = Extra::DryRunSnake as usize + 1;

/// The byte ranges of the [`Extra`] values in the record the scanner read.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtraSpans {
    /// The scanner read the record and vouches for the ranges.
    read: bool,
    /// The record's length, to check that the ranges are applied to it.
    len: u32,
    spans: [(u32, u32); SLOTS],
    /// What the scanner saw of the record's bytes, for [`super::render`]
    /// ([`Self::layout`]): `LAYOUT_*` bits, 0 when unknown.
    layout: u8,
}

/// The scanner read the whole record, so the other bits are complete.
const LAYOUT_READ: u8 = 1;
/// A `\n` or `\r` (only whitespace outside strings can hold one).
const LAYOUT_LINE_BREAK: u8 = 2;
/// A backslash (only strings can hold one).
const LAYOUT_ESCAPE: u8 = 4;

impl ExtraSpans {
    /// Ranges into a record of `len` bytes, vouched for until [`Self::unsure`].
    pub fn new(len: usize) -> ExtraSpans {
        ExtraSpans {
            read: u32::try_from(len).is_ok(),
            len: len as u32,
            spans: [(0, 0); SLOTS],
            layout: 0,
        }
    }

    /// The scanner met a line break (in whitespace).
    #[inline]
    pub fn line_break(&mut self) {
        self.layout |= LAYOUT_LINE_BREAK;
    }

    /// The scanner met a backslash (in a string).
    #[inline]
    pub fn escape(&mut self) {
        self.layout |= LAYOUT_ESCAPE;
    }

    /// The scanner has read every byte of the record of `len` bytes (every
    /// line break and backslash in it was noted).
    pub fn layout_read(&mut self, len: usize) {
        if u32::try_from(len) == Ok(self.len) {
            self.layout |= LAYOUT_READ;
        }
    }

    /// For `raw`, the record the scanner read: whether it holds a line
    /// break and whether it holds a backslash, as the scanner saw them, so
    /// that rendering need not search the record again. `None` when not
    /// known (serde_json read the record, or `raw` is another record).
    pub fn layout(&self, raw: &[u8]) -> Option<(bool, bool)> {
        (self.layout & LAYOUT_READ != 0 && raw.len() == self.len as usize).then_some((
            self.layout & LAYOUT_LINE_BREAK != 0,
            self.layout & LAYOUT_ESCAPE != 0,
        ))
    }

    /// The ranges no longer say what a typed parse would read.
    pub fn unsure(&mut self) {
        self.read = false;
    }

    /// Whether the ranges may be applied to `raw`.
    pub fn usable(&self, raw: &[u8]) -> bool {
        self.read && raw.len() == self.len as usize
    }

    pub fn set(&mut self, field: Extra, range: std::ops::Range<usize>) {
        self.spans[field as usize] = (range.start as u32, range.end as u32);
    }

    /// The value's range; `None` when the key was not there.
    pub fn get(&self, field: Extra) -> Option<std::ops::Range<usize>> {
        let (s, e) = self.spans[field as usize];
        (e > s).then_some(s as usize..e as usize)
    }
}

/// Opaque: the view's `Debug` is what the scanner's differential tests
/// compare with serde_json's view, and the ranges are the scanner's alone
/// (they are checked against the typed parse in `detect::extras`'s tests).
impl std::fmt::Debug for ExtraSpans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExtraSpans { .. }")
    }
}
