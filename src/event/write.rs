//! A hand-written JSON writer for [`Enrichment`], used on the hot path.
//!
//! serde_json's serializer escapes strings byte by byte; most of our
//! strings (ids, CRNs, method names) need no escaping at all, so this writer
//! checks a whole string at once and copies it. The `Serialize` derive stays
//! the reference: a test checks both give the same JSON for every fixture.

use super::crn::CrnInfo;
use super::enrich::Enrichment;
use super::principal::PrincipalInfo;
use super::time::write_rfc3339_nanos;

/// A member name as written after a previous member: `,"name":`.
macro_rules! key {
    ($name:literal) => {
        concat!(",\"", $name, "\":")
    };
}

/// Appends `e` as a JSON object to `out`.
pub fn write_enrichment(e: &Enrichment, out: &mut Vec<u8>) {
    let mut w = Obj::new(out);
    w.str(key!("event_id"), &e.event_id);
    w.str(key!("type"), &e.event_type);
    w.name(key!("dialect"), e.dialect.as_str());
    w.opt(key!("method"), e.method.as_deref());
    w.opt(key!("service"), e.service.as_deref());
    w.key(key!("time"));
    w.out.push(b'"');
    write_rfc3339_nanos(e.time.0, w.out);
    w.out.push(b'"');
    w.int(key!("time_unix_nanos"), e.time_unix_nanos);
    w.name(key!("time_source"), e.time_source.as_str());
    w.name(key!("severity"), e.severity.as_str());
    w.name(key!("verdict"), e.verdict.as_str());
    w.bool(key!("failed_auth"), e.failed_auth);
    w.bool(key!("request_failed"), e.request_failed);
    w.key(key!("principal"));
    principal(&e.principal, w.out);
    w.key(key!("crn"));
    crn(&e.crn, w.out);
    w.opt(key!("operation"), e.operation.as_deref());
    w.opt(key!("resource_type"), e.resource_type.as_deref());
    w.opt(key!("resource_name"), e.resource_name.as_deref());
    w.opt(key!("access_type"), e.access_type.as_deref());
    w.opt(key!("role"), e.role.as_deref());
    w.opt(key!("source_ip"), e.source_ip.as_deref());
    w.opt(key!("client_id"), e.client_id.as_deref());
    w.opt(key!("correlation_id"), e.correlation_id.as_deref());
    w.key(key!("kafka"));
    match &e.kafka {
        None => w.out.extend_from_slice(b"null"),
        Some(k) => {
            let mut kw = Obj::new(w.out);
            kw.str(key!("topic"), &k.topic);
            kw.int(key!("partition"), k.partition as i64);
            kw.int(key!("offset"), k.offset);
            match k.timestamp {
                Some(t) => kw.int(key!("timestamp"), t),
                None => kw.raw(key!("timestamp"), "null"),
            }
            kw.end();
        }
    }
    w.end();
}

fn principal(p: &PrincipalInfo, out: &mut Vec<u8>) {
    let mut w = Obj::new(out);
    w.opt(key!("normalized"), p.normalized.as_deref());
    w.key(key!("raw"));
    match &p.raw {
        Some(raw) => w.out.extend_from_slice(raw.get().as_bytes()),
        None => w.out.extend_from_slice(b"null"),
    }
    match p.kind {
        Some(k) => w.name(key!("kind"), k.as_str()),
        None => w.raw(key!("kind"), "null"),
    }
    w.opt(key!("email"), p.email.as_deref());
    w.opt(key!("identity"), p.identity.as_deref());
    w.opt(key!("acting"), p.acting.as_deref());
    w.end();
}

fn crn(c: &CrnInfo, out: &mut Vec<u8>) {
    let mut w = Obj::new(out);
    match c.field {
        Some(f) => w.name(key!("field"), f.as_str()),
        None => w.raw(key!("field"), "null"),
    }
    w.opt(key!("raw"), c.raw.as_deref());
    w.opt(key!("authority"), c.authority.as_deref());
    w.bool(key!("valid"), c.valid);
    w.key(key!("components"));
    match &c.components {
        None => w.out.extend_from_slice(b"null"),
        Some(list) => {
            w.out.push(b'[');
            for (i, (k, v)) in list.iter().enumerate() {
                if i > 0 {
                    w.out.push(b',');
                }
                w.out.push(b'[');
                string(k, w.out);
                w.out.push(b',');
                string(v, w.out);
                w.out.push(b']');
            }
            w.out.push(b']');
        }
    }
    w.opt(key!("organization"), c.organization.as_deref());
    w.opt(key!("environment"), c.environment.as_deref());
    w.opt(key!("cluster"), c.cluster.as_deref());
    w.opt(key!("resource_type"), c.resource_type.as_deref());
    w.opt(key!("resource_name"), c.resource_name.as_deref());
    w.bool(key!("is_pattern"), c.is_pattern);
    w.end();
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

struct Obj<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut Vec<u8>) -> Obj<'a> {
        out.push(b'{');
        Obj { out, first: true }
    }
    /// `k` is `,"name":` (see [`key!`]); the comma is left out before the
    /// first member. One copy per key: this runs about 45 times per event.
    fn key(&mut self, k: &'static str) {
        let k = if self.first { &k[1..] } else { k };
        self.first = false;
        self.out.extend_from_slice(k.as_bytes());
    }
    fn str(&mut self, k: &'static str, v: &str) {
        self.key(k);
        string(v, self.out);
    }
    fn opt(&mut self, k: &'static str, v: Option<&str>) {
        self.key(k);
        match v {
            Some(v) => string(v, self.out),
            None => self.out.extend_from_slice(b"null"),
        }
    }
    fn raw(&mut self, k: &'static str, json: &str) {
        self.key(k);
        self.out.extend_from_slice(json.as_bytes());
    }
    /// A string known to need no escaping (enum names).
    fn name(&mut self, k: &'static str, v: &str) {
        self.key(k);
        self.out.push(b'"');
        self.out.extend_from_slice(v.as_bytes());
        self.out.push(b'"');
    }
    fn int(&mut self, k: &'static str, v: i64) {
        self.key(k);
        let mut buf = itoa::Buffer::new();
        self.out.extend_from_slice(buf.format(v).as_bytes());
    }
    fn bool(&mut self, k: &'static str, v: bool) {
        self.raw(k, if v { "true" } else { "false" });
    }
    fn end(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_needing_escapes_are_escaped() {
        let mut out = Vec::new();
        string("a\"b\u{1}é", &mut out);
        string("plain é", &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), r#""a\"b\u0001é""plain é""#);
    }
}
