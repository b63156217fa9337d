//! The [`Enrichment`] type: every string of one event's enrichment in one
//! buffer, read through accessors.
//!
//! An enrichment has about thirty strings (ids, CRNs and their components,
//! principal, method…). Owning each in its own `String` cost ~30
//! allocations and frees per event, and made the JSON writer check every
//! string for characters that need escaping. Here they are appended to one
//! `text` buffer and named by [`Span`]s; the buffer also remembers whether
//! any string in it needs JSON escaping (`clean`), which is almost never:
//! a string the scanner or serde_json *borrowed* from the record had no
//! escape, so it has no `"`, `\` or control character (JSON forbids them
//! raw). Only decoded strings (escapes, percent-decoding) and foreign ones
//! (the Kafka topic, a test's id) are checked.
//!
//! The field names of the JSON form are the contract of `docs/events.md`
//! ("Enrichment fields"); [`super::write`] writes it (and gives
//! `Enrichment` its `to_json`, `Debug` and `Serialize`).

use std::borrow::Cow;

use serde::Serialize;
use smallvec::SmallVec;

use super::escape::first_special;
use super::principal::PrincipalKind;
use super::values::{Dialect, Rfc3339, TimeSource};
use super::view::Field;
use super::{KafkaCoords, Severity, Verdict};

/// Where the primary CRN came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CrnField {
    #[serde(rename = "data.resourceName")]
    ResourceName,
    #[serde(rename = "subject")]
    Subject,
    #[serde(rename = "source")]
    Source,
}

impl CrnField {
    /// The field's JSON path, as `enrichment.crn.field` names it.
    pub fn as_str(self) -> &'static str {
        match self {
            CrnField::ResourceName => "data.resourceName",
            CrnField::Subject => "subject",
            CrnField::Source => "source",
        }
    }
}

/// A range of [`Enrichment`]'s text. `u32` keeps the struct small; the
/// text is a few times the record, and records are capped far below 4 GiB
/// (`max_record_bytes` ≤ 1 GiB).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// Its length in bytes.
    #[inline(always)]
    pub(super) fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// From its start to the end of `outer`, when it lies within `outer`.
    #[inline(always)]
    pub(super) fn to_end_of(self, outer: Span) -> Option<Span> {
        (outer.start <= self.start && self.end <= outer.end).then_some(Span {
            start: self.start,
            end: outer.end,
        })
    }

    /// The part `r` (byte offsets relative to this span) of this span.
    pub(super) fn sub(self, r: std::ops::Range<usize>) -> Span {
        debug_assert!(r.end <= (self.end - self.start) as usize);
        Span {
            start: self.start + r.start as u32,
            end: self.start + r.end as u32,
        }
    }
}

/// The string buffer an enrichment is built in.
#[derive(Debug, Clone)]
pub(super) struct Text {
    pub(super) buf: String,
    /// No string pushed so far needs JSON escaping. Raw JSON pushed with
    /// [`Text::json`] is not a string and does not count.
    pub(super) clean: bool,
}

impl Text {
    pub(super) fn with_capacity(n: usize) -> Text {
        Text {
            buf: String::with_capacity(n),
            clean: true,
        }
    }

    fn push(&mut self, s: &str) -> Span {
        let start = self.buf.len() as u32;
        self.buf.push_str(s);
        Span {
            start,
            end: self.buf.len() as u32,
        }
    }

    /// A string known to need no escaping: borrowed unchanged from the
    /// validated record (see the module comment), or built from such
    /// strings and ASCII letters.
    pub(super) fn trusted(&mut self, s: &str) -> Span {
        debug_assert!(first_special(s.as_bytes()).is_none(), "{s:?}");
        self.push(s)
    }

    /// Any string; looks for characters that need escaping.
    pub(super) fn checked(&mut self, s: &str) -> Span {
        if self.clean && first_special(s.as_bytes()).is_some() {
            self.clean = false;
        }
        self.push(s)
    }

    /// A JSON text (the raw principal), written verbatim.
    pub(super) fn json(&mut self, s: &str) -> Span {
        self.push(s)
    }

    /// A non-empty string field of the record: trusted when serde_json or
    /// the scanner borrowed it (no escape in the record), checked when it
    /// was decoded.
    pub(super) fn field(&mut self, f: &Field) -> Option<Span> {
        match f {
            Field::Str(Cow::Borrowed(s)) if !s.is_empty() => Some(self.trusted(s)),
            Field::Str(Cow::Owned(s)) if !s.is_empty() => Some(self.checked(s)),
            _ => None,
        }
    }

    /// The text of `span`, without `str` slicing's char-boundary checks
    /// (every accessor reads through here, for every event).
    #[inline(always)]
    pub(super) fn get(&self, span: Span) -> &str {
        let b = self.bytes(span);
        debug_assert!(
            self.buf.is_char_boundary(span.start as usize)
                && self.buf.is_char_boundary(span.end as usize),
            "a span that cuts a character"
        );
        // SAFETY: `buf` is UTF-8, and every span starts and ends at a
        // character boundary: whole strings pushed, or cuts at ASCII bytes
        // (`/`, `=`, `:`); the bytes between two boundaries of UTF-8 are
        // UTF-8. Debug builds (every test run) check it above.
        unsafe { std::str::from_utf8_unchecked(b) }
    }

    /// The bytes of `span`, for the writer: byte slicing skips the
    /// char-boundary checks `get` pays (spans are whole strings or cuts at
    /// ASCII bytes, so they are boundaries anyway).
    #[inline(always)]
    pub(super) fn bytes(&self, span: Span) -> &[u8] {
        &self.buf.as_bytes()[span.start as usize..span.end as usize]
    }

    pub(super) fn opt(&self, span: Option<Span>) -> Option<&str> {
        span.map(|s| self.get(s))
    }
}

/// `enrichment.principal`, as spans.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PrincipalSpans {
    pub(super) normalized: Option<Span>,
    /// JSON text, not a string.
    pub(super) raw: Option<Span>,
    pub(super) kind: Option<PrincipalKind>,
    pub(super) email: Option<Span>,
    pub(super) identity: Option<Span>,
    pub(super) acting: Option<Span>,
}

/// `enrichment.crn`, as spans.
#[derive(Debug, Clone, Default)]
pub(super) struct CrnSpans {
    pub(super) field: Option<CrnField>,
    pub(super) raw: Option<Span>,
    pub(super) authority: Option<Span>,
    pub(super) valid: bool,
    /// `None` when the CRN is invalid or absent. Eight pairs inline: cloud
    /// CRNs have up to six.
    pub(super) components: Option<SmallVec<[(Span, Span); 8]>>,
    pub(super) organization: Option<Span>,
    pub(super) environment: Option<Span>,
    pub(super) cluster: Option<Span>,
    pub(super) resource_type: Option<Span>,
    pub(super) resource_name: Option<Span>,
    pub(super) is_pattern: bool,
    /// Where the resource's identity starts: 1 + the index of the first
    /// component that is not a scope, 0 when none is, `u8::MAX` when not
    /// noted ([`Enrichment::crn_identity`]).
    pub(super) identity_from: u8,
}

/// Where the record sat in Kafka; the topic is in the text.
#[derive(Debug, Clone, Copy)]
pub(super) struct KafkaSpans {
    pub(super) topic: Span,
    pub(super) partition: i32,
    pub(super) offset: i64,
    pub(super) timestamp: Option<i64>,
}

/// The enrichment of one event. Strings are read through accessors named
/// after the JSON fields; see `docs/events.md` for their meaning.
#[derive(Clone)]
pub struct Enrichment {
    pub(super) text: Text,
    pub(super) event_id: Span,
    pub(super) event_type: Span,
    pub dialect: Dialect,
    pub(super) method: Option<Span>,
    pub(super) service: Option<Span>,
    pub time: Rfc3339,
    pub time_unix_nanos: i64,
    pub time_source: TimeSource,
    pub severity: Severity,
    pub verdict: Verdict,
    pub failed_auth: bool,
    pub request_failed: bool,
    pub(super) principal: PrincipalSpans,
    pub(super) crn: CrnSpans,
    pub(super) operation: Option<Span>,
    pub(super) resource_type: Option<Span>,
    pub(super) resource_name: Option<Span>,
    pub(super) access_type: Option<Span>,
    pub(super) role: Option<Span>,
    pub(super) source_ip: Option<Span>,
    pub(super) client_id: Option<Span>,
    pub(super) correlation_id: Option<Span>,
    pub(super) kafka: Option<KafkaSpans>,
    /// Where the detector's extra facts are in the record (not part of
    /// the enrichment's JSON).
    pub extras: super::extra::ExtraSpans,
}

/// Accessors for the optional string fields, one per field.
macro_rules! opt_accessors {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(&self) -> Option<&str> {
                self.text.opt(self.$name)
            }
        )*
    };
}

impl Enrichment {
    /// True when no string read through the accessors needs JSON escaping
    /// (almost always): a writer may copy each one whole between quotes.
    pub fn strings_clean(&self) -> bool {
        self.text.clean
    }

    pub fn event_id(&self) -> &str {
        self.text.get(self.event_id)
    }

    /// The event's own time (its `time`, or the Kafka timestamp), `None`
    /// when it has neither and the ingest time stands in.
    pub fn event_time(&self) -> Option<i64> {
        (self.time_source != TimeSource::Ingest).then_some(self.time_unix_nanos)
    }

    /// Bytes its text takes on the heap, for callers that bound what they
    /// hold.
    pub fn heap_bytes(&self) -> usize {
        self.text.buf.capacity()
    }

    /// Gives back the room its text was made with beyond what it holds
    /// (for callers that hold many).
    pub fn shrink_to_fit(&mut self) {
        self.text.buf.shrink_to_fit();
    }

    /// The event's `type`.
    pub fn event_type(&self) -> &str {
        self.text.get(self.event_type)
    }

    opt_accessors!(
        method,
        service,
        operation,
        resource_type,
        /// `authorizationInfo.resourceName` (a plain name, not a CRN).
        resource_name,
        /// `request.accessType` (cloud dialect): READ_ONLY, MODIFICATION, UNKNOWN.
        access_type,
        /// The role named in a role-binding request, when the request says.
        role,
        source_ip,
        client_id,
        correlation_id,
    );

    #[inline(always)]
    pub fn principal(&self) -> PrincipalInfo<'_> {
        let p = &self.principal;
        let t = &self.text;
        PrincipalInfo {
            normalized: t.opt(p.normalized),
            raw: t.opt(p.raw),
            kind: p.kind,
            email: t.opt(p.email),
            identity: t.opt(p.identity),
            acting: t.opt(p.acting),
        }
    }

    /// [`Self::principal`]'s `normalized` alone (building the whole
    /// [`PrincipalInfo`] slices every field: the detector reads one).
    pub fn principal_normalized(&self) -> Option<&str> {
        self.text.opt(self.principal.normalized)
    }

    /// [`Self::crn`]'s `raw` and `resource_name` alone (see
    /// [`Self::principal_normalized`]).
    pub fn crn_raw_and_name(&self) -> (Option<&str>, Option<&str>) {
        (
            self.text.opt(self.crn.raw),
            self.text.opt(self.crn.resource_name),
        )
    }

    /// Where [`Self::crn`] was found.
    #[inline]
    pub fn crn_field(&self) -> Option<CrnField> {
        self.crn.field
    }

    #[inline(always)]
    pub fn crn(&self) -> CrnInfo<'_> {
        let c = &self.crn;
        let t = &self.text;
        CrnInfo {
            field: c.field,
            raw: t.opt(c.raw),
            authority: t.opt(c.authority),
            valid: c.valid,
            organization: t.opt(c.organization),
            environment: t.opt(c.environment),
            cluster: t.opt(c.cluster),
            resource_type: t.opt(c.resource_type),
            resource_name: t.opt(c.resource_name),
            is_pattern: c.is_pattern,
            components: c.components.as_deref(),
            text: t,
        }
    }

    /// Where the record came from, when it came from Kafka.
    pub fn kafka(&self) -> Option<KafkaCoords> {
        self.kafka.map(|k| KafkaCoords {
            topic: self.text.get(k.topic).to_owned(),
            partition: k.partition,
            offset: k.offset,
            timestamp: k.timestamp,
        })
    }

    /// Replaces `event_id` (tests of sinks' id handling use it).
    pub fn set_event_id(&mut self, id: &str) {
        self.event_id = self.text.checked(id);
    }
}

/// `enrichment.principal`, borrowed from an [`Enrichment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrincipalInfo<'a> {
    /// Rule NP: `User:sa-…`, `None:UNKNOWN_USER`, `External:<subject>`, or null.
    pub normalized: Option<&'a str>,
    /// The principal exactly as the event gave it: JSON text (a string
    /// with its quotes, or an object).
    pub raw: Option<&'a str>,
    pub kind: Option<PrincipalKind>,
    pub email: Option<&'a str>,
    /// `authenticationInfo.identity` (federated identity CRN).
    pub identity: Option<&'a str>,
    /// `actingPrincipal` from the RBAC or ACL authorization, normalised.
    pub acting: Option<&'a str>,
}

/// `enrichment.crn`, borrowed from an [`Enrichment`].
#[derive(Debug, Clone, Copy)]
pub struct CrnInfo<'a> {
    pub field: Option<CrnField>,
    pub raw: Option<&'a str>,
    pub authority: Option<&'a str>,
    pub valid: bool,
    pub organization: Option<&'a str>,
    pub environment: Option<&'a str>,
    pub cluster: Option<&'a str>,
    pub resource_type: Option<&'a str>,
    pub resource_name: Option<&'a str>,
    pub is_pattern: bool,
    components: Option<&'a [(Span, Span)]>,
    text: &'a Text,
}

impl<'a> CrnInfo<'a> {
    /// The ordered `[key, value]` pairs, percent-decoded; `None` when the
    /// CRN is invalid or there is none.
    pub fn components(&self) -> Option<impl ExactSizeIterator<Item = (&'a str, &'a str)> + 'a> {
        let text = self.text;
        self.components
            .map(|c| c.iter().map(move |&(k, v)| (text.get(k), text.get(v))))
    }

    /// Whether any component with `key` has a value that `matches`.
    pub fn any_component(&self, key: &str, matches: impl Fn(&str) -> bool) -> bool {
        self.components()
            .is_some_and(|mut c| c.any(|(k, v)| k == key && matches(v)))
    }
}
