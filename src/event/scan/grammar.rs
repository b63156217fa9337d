//! The JSON grammar for the scanner: objects, values and their kinds,
//! strings and numbers, each read the way serde reads the view's types
//! (see the parent module for the one-sided rule).

use std::borrow::Cow;

use super::{once, Scan};
use crate::event::escape::unescape_into;
use crate::event::validate::MAX_DEPTH;
use crate::event::view::{Field, List, Obj, RawJson};

impl<'a> Scan<'a> {
    pub(super) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    pub(super) fn ws(&mut self) {
        if let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.ws_run();
        }
    }

    /// The whitespace [`Self::ws`] met, its line breaks noted for
    /// rendering (`ExtraSpans::layout`). Out of line: audit records are
    /// nearly always compact, and a longer `ws` inlined at every member
    /// cost more than this call.
    #[cold]
    #[inline(never)]
    fn ws_run(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b' ' | b'\t' => {}
                b'\n' | b'\r' => self.extra.line_break(),
                _ => return,
            }
            self.i += 1;
        }
    }

    pub(super) fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// Enters an object or array at its opening bracket.
    pub(super) fn open(&mut self, bracket: u8) -> Option<()> {
        self.eat(bracket)?;
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// At `bracket` (`{` or `[`): enters the container and answers whether
    /// it has members (`false`: it was empty and is already closed).
    pub(super) fn open_container(&mut self, bracket: u8, close: u8) -> Option<bool> {
        self.open(bracket)?;
        self.ws();
        if self.eat(close).is_some() {
            self.depth -= 1;
            return Some(false);
        }
        Some(true)
    }

    /// After a member: `,` (another follows: `true`) or the closing
    /// bracket (the container is left: `false`); anything else is `None`.
    pub(super) fn next_member(&mut self, close: u8) -> Option<bool> {
        self.ws();
        match self.peek()? {
            b',' => {
                self.i += 1;
                self.ws();
                Some(true)
            }
            c if c == close => {
                self.i += 1;
                self.depth -= 1;
                Some(false)
            }
            _ => None,
        }
    }

    pub(super) fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// At `{`: calls `value` for each key, positioned at its value (after
    /// whitespace); `value` must consume the value.
    pub(super) fn object(
        &mut self,
        mut value: impl FnMut(&mut Self, &'a str) -> Option<()>,
    ) -> Option<()> {
        let mut more = self.open_container(b'{', b'}')?;
        while more {
            self.eat(b'"')?;
            let key = self.plain_string()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            value(self, key)?;
            more = self.next_member(b'}')?;
        }
        Some(())
    }

    /// A value that serde reads as [`Field`]. Inlined into the readers'
    /// key dispatch: about 18 calls an event, and measured cheaper so.
    #[inline(always)]
    pub(super) fn field(&mut self, seen: &mut u32, bit: u32) -> Option<Field<'a>> {
        once(seen, bit)?;
        Some(match self.peek()? {
            b'"' => {
                self.i += 1;
                match self.plain_string() {
                    Some(s) => Field::Str(Cow::Borrowed(s)),
                    None => Field::Str(Cow::Owned(self.escaped_string()?)),
                }
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

    /// A value that serde reads as [`Obj<T>`], into `slot`: an object is
    /// read by `body` into a default `T` built in place.
    pub(super) fn obj<T: Default>(
        &mut self,
        slot: &mut Obj<T>,
        body: impl FnOnce(&mut Self, &mut T) -> Option<()>,
    ) -> Option<()> {
        *slot = match self.peek()? {
            b'{' => {
                *slot = Obj::Object(T::default());
                let Obj::Object(t) = slot else {
                    unreachable!("just set")
                };
                return body(self, t);
            }
            b'n' => {
                self.literal(b"null")?;
                Obj::Null
            }
            _ => Obj::Other(self.not_object()?),
        };
        Some(())
    }

    /// A value that is neither an object nor null; returns its kind.
    fn not_object(&mut self) -> Option<&'static str> {
        Some(match self.peek()? {
            b'"' => {
                self.i += 1;
                self.plain_string()?;
                "a string"
            }
            b't' => {
                self.literal(b"true")?;
                "a boolean"
            }
            b'f' => {
                self.literal(b"false")?;
                "a boolean"
            }
            b'[' => {
                self.skip()?;
                "an array"
            }
            _ => {
                self.checked_number()?;
                "a number"
            }
        })
    }

    /// A value that serde reads as [`List<T>`], into `out`: the objects of
    /// an array, each read by `body` into a default `T` built in place.
    pub(super) fn list<T: Default>(
        &mut self,
        out: &mut List<T>,
        mut body: impl FnMut(&mut Self, &mut T) -> Option<()>,
    ) -> Option<()> {
        match self.peek()? {
            b'[' => {
                let mut more = self.open_container(b'[', b']')?;
                while more {
                    match self.peek()? {
                        b'{' => {
                            out.0.push(T::default());
                            let t = out.0.last_mut().expect("just pushed");
                            body(self, t)?;
                        }
                        b'n' => self.literal(b"null")?,
                        _ => {
                            self.not_object()?;
                        }
                    }
                    more = self.next_member(b']')?;
                }
            }
            b'"' => {
                self.i += 1;
                self.plain_string()?;
            }
            b'{' | b'n' | b't' | b'f' => self.skip()?,
            _ => self.checked_number()?,
        }
        Some(())
    }

    /// An `Option<RawJson>`: null is `None`, anything else its text.
    pub(super) fn raw(&mut self) -> Option<Option<RawJson<'a>>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        let start = self.i;
        self.skip()?;
        // `skip` accepted exactly one value, which serde_json accepts too
        // (the parent module's one-sided rule).
        Some(Some(RawJson::of_valid(self.text.get(start..self.i)?)))
    }

    /// Skips any value as serde's `IgnoredAny` does.
    pub(super) fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => {
                self.i += 1;
                self.skip_string()
            }
            b'{' => self.object(|s, _| s.skip()),
            b'[' => {
                let mut more = self.open_container(b'[', b']')?;
                while more {
                    self.skip()?;
                    more = self.next_member(b']')?;
                }
                Some(())
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number().map(|_| ()),
        }
    }

    /// After the opening quote: a string without escapes, returned whole.
    /// Inlined everywhere (about 50 calls an event): out of line, its
    /// call and register saves cost more than its body.
    #[inline(always)]
    pub(super) fn plain_string(&mut self) -> Option<&'a str> {
        let start = self.i;
        let end = self.next_special(start)?;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        // SAFETY: `start` follows an opening quote and `end` is a closing
        // one, both ASCII, so both are character boundaries of `text`, and
        // `start <= end <= text.len()` as `next_special` scans forward from
        // `start` and only answers positions inside the record.
        Some(unsafe { self.text.get_unchecked(start..end) })
    }

    /// After the opening quote of a string with escapes (Confluent
    /// Platform's Gson writes every `=` of a CRN as `\u003d`): the string
    /// decoded as serde_json decodes it ([`unescape_into`], as
    /// [`crate::event::escape::unescape`] decodes). A malformed escape or a
    /// control byte is `None`, and serde_json decides.
    ///
    /// One pass: the window finds each backslash and the closing quote,
    /// as for a plain string, and the runs between them are copied.
    #[cold]
    pub(super) fn escaped_string(&mut self) -> Option<String> {
        // The decoded string is no longer than its body, which ends at the
        // first quote unless an escaped quote comes before it (then the
        // string grows).
        let body = memchr::memchr(b'"', &self.b[self.i..]).unwrap_or(0);
        let mut out = String::with_capacity(body);
        let mut run = self.i;
        loop {
            let at = self.next_special(run)?;
            // Cuts at ASCII bytes (a quote, a backslash, an escape's end)
            // are character boundaries.
            out.push_str(self.text.get(run..at)?);
            match self.b[at] {
                b'"' => {
                    self.i = at + 1;
                    return Some(out);
                }
                b'\\' => {
                    self.extra.escape();
                    run = at + unescape_into(&self.b[at..], &mut out)?;
                }
                _ => return None,
            }
        }
    }

    /// After the opening quote: any valid string, skipped.
    pub(super) fn skip_string(&mut self) -> Option<()> {
        loop {
            self.i = self.next_special(self.i)?;
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => {
                    self.extra.escape();
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
    pub(super) fn checked_number(&mut self) -> Option<()> {
        let (len, exponent) = self.number()?;
        (!exponent && len < 300).then_some(())
    }

    /// The number grammar of RFC 8259 §6; returns its length and whether
    /// it has an exponent.
    pub(super) fn number(&mut self) -> Option<(usize, bool)> {
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

    pub(super) fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
    }
}
