//! One event → one syslog message (framing excluded), in the configured
//! format, never longer than `max_message_bytes`.
//!
//! Every format carries the enriched event as compact JSON at the end of
//! the message (RFC 5424/3164 MSG, CEF/LEEF `msg=`) plus a few mapped
//! fields up front for SIEM rules. Only the JSON is shrunk to fit
//! ([`super::truncate`]); the mapped fields are capped at
//! [`super::fields::FIELD_CAP_BYTES`] each, since the full values stay in the JSON.

use std::borrow::Cow;

use super::config::{Format, Framing, SyslogConfig};
use super::fields::syslog_severity;
use super::truncate::{self, TooLarge};
use super::{cef, frame, header, leef};
use crate::event::Event;

/// A message ready for framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub message: Vec<u8>,
    /// JSON paths of the fields cut to fit (also in `enrichment.truncated`).
    pub cut: Vec<String>,
}

/// Builds messages; cheap to share between tasks.
#[derive(Debug, Clone)]
pub struct Encoder {
    pub(super) format: Format,
    pub(super) facility: u8,
    pub(super) identity: header::Identity,
    /// RFC 3164 TAG: at most 32 characters of `[A-Za-z0-9_.-]`.
    pub(super) tag: String,
    pub(super) max_message_bytes: usize,
}

impl Encoder {
    /// `hostname` is used when the configuration names none.
    pub fn new(config: &SyslogConfig, default_hostname: &str) -> Encoder {
        let hostname = config.hostname.as_deref().unwrap_or(default_hostname);
        Encoder {
            format: config.format,
            facility: config.facility.0,
            identity: header::Identity {
                hostname: header::printable(hostname, 255),
                app_name: header::printable(&config.app_name, 48),
                sd_id: config.sd_id.clone(),
                bom: config.utf8_bom,
            },
            tag: config
                .app_name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                        c
                    } else {
                        '_'
                    }
                })
                .take(32)
                .collect(),
            max_message_bytes: config.max_message_bytes(),
        }
    }

    /// The message for `event`, or [`TooLarge`] when even with every
    /// string emptied it would exceed `max_message_bytes`.
    pub fn encode(&self, event: &Event) -> Result<Encoded, TooLarge> {
        let mut message = Vec::new();
        let cut = self.encode_into(event, &mut String::new(), &mut message, None)?;
        Ok(Encoded { message, cut })
    }

    /// [`Encoder::encode`] appended to `out`, framed when `framing` is set,
    /// with `head` as scratch (a send's buffers: no allocation or copy of
    /// the message per event). Returns the JSON paths cut to fit; on error
    /// `out` is left as it was.
    pub fn encode_into(
        &self,
        event: &Event,
        head: &mut String,
        out: &mut Vec<u8>,
        framing: Option<Framing>,
    ) -> Result<Vec<String>, TooLarge> {
        let e = &event.enrichment;
        let max = self.max_message_bytes;
        let too_large = TooLarge { budget: max };
        let pri = self.facility * 8 + syslog_severity(e.severity);
        head.clear();
        let escape: fn(&str) -> Cow<'_, str> = match self.format {
            Format::Rfc5424 => {
                header::rfc5424(head, pri, &self.identity, e);
                as_is
            }
            Format::Rfc3164 => {
                header::rfc3164(head, pri, &self.identity.hostname, e.time_unix_nanos);
                head.push_str(&self.tag);
                head.push_str(": ");
                as_is
            }
            Format::Cef => {
                header::rfc3164(head, pri, &self.identity.hostname, e.time_unix_nanos);
                cef::head(head, e);
                cef::escape_value
            }
            Format::Leef => {
                header::rfc3164(head, pri, &self.identity.hostname, e.time_unix_nanos);
                leef::head(head, e);
                leef::escape_json
            }
        };
        let mut room = max.checked_sub(head.len()).ok_or(too_large.clone())?;
        // Escaping can lengthen the JSON (CEF `\=`, LEEF `\u005e`): shrink
        // by the overshoot until it fits. Each round removes at least one
        // byte, and in practice one or two rounds suffice.
        loop {
            let fitted = truncate::fit(&event.json, room).map_err(|_| too_large.clone())?;
            let body = escape(&fitted.json);
            let len = head.len() + body.len();
            if len <= max {
                let parts = [head.as_bytes(), body.as_bytes()];
                match framing {
                    Some(f) => frame::frame_parts(out, &parts, f),
                    None => parts.iter().for_each(|p| out.extend_from_slice(p)),
                }
                return Ok(fitted.cut);
            }
            room = room
                .checked_sub(len - max)
                .filter(|r| *r > 0)
                .ok_or(too_large.clone())?;
        }
    }
}

fn as_is(json: &str) -> Cow<'_, str> {
    Cow::Borrowed(json)
}
