//! The fast path that builds the [`Envelope`] view in one pass over the
//! record, without serde.
//!
//! serde_json's typed parse was about 45 % of the core's cost: every key
//! and every skipped value goes through the generic visitor machinery. This
//! scanner reads the same JSON grammar with fixed code for the few keys we
//! know and a tight skip for everything else.
//!
//! It is only a fast path. Whenever a record is anything but plain — a
//! syntax error, a duplicate known key, an escape in a key or in a string
//! we keep, a number whose range serde_json would check — it answers `None`
//! and [`super::validate::parse`] falls back to serde_json, which then
//! decides (and words the dead-letter reason) exactly as before. So the rule
//! this file must keep is one-sided: when it answers `Some`, serde_json
//! accepts the record and builds an equal view (checked by a differential
//! test over the fixtures and generated records).
//!
//! The caller has checked UTF-8, so ASCII delimiters found byte by byte are
//! character boundaries. The scanner counts depth itself and gives up past
//! the limit: a record it accepts is never too deep, so the caller runs the
//! depth pre-check only on the serde_json path.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::escape::first_special;
use super::validate::MAX_DEPTH;

use super::view::{
    Acting, Address, AuthenticationInfo, AuthorizationInfo, CloudResource, Data, Envelope, Field,
    List, Obj, Request, RequestData, RequestMetadata, ResourceId, ResultInfo, Scope,
};

/// The view of `text`, or `None` when serde_json must decide.
pub fn envelope(text: &str) -> Option<Envelope<'_>> {
    let mut s = Scan {
        text,
        b: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    s.ws();
    let env = s.envelope()?;
    s.ws();
    (s.i == s.b.len()).then_some(env)
}

struct Scan<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    /// Open objects and arrays; past [`MAX_DEPTH`] the scanner gives up, so
    /// its recursion is bounded and serde_json's path (which checks the
    /// depth first) names the reason.
    depth: usize,
}

/// Marks key `bit` as seen; a second time means a duplicate field, which
/// serde reports, so the fast path gives up.
fn once(seen: &mut u32, bit: u32) -> Option<()> {
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

impl<'a> Scan<'a> {
    fn envelope(&mut self) -> Option<Envelope<'a>> {
        let mut e = Envelope {
            id: Field::Absent,
            source: Field::Absent,
            specversion: Field::Absent,
            event_type: Field::Absent,
            subject: Field::Absent,
            time: Field::Absent,
            data: Obj::Absent,
        };
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "id" => e.id = s.field(&mut seen, 1)?,
                "source" => e.source = s.field(&mut seen, 2)?,
                "specversion" => e.specversion = s.field(&mut seen, 4)?,
                "type" => e.event_type = s.field(&mut seen, 8)?,
                "subject" => e.subject = s.field(&mut seen, 16)?,
                "time" => e.time = s.field(&mut seen, 32)?,
                "data" => {
                    once(&mut seen, 64)?;
                    e.data = s.obj(Self::data)?;
                }
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(e)
    }

    fn data(&mut self) -> Option<Data<'a>> {
        let mut d = Data::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "serviceName" | "service_name" => d.service_name = s.field(&mut seen, 1)?,
                "methodName" | "method_name" => d.method_name = s.field(&mut seen, 2)?,
                "resourceName" | "resource_name" => d.resource_name = s.field(&mut seen, 4)?,
                "cloudResources" | "cloud_resources" => {
                    once(&mut seen, 8)?;
                    d.cloud_resources = s.list(Self::cloud_resource)?;
                }
                "authenticationInfo" | "authentication_info" => {
                    once(&mut seen, 16)?;
                    d.authentication_info = s.obj(Self::authentication)?;
                }
                "authorizationInfo" | "authorization_info" => {
                    once(&mut seen, 32)?;
                    d.authorization_info = s.obj(Self::authorization)?;
                }
                "request" => {
                    once(&mut seen, 64)?;
                    d.request = s.obj(Self::request)?;
                }
                "requestMetadata" | "request_metadata" => {
                    once(&mut seen, 128)?;
                    d.request_metadata = s.obj(Self::request_metadata)?;
                }
                "result" => {
                    once(&mut seen, 256)?;
                    d.result = s.obj(|s| {
                        let mut r = ResultInfo::default();
                        let mut seen = 0;
                        s.object(|s, key| {
                            match key {
                                "status" => r.status = s.field(&mut seen, 1)?,
                                _ => s.skip()?,
                            }
                            Some(())
                        })?;
                        Some(r)
                    })?;
                }
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(d)
    }

    fn cloud_resource(&mut self) -> Option<CloudResource<'a>> {
        let mut c = CloudResource::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "scope" => {
                    once(&mut seen, 1)?;
                    c.scope = s.obj(|s| {
                        let mut sc = Scope::default();
                        let mut seen = 0;
                        s.object(|s, key| {
                            match key {
                                "resources" => {
                                    once(&mut seen, 1)?;
                                    sc.resources = s.list(Self::resource_id)?;
                                }
                                _ => s.skip()?,
                            }
                            Some(())
                        })?;
                        Some(sc)
                    })?;
                }
                "resource" => {
                    once(&mut seen, 2)?;
                    c.resource = s.obj(Self::resource_id)?;
                }
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(c)
    }

    fn resource_id(&mut self) -> Option<ResourceId<'a>> {
        let mut r = ResourceId::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "type" => r.kind = s.field(&mut seen, 1)?,
                "resourceId" | "resource_id" => r.resource_id = s.field(&mut seen, 2)?,
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(r)
    }

    fn authentication(&mut self) -> Option<AuthenticationInfo<'a>> {
        let mut a = AuthenticationInfo::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "principal" => {
                    once(&mut seen, 1)?;
                    a.principal = s.raw()?;
                }
                "principalResourceId" => a.principal_resource_id = s.field(&mut seen, 2)?,
                "identity" => a.identity = s.field(&mut seen, 4)?,
                "result" => a.result = s.field(&mut seen, 8)?,
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(a)
    }

    fn authorization(&mut self) -> Option<AuthorizationInfo<'a>> {
        let mut a = AuthorizationInfo::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "granted" => a.granted = s.field(&mut seen, 1)?,
                "result" => a.result = s.field(&mut seen, 2)?,
                "operation" => a.operation = s.field(&mut seen, 4)?,
                "resourceType" | "resource_type" => a.resource_type = s.field(&mut seen, 8)?,
                "resourceName" | "resource_name" => a.resource_name = s.field(&mut seen, 16)?,
                "rbacAuthorization" => {
                    once(&mut seen, 32)?;
                    a.rbac = s.obj(Self::acting)?;
                }
                "aclAuthorization" => {
                    once(&mut seen, 64)?;
                    a.acl = s.obj(Self::acting)?;
                }
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(a)
    }

    fn acting(&mut self) -> Option<Acting<'a>> {
        let mut a = Acting::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "actingPrincipal" => {
                    once(&mut seen, 1)?;
                    a.acting_principal = s.raw()?;
                }
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(a)
    }

    fn request(&mut self) -> Option<Request<'a>> {
        let mut r = Request::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "accessType" | "access_type" => r.access_type = s.field(&mut seen, 1)?,
                "correlationId" => r.correlation_id_camel = s.field(&mut seen, 2)?,
                "correlation_id" => r.correlation_id_snake = s.field(&mut seen, 4)?,
                "clientId" => r.client_id_camel = s.field(&mut seen, 8)?,
                "client_id" => r.client_id_snake = s.field(&mut seen, 16)?,
                "data" => {
                    once(&mut seen, 32)?;
                    r.data = s.obj(|s| {
                        let mut d = RequestData::default();
                        let mut seen = 0;
                        s.object(|s, key| {
                            match key {
                                "role_name" => d.role_name = s.field(&mut seen, 1)?,
                                "roleName" => d.role_name_camel = s.field(&mut seen, 2)?,
                                _ => s.skip()?,
                            }
                            Some(())
                        })?;
                        Some(d)
                    })?;
                }
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(r)
    }

    fn request_metadata(&mut self) -> Option<RequestMetadata<'a>> {
        let mut m = RequestMetadata::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "clientAddress" => {
                    once(&mut seen, 1)?;
                    m.client_address_list = s.list(|s| {
                        let mut a = Address::default();
                        let mut seen = 0;
                        s.object(|s, key| {
                            match key {
                                "ip" => a.ip = s.field(&mut seen, 1)?,
                                _ => s.skip()?,
                            }
                            Some(())
                        })?;
                        Some(a)
                    })?;
                }
                "client_address" => m.client_address = s.field(&mut seen, 2)?,
                "clientId" => m.client_id = s.field(&mut seen, 4)?,
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(m)
    }
}

/// The JSON grammar: objects, values and their kinds.
impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// Enters an object or array at its opening bracket.
    fn open(&mut self, bracket: u8) -> Option<()> {
        self.eat(bracket)?;
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// At `{`: calls `value` for each key, positioned at its value (after
    /// whitespace); `value` must consume the value.
    fn object(&mut self, mut value: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.open(b'{')?;
        self.ws();
        if self.eat(b'}').is_some() {
            self.depth -= 1;
            return Some(());
        }
        loop {
            self.eat(b'"')?;
            let key = self.plain_string()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            value(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b'}' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A value that serde reads as [`Field`].
    fn field(&mut self, seen: &mut u32, bit: u32) -> Option<Field<'a>> {
        once(seen, bit)?;
        Some(match self.peek()? {
            b'"' => {
                self.i += 1;
                Field::Str(Cow::Borrowed(self.plain_string()?))
            }
            b'{' => {
                self.skip()?;
                Field::Object
            }
            b'[' => {
                self.skip()?;
                Field::Array
            }
            b't' => {
                self.literal(b"true")?;
                Field::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Field::Bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                Field::Null
            }
            _ => {
                self.checked_number()?;
                Field::Number
            }
        })
    }

    /// A value that serde reads as [`Obj<T>`]; `body` reads the object.
    fn obj<T>(&mut self, body: impl FnOnce(&mut Self) -> Option<T>) -> Option<Obj<T>> {
        Some(match self.peek()? {
            b'{' => Obj::Object(body(self)?),
            b'n' => {
                self.literal(b"null")?;
                Obj::Null
            }
            b'"' => {
                self.i += 1;
                self.plain_string()?;
                Obj::Other("a string")
            }
            b't' => {
                self.literal(b"true")?;
                Obj::Other("a boolean")
            }
            b'f' => {
                self.literal(b"false")?;
                Obj::Other("a boolean")
            }
            b'[' => {
                self.skip()?;
                Obj::Other("an array")
            }
            _ => {
                self.checked_number()?;
                Obj::Other("a number")
            }
        })
    }

    /// A value that serde reads as [`List<T>`]: the objects of an array.
    fn list<T>(&mut self, mut body: impl FnMut(&mut Self) -> Option<T>) -> Option<List<T>> {
        let mut out = Vec::new();
        match self.peek()? {
            b'[' => {
                self.open(b'[')?;
                self.ws();
                if self.eat(b']').is_some() {
                    self.depth -= 1;
                    return Some(List(out));
                }
                loop {
                    if let Obj::Object(t) = self.obj(&mut body)? {
                        out.push(t);
                    }
                    self.ws();
                    match self.peek()? {
                        b',' => {
                            self.i += 1;
                            self.ws();
                        }
                        b']' => {
                            self.i += 1;
                            self.depth -= 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => {
                self.i += 1;
                self.plain_string()?;
            }
            b'{' | b'n' | b't' | b'f' => self.skip()?,
            _ => self.checked_number()?,
        }
        Some(List(out))
    }

    /// An `Option<&RawValue>`: null is `None`, anything else its text.
    fn raw(&mut self) -> Option<Option<&'a RawValue>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        let start = self.i;
        self.skip()?;
        // Borrowing needs serde_json's own constructor; the value is short
        // (a principal) and known to be valid, so this cannot fail.
        serde_json::from_str(&self.text[start..self.i])
            .ok()
            .map(Some)
    }

    /// Skips any value as serde's `IgnoredAny` does.
    fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => {
                self.i += 1;
                self.skip_string()
            }
            b'{' => self.object(|s, _| s.skip()),
            b'[' => {
                self.open(b'[')?;
                self.ws();
                if self.eat(b']').is_some() {
                    self.depth -= 1;
                    return Some(());
                }
                loop {
                    self.skip()?;
                    self.ws();
                    match self.peek()? {
                        b',' => {
                            self.i += 1;
                            self.ws();
                        }
                        b']' => {
                            self.i += 1;
                            self.depth -= 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number().map(|_| ()),
        }
    }

    /// After the opening quote: a string without escapes, returned whole.
    fn plain_string(&mut self) -> Option<&'a str> {
        let start = self.i;
        let end = start + first_special(&self.b[start..])?;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        Some(&self.text[start..end])
    }

    /// After the opening quote: any valid string, skipped.
    fn skip_string(&mut self) -> Option<()> {
        loop {
            self.i += first_special(&self.b[self.i..])?;
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => {
                    self.i += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                        b'u' => {
                            let hex = self.b.get(self.i + 1..self.i + 5)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.i += 5;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// A number in a position serde reads as a value: serde_json converts
    /// it and fails when it overflows `f64`, so only numbers that surely
    /// fit are taken here.
    fn checked_number(&mut self) -> Option<()> {
        let (len, exponent) = self.number()?;
        (!exponent && len < 300).then_some(())
    }

    /// The number grammar of RFC 8259 §6; returns its length and whether
    /// it has an exponent.
    fn number(&mut self) -> Option<(usize, bool)> {
        let start = self.i;
        self.eat(b'-');
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.').is_some() {
            self.peek().filter(u8::is_ascii_digit)?;
            self.digits();
        }
        let exponent = matches!(self.peek(), Some(b'e' | b'E'));
        if exponent {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.peek().filter(u8::is_ascii_digit)?;
            self.digits();
        }
        Some((self.i - start, exponent))
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
    }
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
