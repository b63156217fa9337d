//! The event copy that rules keep and alerts are made of ([`EventRef`]).
//! The detector's state is bounded in bytes (`[detect] max_state_bytes`)
//! and these copies are most of it under an alert storm: a copy with a
//! boxed string per field cost nine allocations and 152 bytes of pointers
//! before its text; this one is its fields' text end to end in one
//! buffer, with where each field ends and which are present (as
//! [`Kept`](super::super::kept::Kept) keeps a grant), but for the
//! principal and the resource: text that a principal's copies have alike,
//! shared between them ([`Interner`]). 96 bytes beside its text.

use std::fmt;
use std::mem::{align_of, size_of};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::super::intern::Interner;
use super::super::ledger::{Counted, Ledger};

/// How many text fields an [`EventRef`] has, in this order: id,
/// principal, source IP, resource, client id, connection id, correlation
/// id, identifier (the order of `EventRef::fields_of`, which reads them
/// from an event's facts).
pub const FIELDS: usize = 8;

/// The part of an event an alert keeps: enough to list it and describe it.
/// Rules share one copy (`Arc`); its bytes are counted once, by the
/// [`Ledger`](super::super::weigh::Ledger) of the first rule that keeps
/// it, and taken off when the last holder drops it. Its text fields are
/// read through methods ([`EventRef::id`], [`EventRef::principal`], …).
pub struct EventRef {
    pub time: i64,
    /// Every field but the principal and the resource.
    text: Text,
    /// The principal and the resource ([`SHARED`]): text that many
    /// copies have alike, shared with them ([`Interner`]) or, for a copy
    /// made without one, its own.
    shared: [Option<Arc<str>>; 2],
    /// The ledger that counts this copy, once kept ([`Counted`]).
    counted: Counted,
    /// `shared` is this copy's own, counted in its [`EventRef::bytes`]
    /// (an interner's text is counted by the interner).
    own_shared: bool,
}

/// The fields an [`EventRef`] holds as shared text: the principal and the
/// resource ([`FIELDS`]' order), in `shared`'s order.
pub const SHARED: [usize; 2] = [1, 3];

/// Where field `i` is in `shared`, if it is one of [`SHARED`].
const fn shared_at(i: usize) -> Option<usize> {
    match i {
        1 => Some(0),
        3 => Some(1),
        _ => None,
    }
}

/// The fields' text end to end, and where each but the last ends (field
/// `i` runs from the end of field `i - 1`, or 0, to its own end, or the
/// text's end).
#[derive(Clone, PartialEq, Eq)]
enum Text {
    /// Text under 64 KiB, every event in practice: the ends in 16 bits,
    /// beside the text's pointer (the enum is no larger than this).
    Narrow {
        text: Box<str>,
        ends: [u16; FIELDS - 1],
        /// Bit `i`: field `i` is present.
        present: u8,
    },
    /// Longer text (an event whose fields are that long is odd, but it
    /// must be kept as it is): the ends in 32 bits, boxed.
    Wide(Box<Wide>),
}

#[derive(Clone, PartialEq, Eq)]
struct Wide {
    text: Box<str>,
    ends: [u32; FIELDS - 1],
    present: u8,
}

impl EventRef {
    /// A copy of an event at `time` with these text fields (in
    /// [`FIELDS`]' order; an absent id is empty): their text in one
    /// allocation of exactly its length.
    pub fn new(time: i64, fields: [Option<&str>; FIELDS]) -> EventRef {
        let shared = SHARED.map(|i| fields[i].map(Arc::from));
        EventRef::with_shared(time, fields, shared, true)
    }

    /// [`EventRef::new`], its principal and resource shared through
    /// `interner` (counted there, not in the copy's bytes).
    pub fn interned(time: i64, fields: [Option<&str>; FIELDS], interner: &Interner) -> EventRef {
        let shared = [0, 1].map(|place| fields[SHARED[place]].map(|v| interner.get_in(place, v)));
        EventRef::with_shared(time, fields, shared, false)
    }

    /// A copy with these text fields but the principal and resource
    /// (ignored in `fields`), which are `shared`; `own`: they are this
    /// copy's own (counted in its bytes).
    pub fn with_shared(
        time: i64,
        mut fields: [Option<&str>; FIELDS],
        shared: [Option<Arc<str>>; 2],
        own: bool,
    ) -> EventRef {
        for i in SHARED {
            fields[i] = None;
        }
        let (text, ends, present) = pack(&fields);
        let (ends, present) = (&ends[..FIELDS - 1], present | 1);
        let text = text.into_boxed_str();
        let text = match u16::try_from(text.len()) {
            Ok(_) => Text::Narrow {
                text,
                ends: std::array::from_fn(|i| ends[i] as u16),
                present,
            },
            Err(_) => Text::Wide(Box::new(Wide {
                text,
                ends: std::array::from_fn(|i| ends[i] as u32),
                present,
            })),
        };
        EventRef {
            time,
            text,
            shared,
            counted: Counted::default(),
            own_shared: own,
        }
    }

    /// The principal and the resource as shared text ([`SHARED`]' order).
    pub fn shared(&self) -> &[Option<Arc<str>>; 2] {
        &self.shared
    }

    /// Whether [`EventRef::shared`] is this copy's own (not an interner's).
    pub fn owns_shared(&self) -> bool {
        self.own_shared
    }

    /// Field `i` ([`FIELDS`]' order), if present.
    pub fn field(&self, i: usize) -> Option<&str> {
        if let Some(at) = shared_at(i) {
            return self.shared[at].as_deref();
        }
        match &self.text {
            Text::Narrow {
                text,
                ends,
                present,
            } => field_in(text, ends, *present, i),
            Text::Wide(w) => field_in(&w.text, &w.ends, w.present, i),
        }
    }

    /// Its text fields, in [`FIELDS`]' order.
    pub fn fields(&self) -> [Option<&str>; FIELDS] {
        std::array::from_fn(|i| self.field(i))
    }

    /// The CloudEvents id (empty if the event had none).
    pub fn id(&self) -> &str {
        self.field(0).unwrap_or_default()
    }
    pub fn principal(&self) -> Option<&str> {
        self.field(1)
    }
    pub fn source_ip(&self) -> Option<&str> {
        self.field(2)
    }
    /// The resource's CRN, or its name when the event has no CRN.
    pub fn resource(&self) -> Option<&str> {
        self.field(3)
    }
    pub fn client_id(&self) -> Option<&str> {
        self.field(4)
    }
    pub fn connection_id(&self) -> Option<&str> {
        self.field(5)
    }
    pub fn correlation_id(&self) -> Option<&str> {
        self.field(6)
    }
    /// The credential tried or used.
    pub fn identifier(&self) -> Option<&str> {
        self.field(7)
    }

    /// Its bytes behind an `Arc`, as allocated: the block (two counts and
    /// the `EventRef`), its text, the boxed ends of a long text, and its
    /// principal's and resource's text when they are its own (an
    /// [`Interner`] counts the text it shares). The
    /// ledger bounds the state with it, so it must not fall short of what
    /// is allocated (the allocator's rounding aside).
    pub fn bytes(&self) -> usize {
        let own = match &self.text {
            Text::Narrow { text, .. } => text.len(),
            Text::Wide(w) => size_of::<Wide>() + w.text.len(),
        };
        let shared: usize = if self.own_shared {
            let text = |s: &Option<Arc<str>>| s.as_deref().map_or(0, arc_str_bytes);
            self.shared.iter().map(text).sum()
        } else {
            0
        };
        2 * size_of::<usize>() + size_of::<EventRef>() + own + shared
    }

    /// Counted in `ledger` unless a ledger counts it already (a rule keeps
    /// it); off it when dropped.
    pub fn count_in(&self, ledger: &Ledger) {
        ledger.count(&self.counted, || self.bytes());
    }
}

/// The bytes an `Arc<str>` of `s` allocates: its block (two counts and
/// the text), rounded up to the counts' alignment.
pub fn arc_str_bytes(s: &str) -> usize {
    (2 * size_of::<usize>() + s.len()).next_multiple_of(align_of::<usize>())
}

/// Fields' text end to end ([`EventRef`]'s and [`Kept`]'s layout): the
/// text, in one allocation of exactly its length, where each field ends,
/// and which are present (bit `i`: field `i`).
///
/// [`Kept`]: super::super::kept::Kept
pub(in crate::detect) fn pack(fields: &[Option<&str>; FIELDS]) -> (String, [usize; FIELDS], u8) {
    let len = fields.iter().map(|v| v.map_or(0, str::len)).sum();
    let mut text = String::with_capacity(len);
    let mut ends = [0usize; FIELDS];
    let mut present = 0u8;
    for (i, v) in fields.iter().enumerate() {
        if let Some(v) = v {
            text.push_str(v);
            present |= 1 << i;
        }
        ends[i] = text.len();
    }
    (text, ends, present)
}

/// A field's end as stored (16 or 32 bits).
pub(in crate::detect) trait End: Copy {
    fn at(self) -> usize;
}

impl End for u16 {
    fn at(self) -> usize {
        self as usize
    }
}

impl End for u32 {
    fn at(self) -> usize {
        self as usize
    }
}

/// Field `i` of text laid out by [`pack`]: it runs from the end of field
/// `i - 1` (or 0) to its own end (or the text's end, where the last end
/// is not stored), if `present` says it is there.
pub(in crate::detect) fn field_in<'a, E: End>(
    text: &'a str,
    ends: &[E],
    present: u8,
    i: usize,
) -> Option<&'a str> {
    let start = if i == 0 { 0 } else { ends[i - 1].at() };
    let end = ends.get(i).map_or(text.len(), |e| e.at());
    (present & (1 << i) != 0).then(|| &text[start..end])
}

#[cfg(test)]
impl EventRef {
    /// A test event: `id` at `time`, by `principal` from `source_ip`,
    /// every other field absent.
    pub fn sample(
        id: &str,
        time: i64,
        principal: Option<&str>,
        source_ip: Option<&str>,
    ) -> EventRef {
        EventRef::new(
            time,
            [Some(id), principal, source_ip, None, None, None, None, None],
        )
    }
}

/// A clone is a new copy, counted on its own ([`Counted`]).
impl Clone for EventRef {
    fn clone(&self) -> EventRef {
        EventRef {
            time: self.time,
            text: self.text.clone(),
            shared: self.shared.clone(),
            counted: Counted::default(),
            own_shared: self.own_shared,
        }
    }
}

/// Equal when the time and every field are: the same fields are laid out
/// alike, so the text and its ends compare.
impl PartialEq for EventRef {
    fn eq(&self, other: &EventRef) -> bool {
        self.time == other.time && self.text == other.text && self.shared == other.shared
    }
}

impl Eq for EventRef {}

/// The fields by name, as the struct of boxed strings it replaced printed
/// them (tests and logs read them).
impl fmt::Debug for EventRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventRef")
            .field("id", &self.id())
            .field("time", &self.time)
            .field("principal", &self.principal())
            .field("source_ip", &self.source_ip())
            .field("resource", &self.resource())
            .field("client_id", &self.client_id())
            .field("connection_id", &self.connection_id())
            .field("correlation_id", &self.correlation_id())
            .field("identifier", &self.identifier())
            .field("counted", &self.counted)
            .finish()
    }
}

impl Drop for EventRef {
    fn drop(&mut self) {
        if let Some(tally) = self.counted.tally() {
            tally.fetch_sub(self.bytes(), Relaxed);
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) use tests::asked;
