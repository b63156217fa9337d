//! A kept copy of an event that reuses its memory: the fields of an
//! [`EventRef`] in one text buffer, refilled in place. Sequence rules keep
//! their groups' last few second steps this way (a grant is kept for a
//! denial that may still arrive late from another partition): a granted
//! event then costs a copy into a buffer the group already has, not a new
//! `Arc<EventRef>` (two allocations; BENCHMARKS.md, "Detector"). Fields that are the
//! same for every event of a group (`denied_then_granted`'s principal and
//! resource) can be left out (`skip`) and taken from another event of the
//! group when the copy becomes an event.

use super::alert::{field_in, pack, EventRef, FIELDS};
use super::facts::Facts;

/// [`EventRef::fields_of`]'s principal and resource, as a `skip` mask.
pub const PRINCIPAL_AND_RESOURCE: u8 = 1 << 1 | 1 << 3;

/// An [`EventRef`] stored compactly: the fields' text end to end.
#[derive(Debug, Default, Clone)]
pub struct Kept {
    pub time: i64,
    text: String,
    /// Where each field ends in `text`.
    ends: [u32; FIELDS],
    /// Bit `i`: field `i` is present.
    present: u8,
}

impl Kept {
    /// A copy of `f`'s event but for the fields in `skip` (bit `i`:
    /// [`EventRef::fields_of`]'s field `i`).
    pub fn of(f: &Facts<'_>, skip: u8) -> Kept {
        let mut k = Kept::default();
        k.fill(f, skip);
        k
    }

    /// A copy of `f`'s event (every field) whose buffer holds exactly
    /// its text: one allocation, not a buffer grown field by field (for
    /// copies that are made once and never refilled).
    pub fn exact(f: &Facts<'_>) -> Kept {
        let (text, ends, present) = pack(&EventRef::fields_of(f));
        Kept {
            time: f.time,
            text,
            ends: ends.map(|e| e as u32),
            present,
        }
    }

    /// A copy of `e` but for the fields in `skip` (a completing event
    /// handed back to its group, kept for first steps that may still
    /// arrive).
    pub fn from_event(e: &EventRef, skip: u8) -> Kept {
        let fields = std::array::from_fn(|i| (skip & (1 << i) == 0).then(|| e.field(i)).flatten());
        let (text, ends, present) = pack(&fields);
        Kept {
            time: e.time,
            text,
            ends: ends.map(|e| e as u32),
            present,
        }
    }

    /// Overwrites this copy with `f`'s event but for the fields in
    /// `skip`, reusing the buffer.
    ///
    /// Field by field in [`EventRef::fields_of`]'s order (the test below
    /// holds them to it), without building that array of eight first: it
    /// cost as much as the copies, and this runs for every granted event
    /// (measured again in session `hot`: an array of only the kept
    /// fields cost 19 instructions more per call).
    pub fn fill(&mut self, f: &Facts<'_>, skip: u8) {
        self.time = f.time;
        self.text.clear();
        self.present = 0;
        let text = &mut self.text;
        let (ends, present) = (&mut self.ends, &mut self.present);
        let mut put = |i: usize, v: Option<&str>| {
            if let (Some(v), true) = (v, skip & (1 << i) == 0) {
                text.push_str(v);
                *present |= 1 << i;
            }
            ends[i] = text.len() as u32;
        };
        // A skipped field is not read (`put` ignores it either way).
        let keep = |i: usize| skip & (1 << i) == 0;
        let extras = f.extras();
        put(0, Some(f.id));
        put(1, f.principal);
        put(2, f.source_ip);
        put(3, f.resource_crn.or(f.resource_name));
        put(4, if keep(4) { f.e.client_id() } else { None });
        put(5, extras.connection_id.as_deref());
        put(6, if keep(6) { f.e.correlation_id() } else { None });
        put(7, extras.identifier.as_deref());
    }

    /// The event's id (none if it was left out).
    pub fn id(&self) -> Option<&str> {
        self.field(0)
    }

    /// Bytes its text buffer holds.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
    }

    fn field(&self, i: usize) -> Option<&str> {
        field_in(&self.text, &self.ends, self.present, i)
    }

    /// The event as alerts take it, every field its own (a copy made
    /// with nothing skipped): one allocation, its text copied.
    pub fn to_event(&self) -> EventRef {
        EventRef::new(self.time, std::array::from_fn(|i| self.field(i)))
    }

    /// The event as alerts take it; the fields in `skip` from `shared`,
    /// an event of the same group (its key is made of those fields, so
    /// any event of the group has them alike: a group need not keep a
    /// copy of its own).
    pub fn to_event_with(&self, shared: &EventRef, skip: u8) -> EventRef {
        let fields = std::array::from_fn(|i| {
            if skip & (1 << i) == 0 {
                self.field(i)
            } else {
                shared.field(i)
            }
        });
        // The principal and resource from `shared` are its text itself,
        // shared (counted where `shared`'s are).
        if skip & PRINCIPAL_AND_RESOURCE == PRINCIPAL_AND_RESOURCE {
            let text = shared.shared().clone();
            return EventRef::with_shared(self.time, fields, text, shared.owns_shared());
        }
        EventRef::new(self.time, fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Processor;

    /// A granted write with every field an event copy keeps but the
    /// identifier.
    fn carol_writes() -> String {
        crate::detect::tests::authz(
            "g1",
            1_741_078_800,
            "carol",
            "10.0.0.9",
            "kafka.Produce",
            "Write",
            "topic=payments",
            true,
        )
    }

    #[test]
    fn a_kept_copy_is_the_event_whatever_is_skipped() {
        let lines = [
            carol_writes(),
            crate::detect::tests::authn("f1", 1_741_078_800, "10.0.0.7", "bob", false),
        ];
        let p = Processor::default();
        for line in lines {
            let (_, e) = p.enrich(line.as_bytes(), None, 0).expect("valid");
            let f = Facts::new(&e, line.as_bytes());
            let whole = EventRef::of(&f);
            for skip in [0, PRINCIPAL_AND_RESOURCE, 0b1111_1110, 0b0101_0100, 0xff] {
                let mut k = Kept::of(&f, 0xff);
                k.fill(&f, skip);
                assert_eq!(k.to_event_with(&whole, skip), whole, "{skip:#b}");
            }
            assert_eq!(Kept::of(&f, 0).to_event(), whole);
            let exact = Kept::exact(&f);
            assert_eq!(exact.to_event(), whole);
            assert_eq!(
                exact.heap_bytes(),
                exact.text.len(),
                "one allocation, exact"
            );
        }
    }

    #[test]
    fn skipped_fields_come_from_the_shared_event_the_rest_from_the_copy() {
        let line = carol_writes();
        let (_, e) = Processor::default()
            .enrich(line.as_bytes(), None, 0)
            .expect("valid");
        let f = Facts::new(&e, line.as_bytes());
        let own = EventRef::of(&f);
        let shared = EventRef::new(
            7,
            std::array::from_fn(|i| Some(["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"][i])),
        );
        let got =
            Kept::of(&f, PRINCIPAL_AND_RESOURCE).to_event_with(&shared, PRINCIPAL_AND_RESOURCE);
        assert_eq!(got.time, own.time);
        for i in 0..FIELDS {
            let from_shared = PRINCIPAL_AND_RESOURCE & (1 << i) != 0;
            let want = if from_shared {
                shared.field(i)
            } else {
                own.field(i)
            };
            assert_eq!(got.field(i), want, "field {i}");
        }
        assert_eq!(got.principal(), Some("s1"));
        assert_eq!(got.resource(), Some("s3"));
        assert_eq!(got.id(), "g1");
    }
}
