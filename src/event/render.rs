//! The bytes a sink receives: the original event, untouched, with one
//! top-level `enrichment` object added before its closing brace.
//!
//! Nothing is re-serialised from a parsed tree, so unknown fields at every
//! level, key order and integers beyond 2^53 pass through exactly. Two
//! rewrites happen only when needed: insignificant whitespace (a
//! pretty-printed record would break NDJSON framing downstream) is removed,
//! and `\uXXXX` escapes of characters that need no escaping (Gson writes `=`
//! as `\u003d`) are decoded, so what a SIEM indexes is `CN=alice`.

use super::Enrichment;

/// Writes `original` plus `"enrichment": enrichment` into `out`.
/// `original` must be a JSON object that validation accepted.
pub fn render(original: &str, enrichment: &Enrichment, out: &mut Vec<u8>) {
    let b = original.as_bytes();
    let start = out.len();
    if memchr::memchr2(b'\n', b'\r', b).is_some() {
        normalize(original, out);
    } else if memchr::memchr(b'\\', b).is_some() {
        decode_escapes(b, out);
    } else {
        out.extend_from_slice(original.trim_end().as_bytes());
    }
    // Drop the closing brace (and any trailing whitespace left before it).
    while out.len() > start && out.last() != Some(&b'}') {
        out.pop();
    }
    out.pop();
    let body = &out[start..];
    let empty = body.iter().rev().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !empty {
        out.push(b',');
    }
    out.extend_from_slice(b"\"enrichment\":");
    super::write::write_enrichment(enrichment, out);
    out.push(b'}');
}

/// Copies a JSON text, dropping whitespace outside strings and decoding
/// `\uXXXX` escapes of characters that JSON does not require escaped.
fn normalize(src: &str, out: &mut Vec<u8>) {
    let b = src.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if !in_str {
            match c {
                b' ' | b'\n' | b'\r' | b'\t' => {}
                b'"' => {
                    in_str = true;
                    out.push(c);
                }
                _ => out.push(c),
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                in_str = false;
                out.push(c);
                i += 1;
            }
            b'\\' => i += copy_escape(&b[i..], out),
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// Copies a one-line JSON text, decoding the `\uXXXX` escapes `normalize`
/// decodes, a run at a time. A backslash occurs only inside strings in
/// valid JSON, so no string state is needed; whitespace is left as it is
/// (there is no line break to remove).
fn decode_escapes(b: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'\\', &b[i..]) {
        out.extend_from_slice(&b[i..i + p]);
        i += p;
        i += copy_escape(&b[i..], out);
    }
    out.extend_from_slice(&b[i..]);
}

/// Copies the escape at the start of `b` (a backslash), decoding it when
/// it is a `\uXXXX` of a character that may appear unescaped. Returns how
/// many bytes of `b` it spans.
fn copy_escape(b: &[u8], out: &mut Vec<u8>) -> usize {
    if b.get(1) != Some(&b'u') {
        let end = b.len().min(2);
        out.extend_from_slice(&b[..end]);
        return end;
    }
    let (consumed, ch) = decode_escape(b);
    match ch {
        Some(ch) => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
        None => out.extend_from_slice(&b[..consumed]),
    }
    consumed
}

/// Decodes one `\uXXXX` (or a surrogate pair) at the start of `b`. Returns
/// how many bytes it spans and the character when it may appear unescaped.
fn decode_escape(b: &[u8]) -> (usize, Option<char>) {
    let Some(hi) = hex4(b, 2) else {
        return (2, None);
    };
    let (consumed, code) = if (0xD800..0xDC00).contains(&hi) {
        match (b.get(6..8), hex4(b, 8)) {
            (Some(b"\\u"), Some(lo)) if (0xDC00..0xE000).contains(&lo) => {
                (12, 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
            }
            _ => return (6, None),
        }
    } else {
        (6, hi)
    };
    match char::from_u32(code) {
        Some(ch) if ch >= ' ' && ch != '"' && ch != '\\' && ch != '\u{7f}' => (consumed, Some(ch)),
        _ => (consumed, None),
    }
}

fn hex4(b: &[u8], at: usize) -> Option<u32> {
    super::escape::hex4(b.get(at..)?)
}

#[cfg(test)]
mod tests;
