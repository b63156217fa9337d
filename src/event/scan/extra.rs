//! The scanner's readers for the detector's extra facts
//! ([`crate::event::extra`]): their values' byte ranges are kept, and
//! anything a typed parse of them might refuse makes the ranges unsure
//! instead of failing the record (these fields are not the view's).
//!
//! The typed parse they stand in for (`crate::detect::extras`) fails as a
//! whole on a duplicate key among its fields, and on a value it must
//! decode that it cannot: a string in an object's place is decoded
//! (escapes), a number is converted (range). Text values are decoded later
//! from their range, with the same code as that parse.

use super::{Extra, Scan};

impl<'a> Scan<'a> {
    /// Marks key `bit` as seen; a second time makes the ranges unsure.
    fn extra_once(&mut self, seen: &mut u32, bit: u32) {
        if *seen & bit != 0 {
            self.extra.unsure();
        }
        *seen |= bit;
    }

    /// A text value of `field`: its range is kept.
    pub(super) fn capture(&mut self, field: Extra, seen: &mut u32, bit: u32) -> Option<()> {
        self.extra_once(seen, bit);
        let start = self.i;
        self.skip()?;
        self.extra.set(field, start..self.i);
        Some(())
    }

    /// A value read as an object of extra facts by `body`; any other value
    /// is skipped (and, when the typed parse would have to decode or
    /// convert it, makes the ranges unsure).
    pub(super) fn extra_obj(
        &mut self,
        seen: &mut u32,
        bit: u32,
        body: impl FnOnce(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.extra_once(seen, bit);
        match self.peek()? {
            b'{' => body(self),
            b'"' => {
                self.i += 1;
                let start = self.i;
                self.skip_string()?;
                if self.b[start..self.i].contains(&b'\\') {
                    self.extra.unsure();
                }
                Some(())
            }
            b'[' | b't' | b'f' | b'n' => self.skip(),
            _ => {
                let (len, exponent) = self.number()?;
                if exponent || len >= 300 {
                    self.extra.unsure();
                }
                Some(())
            }
        }
    }

    /// `authenticationInfo.metadata`.
    pub(super) fn metadata(&mut self) -> Option<()> {
        self.one_text("identifier", Extra::Identifier)
    }

    /// `result.data`.
    pub(super) fn result_data(&mut self) -> Option<()> {
        self.one_text("errorType", Extra::ErrorType)
    }

    /// `authenticationInfo.credentials` (cloud dialect; the snake-case
    /// spellings of docs/audit-log-format.md §3B too, each the same field
    /// as its camel-case one: both in one record is a duplicate).
    pub(super) fn credentials(&mut self) -> Option<()> {
        let mut seen = 0;
        self.object(|s, key| match key {
            "idSecretCredentials" | "id_secret_credentials" => s.extra_obj(&mut seen, 1, |s| {
                let mut seen = 0;
                s.object(|s, key| match key {
                    "credentialId" | "credential_id" => {
                        s.capture(Extra::CredentialId, &mut seen, 1)
                    }
                    _ => s.skip(),
                })
            }),
            "idTokenCredentials" | "id_token_credentials" => {
                s.extra_obj(&mut seen, 2, |s| s.one_text("subject", Extra::TokenSubject))
            }
            "certificateCredentials" | "certificate_credentials" => {
                s.extra_obj(&mut seen, 4, |s| {
                    let mut seen = 0;
                    s.object(|s, key| match key {
                        "dname" => {
                            s.extra_obj(&mut seen, 1, |s| s.one_text("cn", Extra::CertificateCn))
                        }
                        _ => s.skip(),
                    })
                })
            }
            _ => s.skip(),
        })
    }

    /// An object of which only `name` is kept, as `field`.
    fn one_text(&mut self, name: &str, field: Extra) -> Option<()> {
        let mut seen = 0;
        self.object(|s, key| {
            if key == name {
                s.capture(field, &mut seen, 1)
            } else {
                s.skip()
            }
        })
    }
}
