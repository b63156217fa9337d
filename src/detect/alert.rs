//! The alert: one JSON object per incident (`docs/detect.md`, "Alerts",
//! documents every field).
//!
//! Its `id` is a hash of the rule, the group key and the window start
//! (the time of the first event of the detection), so the same events give
//! the same id after a restart or a replay, and a SIEM that indexes by id
//! (Elasticsearch `_id`) keeps one document per incident.

use std::mem::size_of;

use serde::{Deserialize, Serialize};

pub use event::{arc_str_bytes, EventRef, FIELDS, SHARED};
pub(super) use event::{field_in, pack};

use crate::event::time::format_rfc3339_nanos;
use crate::event::Severity;

/// Most event ids an alert lists; `event_count` has the total.
pub const MAX_EVENT_IDS: usize = 100;
/// Most values in each of the alert's other lists.
pub const MAX_LIST: usize = 20;

/// One detection. It reads back from its JSON (`investigate --json`
/// holds alerts), without the bookkeeping that is not serialised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: String,
    pub rule: String,
    pub severity: Severity,
    /// One sentence a SOC analyst reads.
    pub summary: String,
    pub principal: Option<String>,
    pub source_ips: Vec<String>,
    pub resources: Vec<String>,
    /// The CloudEvents ids of the events that make up the detection, in
    /// time order, at most [`MAX_EVENT_IDS`].
    pub event_ids: Vec<String>,
    /// How many events make up the detection (may exceed `event_ids`).
    pub event_count: u64,
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339")]
    pub first_time: i64,
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339")]
    pub last_time: i64,
    pub group_key: String,
    pub correlation: Correlation,
    /// Alerts are kept open while their incident goes on; `false` on an
    /// alert sent when it fired, `true` on the final version.
    pub closed: bool,
    #[serde(skip)]
    pub(crate) times: Vec<i64>,
    /// Its id is anchored on the event that completed a sequence, not on
    /// its first event: a first step joining it does not move the id
    /// ([`Alert::window_moved`]), even when it was first at that time.
    #[serde(skip)]
    pub(crate) anchored: bool,
}

/// The client context of the events: who connected how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Correlation {
    pub client_ids: Vec<String>,
    pub connection_ids: Vec<String>,
    pub correlation_ids: Vec<String>,
    /// Credentials tried or used (API keys, user names).
    pub identifiers: Vec<String>,
}

fn rfc3339<S: serde::Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_rfc3339_nanos(*t))
}

fn from_rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let text = String::deserialize(d)?;
    crate::event::time::parse_rfc3339(&text)
        .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not an RFC 3339 time")))
}

impl Alert {
    /// A new alert for `rule` over `group_key`, made of `events` (any
    /// order); the window starts at the earliest event.
    pub fn new(rule: &str, severity: Severity, group_key: String, events: &[&EventRef]) -> Alert {
        let start = events.iter().map(|e| e.time).min().unwrap_or(0);
        let mut a = Alert {
            id: alert_id(rule, &group_key, start),
            rule: rule.to_owned(),
            severity,
            summary: String::new(),
            principal: None,
            source_ips: Vec::new(),
            resources: Vec::new(),
            event_ids: Vec::new(),
            event_count: 0,
            first_time: start,
            last_time: start,
            group_key,
            correlation: Correlation::default(),
            closed: false,
            times: Vec::new(),
            anchored: false,
        };
        for e in events {
            a.add(e);
        }
        a
    }

    /// An event earlier than the alert's first joined it (out of order,
    /// within the allowed lateness): an id made from the window start
    /// (`old_start`) follows the new start, so that the same events give
    /// the same id whatever order they arrived in. An id anchored on
    /// another event (a sequence's completing event) stays.
    pub fn window_moved(&mut self, rule: &str, old_start: i64) {
        if !self.anchored && self.id == alert_id(rule, &self.group_key, old_start) {
            let id = alert_id(rule, &self.group_key, self.first_time);
            // In place: the same length, so the same bytes counted.
            self.id.clear();
            self.id.push_str(&id);
        }
    }

    /// Adds one event (an incident that goes on). An id already listed is
    /// not counted twice. Returns how much its [`Alert::heap_bytes`] grew
    /// (less when a listed id made room), without a walk.
    pub fn add(&mut self, e: &EventRef) -> isize {
        if self.lists(e.time, e.id()) {
            return 0;
        }
        let mut text = 0isize;
        self.event_count += 1;
        self.first_time = self.first_time.min(e.time);
        self.last_time = self.last_time.max(e.time);
        // Time order; among equal times, arrival order.
        let at = self.times.partition_point(|t| *t <= e.time);
        if at < MAX_EVENT_IDS {
            let buffers = self.ids_buffers();
            self.times.insert(at, e.time);
            // Grown from empty, as the id was copied before (`to_string`
            // of a boxed `str`): at least 8 bytes. The open alerts' bound
            // reads the capacity, so the alerts it closes early stay the
            // same (an exact copy closed some later in the storm).
            let mut id = String::new();
            id.push_str(e.id());
            text += id.capacity() as isize;
            self.event_ids.insert(at, id);
            if self.event_ids.len() > MAX_EVENT_IDS {
                self.times.pop();
                text -= self.event_ids.pop().map_or(0, |id| id.capacity()) as isize;
            }
            text += self.ids_buffers() as isize - buffers as isize;
        }
        if self.principal.is_none() {
            self.principal = e.principal().map(str::to_owned);
            text += self.principal.as_ref().map_or(0, String::capacity) as isize;
        }
        let c = &mut self.correlation;
        let pushed = push(&mut self.source_ips, e.source_ip())
            + push(&mut self.resources, e.resource())
            + push(&mut c.client_ids, e.client_id())
            + push(&mut c.connection_ids, e.connection_id())
            + push(&mut c.correlation_ids, e.correlation_id())
            + push(&mut c.identifiers, e.identifier());
        text + pushed as isize
    }

    /// Keeps `e`, one of its events, listed when the list is full: the
    /// event the alert is about (a privilege change among the denials it
    /// came during). It takes the place of the latest listed event before
    /// it (of the last listed when none is before it): the list stays in
    /// time order. The caller weighs the result again.
    pub fn pin(&mut self, e: &EventRef) {
        if self.lists(e.time, e.id()) || self.times.is_empty() {
            return;
        }
        if self.event_ids.len() >= MAX_EVENT_IDS {
            let at = self.times.partition_point(|t| *t <= e.time);
            let gone = at.checked_sub(1).unwrap_or(self.times.len() - 1);
            self.times.remove(gone);
            self.event_ids.remove(gone);
        }
        let at = self.times.partition_point(|t| *t <= e.time);
        self.times.insert(at, e.time);
        self.event_ids.insert(at, e.id().to_owned());
    }

    /// Takes in `later`, an alert of the same group that turned out to be
    /// the same incident (an event that arrived late bridged the gap
    /// between them): its events, counts and lists join this one's, whose
    /// id stays. The caller weighs the result again.
    pub fn absorb(&mut self, later: Alert) {
        let mut counted = later.event_count;
        for (t, id) in later.times.into_iter().zip(later.event_ids) {
            if self.lists(t, &id) {
                counted = counted.saturating_sub(1);
                continue;
            }
            let at = self.times.partition_point(|x| *x <= t);
            if at < MAX_EVENT_IDS {
                self.times.insert(at, t);
                self.event_ids.insert(at, id);
                self.event_ids.truncate(MAX_EVENT_IDS);
                self.times.truncate(MAX_EVENT_IDS);
            }
        }
        self.event_count += counted;
        self.first_time = self.first_time.min(later.first_time);
        self.last_time = self.last_time.max(later.last_time);
        if self.principal.is_none() {
            self.principal = later.principal;
        }
        let (c, l) = (&mut self.correlation, later.correlation);
        let lists = [
            (&mut self.source_ips, later.source_ips),
            (&mut self.resources, later.resources),
            (&mut c.client_ids, l.client_ids),
            (&mut c.connection_ids, l.connection_ids),
            (&mut c.correlation_ids, l.correlation_ids),
            (&mut c.identifiers, l.identifiers),
        ];
        for (list, more) in lists {
            for v in more {
                push(list, Some(&v));
            }
        }
    }

    /// Whether the event `id` at `time` is listed (listed ids are sorted
    /// by time: only those at `time` can match).
    fn lists(&self, time: i64, id: &str) -> bool {
        let same_time =
            self.times.partition_point(|t| *t < time)..self.times.partition_point(|t| *t <= time);
        self.event_ids[same_time].iter().any(|x| x == id)
    }

    /// The buffers of the listed ids and their times.
    fn ids_buffers(&self) -> usize {
        self.event_ids.capacity() * size_of::<String>() + self.times.capacity() * size_of::<i64>()
    }

    /// What it holds on the heap: its text and its lists' buffers (the
    /// open-alert book's byte bound). A walk: [`Alert::add`] says what an
    /// event changed.
    pub fn heap_bytes(&self) -> usize {
        let c = &self.correlation;
        let lists = [
            &self.source_ips,
            &self.resources,
            &self.event_ids,
            &c.client_ids,
            &c.connection_ids,
            &c.correlation_ids,
            &c.identifiers,
        ];
        let text: usize = lists
            .iter()
            .flat_map(|l| l.iter())
            .map(String::capacity)
            .sum();
        [&self.id, &self.rule, &self.summary, &self.group_key]
            .iter()
            .map(|s| s.capacity())
            .sum::<usize>()
            + self.principal.as_ref().map_or(0, String::capacity)
            + text
            + self.buffer_bytes()
    }

    /// The lists' buffers.
    fn buffer_bytes(&self) -> usize {
        let c = &self.correlation;
        let strings = self.source_ips.capacity()
            + self.resources.capacity()
            + self.event_ids.capacity()
            + c.client_ids.capacity()
            + c.connection_ids.capacity()
            + c.correlation_ids.capacity()
            + c.identifiers.capacity();
        strings * size_of::<String>() + self.times.capacity() * size_of::<i64>()
    }

    /// The alert as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an alert serialises")
    }

    /// The alert as a CloudEvent (one line of JSON), the shape in which
    /// `run` sends it through the sinks: `type` is
    /// [`ALERT_TYPE`](crate::event::validate::ALERT_TYPE), `id` the
    /// alert's id (the fired and the closed version share it, so a sink
    /// that keys on the id keeps one document per incident), `subject`
    /// the rule, `time` the last event's time, `data` the alert.
    pub fn to_cloudevent(&self) -> String {
        #[derive(Serialize)]
        struct Envelope<'a> {
            specversion: &'static str,
            id: &'a str,
            source: &'static str,
            #[serde(rename = "type")]
            event_type: &'static str,
            subject: &'a str,
            #[serde(serialize_with = "rfc3339")]
            time: i64,
            datacontenttype: &'static str,
            data: &'a Alert,
        }
        serde_json::to_string(&Envelope {
            specversion: "1.0",
            id: &self.id,
            source: "siem-bridge/detect",
            event_type: crate::event::validate::ALERT_TYPE,
            subject: &self.rule,
            time: self.last_time,
            datacontenttype: "application/json",
            data: self,
        })
        .expect("an alert serialises")
    }
}

/// Adds `v` to `list` when new and there is room; the bytes it added
/// (its text, and the list's buffer when it grew).
fn push(list: &mut Vec<String>, v: Option<&str>) -> usize {
    if let Some(v) = v {
        if list.len() < MAX_LIST && !list.iter().any(|x| x == v) {
            let (v, cap) = (v.to_owned(), list.capacity());
            let bytes = v.capacity();
            list.push(v);
            return bytes + (list.capacity() - cap) * size_of::<String>();
        }
    }
    0
}

/// `sb-` and 32 hex digits: FNV-1a of rule, key and start, and a second,
/// rotated FNV variant for the other 64 bits.
pub fn alert_id(rule: &str, group_key: &str, window_start: i64) -> String {
    let start = window_start.to_le_bytes();
    let parts: [&[u8]; 5] = [
        rule.as_bytes(),
        b"\x1f",
        group_key.as_bytes(),
        b"\x1f",
        &start,
    ];
    let h1 = parts.iter().fold(FNV_OFFSET, |h, p| fnv1a(h, p));
    let mut h2: u64 = 0x6c62_272e_07bb_0142;
    for &b in parts.iter().flat_map(|p| p.iter()) {
        h2 = (h2 ^ b as u64)
            .wrapping_mul(0x0000_0100_0000_01b3)
            .rotate_left(5);
    }
    format!("sb-{h1:016x}{h2:016x}")
}

/// A duration in words: `45 s`, `3 min`, `2 h`.
pub fn span_words(nanos: i64) -> String {
    let s = nanos.max(0) / 1_000_000_000;
    if s < 120 {
        format!("{s} s")
    } else if s < 7200 {
        format!("{} min", s / 60)
    } else {
        format!("{} h", s / 3600)
    }
}

/// FNV-1a's 64-bit offset basis.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a over `b`, continuing from `h` ([`FNV_OFFSET`] to start). Written
/// out because alert ids depend on it and must not change between
/// releases (std's hashers make no such promise).
pub fn fnv1a(mut h: u64, b: &[u8]) -> u64 {
    for &x in b {
        h = (h ^ x as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

mod event;
#[cfg(test)]
pub(crate) use event::asked;
#[cfg(test)]
mod tests;
