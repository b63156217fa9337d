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
    // The scanner saw every byte of the record it read: when it did, ask
    // it instead of searching the record twice more.
    let layout = enrichment.extras.layout(b);
    debug_assert!(layout.is_none_or(|l| l == searched(b)), "{original}");
    let (line_breaks, escapes) = layout.unwrap_or_else(|| searched(b));
    if line_breaks {
        normalize(original, out);
    } else if escapes {
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

/// Whether `b` holds a line break, and whether it holds a backslash.
fn searched(b: &[u8]) -> (bool, bool) {
    (
        memchr::memchr2(b'\n', b'\r', b).is_some(),
        memchr::memchr(b'\\', b).is_some(),
    )
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
///
/// The backslashes are found 64 bytes a step ([`backslashes`]): Gson
/// writes one every few dozen bytes (each `=` of a CRN), and a `memchr`
/// call for each paid its setup again.
fn decode_escapes(b: &[u8], out: &mut Vec<u8>) {
    // `b[i..]` is still to copy; `base` is the block the mask is of.
    let mut i = 0;
    let mut base = 0;
    while base < b.len() {
        let mut m = backslashes(b, base);
        while m != 0 {
            let p = base + m.trailing_zeros() as usize;
            m &= m - 1;
            if p < i {
                // Inside the escape just copied (the second backslash of
                // `\\`, one of a surrogate pair), which may run on from
                // the previous block.
                continue;
            }
            out.extend_from_slice(&b[i..p]);
            i = p + match printable_ascii(&b[p..]) {
                Some(c) => {
                    out.push(c);
                    6
                }
                None => copy_escape(&b[p..], out),
            };
        }
        base += 64;
    }
    out.extend_from_slice(&b[i..]);
}

/// Bit `k` set when `b[base + k]` is a backslash; bytes past the end of
/// `b` count as none.
#[inline]
fn backslashes(b: &[u8], base: usize) -> u64 {
    match b.get(base..base + 64) {
        Some(block) => block_mask(block.try_into().expect("64 bytes")),
        None => {
            let mut pad = [0u8; 64];
            let tail = &b[base..];
            pad[..tail.len()].copy_from_slice(tail);
            block_mask(&pad)
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn block_mask(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_set1_epi8};
    // SAFETY: SSE2 is part of the x86-64 baseline.
    super::escape::mask64(block, |v| unsafe {
        _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8))
    })
}

#[cfg(not(target_arch = "x86_64"))]
fn block_mask(block: &[u8; 64]) -> u64 {
    block
        .iter()
        .enumerate()
        .filter(|(_, &c)| c == b'\\')
        .fold(0, |m, (k, _)| m | 1 << k)
}

/// Copies the escape at the start of `b` (a backslash), decoding it when
/// it is a `\uXXXX` of a character that may appear unescaped. Returns how
/// many bytes of `b` it spans.
fn copy_escape(b: &[u8], out: &mut Vec<u8>) -> usize {
    if let Some(c) = printable_ascii(b) {
        out.push(c);
        return 6;
    }
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

/// Gson's `\u003d` and its kin at the start of `b`: a `\u00XX` of a
/// printable ASCII character other than `"` and `\`, which is written as
/// its byte (6 bytes of `b`), without the general decoding.
#[inline]
fn printable_ascii(b: &[u8]) -> Option<u8> {
    let [_, b'u', b'0', b'0', hi @ b'2'..=b'7', lo, ..] = *b else {
        return None;
    };
    let c = (hi - b'0') << 4 | (lo as char).to_digit(16)? as u8;
    (c != b'"' && c != b'\\' && c != 0x7f).then_some(c)
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
