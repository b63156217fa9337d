//! A kept copy of an event that reuses its memory: the fields of an
//! [`EventRef`] in one text buffer, refilled in place. Sequence rules keep
//! their groups' last few second steps this way (a grant is kept for a
//! denial that may still arrive late from another partition): a granted
//! event then costs a copy into a buffer the group already has, not an
//! allocation per field (BENCHMARKS.md, "Detector").

use super::alert::EventRef;
use super::facts::Facts;

/// How many text fields an [`EventRef`] has.
const FIELDS: usize = 8;

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
    /// A copy of `f`'s event.
    pub fn of(f: &Facts<'_>) -> Kept {
        let mut k = Kept::default();
        k.fill(f);
        k
    }

    /// Overwrites this copy with `f`'s event, reusing the buffer.
    pub fn fill(&mut self, f: &Facts<'_>) {
        self.time = f.time;
        self.text.clear();
        self.present = 0;
        for (i, v) in EventRef::fields_of(f).into_iter().enumerate() {
            if let Some(v) = v {
                self.text.push_str(v);
                self.present |= 1 << i;
            }
            self.ends[i] = self.text.len() as u32;
        }
    }

    fn field(&self, i: usize) -> Option<Box<str>> {
        if self.present & (1 << i) == 0 {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] } as usize;
        Some(self.text[start..self.ends[i] as usize].into())
    }

    /// The event as alerts take it.
    pub fn to_event(&self) -> EventRef {
        let f = |i| self.field(i);
        EventRef {
            id: f(0).unwrap_or_default(),
            time: self.time,
            principal: f(1),
            source_ip: f(2),
            resource: f(3),
            client_id: f(4),
            connection_id: f(5),
            correlation_id: f(6),
            identifier: f(7),
        }
    }
}
