//! A hand-written JSON writer for [`Enrichment`], used on the hot path.
//!
//! serde_json's serializer escapes strings byte by byte; almost no string of
//! an enrichment needs escaping, and the enrichment's text knows when none
//! does (see [`super::enrichment`]), so this writer copies each string
//! between quotes. The reference is serde_json: a test rebuilds the object
//! from the accessors with `json!` and compares, for every fixture line.

use std::fmt;

use serde::{Serialize, Serializer};

use super::enrichment::{CrnSpans, Enrichment, PrincipalSpans, Span, Text};
use super::time::rfc3339_nanos;
use put::{put, room};

mod put;

/// A member name as written after a previous member: `,"name":`, and
/// the same with what follows most often glued on, so that a member is
/// one constant copy plus its value.
#[derive(Clone, Copy)]
struct Key {
    /// `,"name":`
    plain: &'static str,
    /// `,"name":"` (a string value follows)
    open: &'static str,
    /// `,"name":null`
    null: &'static str,
}

macro_rules! key {
    ($name:literal) => {
        Key {
            plain: concat!(",\"", $name, "\":"),
            open: concat!(",\"", $name, "\":\""),
            null: concat!(",\"", $name, "\":null"),
        }
    };
}

/// Appends `e` as a JSON object to `out`.
pub fn write_enrichment(e: &Enrichment, out: &mut Vec<u8>) {
    out.reserve(e.text.buf.len() + 1024);
    let mut w = Obj::new(out, &e.text);
    w.str(key!("event_id"), e.event_id);
    w.str(key!("type"), e.event_type);
    w.name(key!("dialect"), e.dialect.as_str());
    w.opt(key!("method"), e.method);
    w.opt(key!("service"), e.service);
    w.member(key!("time").open, &rfc3339_nanos(e.time.0), b"\"");
    w.int(key!("time_unix_nanos"), e.time_unix_nanos);
    w.name(key!("time_source"), e.time_source.as_str());
    w.name(key!("severity"), e.severity.as_str());
    w.name(key!("verdict"), e.verdict.as_str());
    w.bool(key!("failed_auth"), e.failed_auth);
    w.bool(key!("request_failed"), e.request_failed);
    w.key(key!("principal").plain);
    principal(&e.principal, w.text, w.out);
    w.key(key!("crn").plain);
    crn(&e.crn, w.text, w.out);
    w.opt(key!("operation"), e.operation);
    w.opt(key!("resource_type"), e.resource_type);
    w.opt(key!("resource_name"), e.resource_name);
    w.opt(key!("access_type"), e.access_type);
    w.opt(key!("role"), e.role);
    w.opt(key!("source_ip"), e.source_ip);
    w.opt(key!("client_id"), e.client_id);
    w.opt(key!("correlation_id"), e.correlation_id);
    match &e.kafka {
        None => w.key(key!("kafka").null),
        Some(k) => {
            w.key(key!("kafka").plain);
            let mut kw = Obj::new(w.out, w.text);
            kw.str(key!("topic"), k.topic);
            kw.int(key!("partition"), k.partition as i64);
            kw.int(key!("offset"), k.offset);
            match k.timestamp {
                Some(t) => kw.int(key!("timestamp"), t),
                None => kw.key(key!("timestamp").null),
            }
            kw.end();
        }
    }
    w.end();
}

fn principal(p: &PrincipalSpans, text: &Text, out: &mut Vec<u8>) {
    let mut w = Obj::new(out, text);
    w.opt(key!("normalized"), p.normalized);
    match p.raw {
        Some(raw) => {
            let bytes = text.bytes(raw);
            // An object principal of a pretty-printed record holds line
            // breaks; outside strings (JSON strings cannot hold raw ones)
            // they are whitespace, dropped so the event stays on one line.
            // A string principal (the broker dialect's) cannot hold one.
            if bytes.first() != Some(&b'"') && memchr::memchr2(b'\n', b'\r', bytes).is_some() {
                w.key(key!("raw").plain);
                w.out
                    .extend(bytes.iter().filter(|b| !matches!(b, b'\n' | b'\r')));
            } else {
                w.member(key!("raw").plain, bytes, b"");
            }
        }
        None => w.key(key!("raw").null),
    }
    match p.kind {
        Some(k) => w.name(key!("kind"), k.as_str()),
        None => w.key(key!("kind").null),
    }
    w.opt(key!("email"), p.email);
    w.opt(key!("identity"), p.identity);
    w.opt(key!("acting"), p.acting);
    w.end();
}

fn crn(c: &CrnSpans, text: &Text, out: &mut Vec<u8>) {
    let mut w = Obj::new(out, text);
    match c.field {
        Some(f) => w.name(key!("field"), f.as_str()),
        None => w.key(key!("field").null),
    }
    w.opt(key!("raw"), c.raw);
    w.opt(key!("authority"), c.authority);
    w.bool(key!("valid"), c.valid);
    match &c.components {
        None => w.key(key!("components").null),
        Some(list) => {
            w.key(key!("components").plain);
            if text.clean {
                components_clean(list, text, w.out);
            } else {
                w.out.push(b'[');
                for (i, &(k, v)) in list.iter().enumerate() {
                    if i > 0 {
                        w.out.push(b',');
                    }
                    w.out.push(b'[');
                    w.string(k);
                    w.out.push(b',');
                    w.string(v);
                    w.out.push(b']');
                }
                w.out.push(b']');
            }
        }
    }
    w.opt(key!("organization"), c.organization);
    w.opt(key!("environment"), c.environment);
    w.opt(key!("cluster"), c.cluster);
    w.opt(key!("resource_type"), c.resource_type);
    w.opt(key!("resource_name"), c.resource_name);
    w.bool(key!("is_pattern"), c.is_pattern);
    w.end();
}

/// `[["k","v"],…]` of a clean text (nothing to escape): one capacity check
/// per pair.
#[inline(always)]
fn components_clean(list: &[(Span, Span)], text: &Text, out: &mut Vec<u8>) {
    // `[` then each pair as `["k","v"],`, the last comma turned into `]`
    // (`[]` when there is none).
    room(out, 2);
    // SAFETY: `room` made space for each `put` of its block.
    unsafe { put(out, b"[") };
    for &(k, v) in list {
        let (k, v) = (text.bytes(k), text.bytes(v));
        room(out, k.len() + v.len() + 8);
        unsafe {
            put(out, b"[\"");
            put(out, k);
            put(out, b"\",\"");
            put(out, v);
            put(out, b"\"],");
        }
    }
    if list.is_empty() {
        out.push(b']');
    } else {
        *out.last_mut().expect("a pair was written") = b']';
    }
}

/// Writes a JSON string, copying it whole when it needs no escaping.
pub fn string(s: &str, out: &mut Vec<u8>) {
    let b = s.as_bytes();
    if super::escape::first_special(b).is_some() {
        serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
    } else {
        out.reserve(b.len() + 2);
        out.push(b'"');
        out.extend_from_slice(b);
        out.push(b'"');
    }
}

/// A string read from `e` (through its accessors, or an enum name): copied
/// whole between quotes when the enrichment's strings need no escaping
/// (almost always), [`string`] otherwise.
#[inline]
pub fn enrichment_string(e: &Enrichment, s: &str, out: &mut Vec<u8>) {
    if e.strings_clean() {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        string(s, out);
    }
}

struct Obj<'a> {
    out: &'a mut Vec<u8>,
    text: &'a Text,
    first: bool,
}

// Each member below is one capacity check (`room`) and then unchecked
// copies (`put`): `extend_from_slice` and `push` checked the capacity and
// stored the length for every piece, about 130 times per event, and called
// `memcpy` for every value.
impl<'a> Obj<'a> {
    fn new(out: &'a mut Vec<u8>, text: &'a Text) -> Obj<'a> {
        out.push(b'{');
        Obj {
            out,
            text,
            first: true,
        }
    }
    /// `k` is `,"name":` (see [`key!`]); the comma is left out before the
    /// first member.
    #[inline(always)]
    fn key_bytes(&mut self, k: &'static str) -> &'static [u8] {
        let k = k.as_bytes();
        let k = if self.first { &k[1..] } else { k };
        self.first = false;
        k
    }
    #[inline(always)]
    fn key(&mut self, k: &'static str) {
        let k = self.key_bytes(k);
        room(self.out, k.len());
        // SAFETY: `room` made space for `k`.
        unsafe { put(self.out, k) };
    }
    /// Key `k`, then `v`, then `tail`: one capacity check for the three.
    #[inline(always)]
    fn member(&mut self, k: &'static str, v: &[u8], tail: &'static [u8]) {
        let k = self.key_bytes(k);
        room(self.out, k.len() + v.len() + tail.len());
        // SAFETY: `room` made space for the three.
        unsafe {
            put(self.out, k);
            put(self.out, v);
            put(self.out, tail);
        }
    }
    /// A string of the text: copied between quotes when the text is clean
    /// (nothing in it needs escaping), escaped otherwise.
    #[inline(always)]
    fn string(&mut self, s: Span) {
        if self.text.clean {
            let v = self.text.bytes(s);
            room(self.out, v.len() + 2);
            // SAFETY: `room` made space for the three.
            unsafe {
                put(self.out, b"\"");
                put(self.out, v);
                put(self.out, b"\"");
            }
        } else {
            string(self.text.get(s), self.out);
        }
    }
    #[inline(always)]
    fn str(&mut self, k: Key, v: Span) {
        if self.text.clean {
            self.member(k.open, self.text.bytes(v), b"\"");
        } else {
            self.key(k.plain);
            string(self.text.get(v), self.out);
        }
    }
    #[inline(always)]
    fn opt(&mut self, k: Key, v: Option<Span>) {
        match v {
            Some(v) => self.str(k, v),
            None => self.key(k.null),
        }
    }
    #[inline(always)]
    fn raw(&mut self, k: Key, json: &str) {
        self.member(k.plain, json.as_bytes(), b"");
    }
    /// A string known to need no escaping (enum names).
    #[inline(always)]
    fn name(&mut self, k: Key, v: &str) {
        self.member(k.open, v.as_bytes(), b"\"");
    }
    #[inline(always)]
    fn int(&mut self, k: Key, v: i64) {
        let mut buf = itoa::Buffer::new();
        self.member(k.plain, buf.format(v).as_bytes(), b"");
    }
    #[inline(always)]
    fn bool(&mut self, k: Key, v: bool) {
        self.raw(k, if v { "true" } else { "false" });
    }
    fn end(self) {
        self.out.push(b'}');
    }
}

impl Enrichment {
    /// The enrichment as one JSON object.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(self.text.buf.len() + 1024);
        write_enrichment(self, &mut out);
        String::from_utf8(out).expect("the enrichment writer writes UTF-8")
    }
}

impl fmt::Debug for Enrichment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Enrichment({})", self.to_json())
    }
}

impl Serialize for Enrichment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = serde_json::value::RawValue::from_string(self.to_json())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

#[cfg(test)]
mod tests;
