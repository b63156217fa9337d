//! Fuzzing the syslog encoders (`docs/fuzzing.md`): events whose fields
//! hold arbitrary text give one message per event in every format, one
//! frame per message, no raw line break where the format forbids it, and
//! the mapped values escaped per spec (RFC 5424 §6.3.3, CEF, LEEF) so a
//! receiver reads back exactly the (capped) value. `FUZZ_CASES` sets the
//! budget.

use proptest::prelude::*;

use super::config::Framing;
use super::fields::{cap, FIELD_CAP_BYTES};
use super::*;
use crate::event::Disposition;
use crate::process::Processor;

fn cases(default: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    proptest::test_runner::Config::with_cases(cases)
}

fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{1,20}",
        "[\"\\\\\n\r|=^\\] a-z\u{0}-\u{1f}é😀\u{2028}]{1,20}",
        "[a-z=\\\\]{500,530}",
    ]
}

/// An event with `id`, `method` and principal `user` (all arbitrary).
fn event(id: &str, method: &str, user: &str, ip: &str) -> Option<Event> {
    let j = |s: &str| serde_json::to_string(s).unwrap();
    let text = format!(
        r#"{{"id":{},"source":"crn://confluent.cloud/","specversion":"1.0","type":"io.confluent.kafka.server/authorization","time":"2026-01-01T00:00:00Z","data":{{"methodName":{},"resourceName":"crn://confluent.cloud/organization=o|1/environment=e=2","authenticationInfo":{{"principal":{}}},"authorizationInfo":{{"granted":false}},"requestMetadata":{{"clientAddress":{}}}}}}}"#,
        j(id),
        j(method),
        j(&format!("User:{user}")),
        j(ip)
    );
    match Processor::default().process(text.as_bytes(), None, 0) {
        Disposition::Forward(e) => Some(e),
        _ => None,
    }
}

fn encoder(format: &str, max: usize) -> Encoder {
    let config: SyslogConfig = toml::from_str(&format!(
        "address = \"h:514\"\nhostname = \"bridge-1\"\nformat = \"{format}\"\nmax_message_bytes = {max}"
    ))
    .unwrap();
    Encoder::new(&config, "unused")
}

/// A CEF extension value read back: `\\`, `\=`, `\n`, `\r` undone.
fn cef_unescape(v: &str) -> String {
    let mut out = String::new();
    let mut it = v.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some(c) => out.push(c),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The value of `key` in a CEF extension: up to the next ` word=` that is
/// not escaped, i.e. the next unescaped `=` backed up to its key.
fn cef_value<'a>(ext: &'a str, key: &str) -> Option<&'a str> {
    let start = ext.find(&format!(" {key}="))? + key.len() + 2;
    let b = ext.as_bytes();
    let mut i = start;
    let mut end = ext.len();
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'=' => {
                // Back to the space before this key.
                end = ext[start..i].rfind(' ').map_or(start, |s| start + s);
                break;
            }
            _ => i += 1,
        }
    }
    Some(&ext[start..end])
}

/// RFC 5424 STRUCTURED-DATA with one element: its params (unescaped) and
/// the text after it; `None` when it does not parse.
fn parse_sd(sd: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut it = sd.strip_prefix('[')?.char_indices().peekable();
    let body = &sd[1..];
    let mut params = Vec::new();
    // SD-ID up to the first space or `]`.
    loop {
        match it.next()? {
            (i, ']') => return Some((params, &body[i + 1..])),
            (_, ' ') => break,
            _ => {}
        }
    }
    loop {
        let mut name = String::new();
        loop {
            match it.next()? {
                (_, '=') => break,
                (_, c) if c == ' ' || c == ']' || c == '"' => return None,
                (_, c) => name.push(c),
            }
        }
        if it.next()?.1 != '"' {
            return None;
        }
        let mut value = String::new();
        loop {
            match it.next()? {
                (_, '\\') => {
                    let (_, c) = it.next()?;
                    if !matches!(c, '"' | '\\' | ']') {
                        value.push('\\');
                    }
                    value.push(c);
                }
                (_, '"') => break,
                (_, ']') => return None, // must have been escaped
                (_, c) => value.push(c),
            }
        }
        params.push((name, value));
        match it.next()? {
            (_, ' ') => {}
            (i, ']') => return Some((params, &body[i + 1..])),
            _ => return None,
        }
    }
}

fn check_frame(message: &[u8]) {
    for framing in [Framing::OctetCounting, Framing::Lf] {
        let mut wire = Vec::new();
        frame::frame(&mut wire, message, framing);
        match framing {
            Framing::OctetCounting => {
                let sp = wire.iter().position(|&b| b == b' ').unwrap();
                let n: usize = std::str::from_utf8(&wire[..sp]).unwrap().parse().unwrap();
                assert_eq!(&wire[sp + 1..], message);
                assert_eq!(n, message.len());
            }
            Framing::Lf => {
                assert_eq!(wire.iter().filter(|&&b| b == b'\n').count(), 1);
                assert_eq!(wire.last(), Some(&b'\n'));
            }
        }
    }
}

proptest! {
    #![proptest_config(cases(500))]

    #[test]
    fn arbitrary_fields_encode_to_one_safe_message(
        id in nasty(), method in nasty(), user in nasty(), ip in nasty(),
        max in prop_oneof![Just(2048usize), Just(480), 200usize..100_000],
    ) {
        let Some(ev) = event(&id, &method, &user, &ip) else { return Ok(()) };
        for format in ["rfc5424", "rfc3164", "cef", "leef"] {
            let Ok(enc) = encoder(format, max).encode(&ev) else { continue };
            let msg = std::str::from_utf8(&enc.message).expect("UTF-8");
            prop_assert!(enc.message.len() <= max);
            check_frame(&enc.message);
            match format {
                // Octet counting carries any byte; LF framing escapes (above).
                "rfc5424" => {
                    // SD-PARAM values escape `"`, `\`, `]`: a receiver's
                    // parse gives back every (capped) value.
                    let sd = msg.splitn(7, ' ').nth(6).unwrap();
                    let (params, rest) = parse_sd(sd).expect("structured data parses");
                    prop_assert!(rest.starts_with(' '), "{}", msg);
                    let id = params.iter().find(|(k, _)| k == "id").map(|(_, v)| v.as_str());
                    prop_assert_eq!(id, Some(cap(ev.id(), FIELD_CAP_BYTES)));
                }
                "rfc3164" => prop_assert!(!msg.contains('\n'), "{}", msg),
                "cef" => {
                    prop_assert!(!msg.contains('\n') && !msg.contains('\r'), "{:?}", msg);
                    // The 7th unescaped `|` ends the header (an odd run of
                    // backslashes before it escapes it).
                    let ext_start = msg
                        .match_indices('|')
                        .filter(|(i, _)| msg[..*i].chars().rev().take_while(|&c| c == '\\').count() % 2 == 0)
                        .nth(6)
                        .map(|(i, _)| i)
                        .unwrap();
                    let ext = &msg[ext_start..];
                    let ext = format!(" {}", &ext[1..]);
                    let got = cef_value(&ext, "externalId").map(cef_unescape);
                    prop_assert_eq!(got.as_deref(), Some(cap(ev.id(), FIELD_CAP_BYTES)), "{}", msg);
                }
                _ => {
                    prop_assert!(!msg.contains('\n') && !msg.contains('\r'), "{:?}", msg);
                    // `^` only as the delimiter: attributes split cleanly.
                    // They start after the header's 6th `|` (the event id
                    // has its `|` replaced; a `^` in it is just text).
                    let (sixth, _) = msg.match_indices('|').nth(5).unwrap();
                    prop_assert_eq!(&msg[sixth - 2..=sixth], "|^|");
                    let attrs = &msg[sixth + 1..];
                    for a in attrs.split('^') {
                        prop_assert!(a.contains('='), "{}", a);
                    }
                }
            }
        }
    }
}

/// Found by the fuzzer (a test bug, not an encoder bug): a `^` as the
/// method puts a `^` in the LEEF header's EventID, which is allowed (the
/// header is split on `|`); the attributes still split cleanly on `^`.
#[test]
fn a_caret_in_the_leef_event_id_leaves_the_attributes_intact() {
    let ev = event("A", "^", "0", "\u{a81}").unwrap();
    let msg = String::from_utf8(encoder("leef", 1519).encode(&ev).unwrap().message).unwrap();
    assert!(
        msg.contains("LEEF:2.0|Confluent|Audit Log|1|^|^|devTime="),
        "{msg}"
    );
    assert!(msg.contains("^action=\\u005e^"), "{msg}");
}
