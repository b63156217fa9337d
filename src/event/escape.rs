//! Finding the bytes JSON treats specially inside a string: `"`, `\` and
//! control characters.
//!
//! Both the scanner (where does this string end?) and the enrichment writer
//! (can this string be copied whole?) ask this for every string of every
//! event, about 3 KB per event, so it is done 16 bytes per step with SSE2
//! (always present on x86-64), 8 bytes per step elsewhere.

/// Bit `k` set when byte `k` of `block` is one `pick` marks: `pick` turns
/// 16 loaded bytes into a compare result (0xff where marked). Four SSE2
/// steps; the scanner's window and render's backslashes are built on it.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn mask64(
    block: &[u8; 64],
    pick: impl Fn(std::arch::x86_64::__m128i) -> std::arch::x86_64::__m128i,
) -> u64 {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_movemask_epi8};
    let mut mask = 0;
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of the x86-64 baseline, and the load reads
        // exactly the 16 bytes of `chunk` (unaligned load).
        let bits =
            unsafe { _mm_movemask_epi8(pick(_mm_loadu_si128(chunk.as_ptr().cast::<__m128i>()))) };
        // movemask sets only the low 16 bits.
        mask |= u64::from(bits as u16) << (16 * k);
    }
    mask
}

/// The offset of the first `"`, `\` or byte below 0x20 in `b`.
pub fn first_special(b: &[u8]) -> Option<usize> {
    let mut at = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        while let Some(chunk) = b.get(at..at + 16) {
            // SAFETY: SSE2 is part of the x86-64 baseline, and the load
            // reads exactly the 16 bytes of `chunk` (unaligned load).
            let mask = unsafe {
                let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
                let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
                let slash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
                // v <= 0x1f exactly when max(v, 0x1f) == 0x1f (unsigned).
                let low = _mm_set1_epi8(0x1f);
                let ctrl = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low);
                _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, slash), ctrl))
            };
            if mask != 0 {
                return Some(at + mask.trailing_zeros() as usize);
            }
            at += 16;
        }
    }
    const ONES: u64 = u64::MAX / 255;
    while let Some(chunk) = b.get(at..at + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        // Mycroft's test, as serde_json uses it: the lowest flagged byte is
        // always a true hit.
        let ctrl = w.wrapping_sub(ONES * 0x20) & !w;
        let q = w ^ (ONES * u64::from(b'"'));
        let quote = q.wrapping_sub(ONES) & !q;
        let s = w ^ (ONES * u64::from(b'\\'));
        let slash = s.wrapping_sub(ONES) & !s;
        let hits = (ctrl | quote | slash) & (ONES << 7);
        if hits != 0 {
            return Some(at + hits.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    b[at..].iter().position(|&c| is_special(c)).map(|p| at + p)
}

/// Four hex digits (either case), as JSON reads them after `\u`.
pub fn hex4(digits: &[u8]) -> Option<u32> {
    let digits: &[u8; 4] = digits.get(..4)?.try_into().ok()?;
    digits
        .iter()
        .try_fold(0, |n, &d| Some(n * 16 + (d as char).to_digit(16)?))
}

/// The value of a JSON string's body (the text between its quotes),
/// decoded as serde_json decodes it; `None` for a malformed escape (a lone
/// surrogate, a bad hex digit, an unknown letter), where serde_json
/// decides and words the reason. The body must hold no raw `"` or control
/// byte (the callers took it from validated JSON).
///
/// That precondition lets [`first_special`] find the backslashes: its
/// inline 16-byte steps cost less than a `memchr` call for the short runs
/// between Gson's escapes (a CRN has one `\u003d` every 15 to 40 bytes).
/// An escape of an ASCII character (`\u003d`, `\/`) is appended as its
/// byte, without the general decoding.
pub fn unescape(body: &str) -> Option<String> {
    let b = body.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while let Some(p) = first_special(&b[i..]) {
        debug_assert_eq!(b[i + p], b'\\', "{body:?}");
        // Cuts at ASCII bytes are character boundaries.
        out.push_str(body.get(i..i + p)?);
        i += p + unescape_into(&b[i + p..], &mut out)?;
    }
    out.push_str(body.get(i..)?);
    Some(out)
}

/// Decodes the escape at the start of `b` (a backslash) onto `out`, as
/// [`unescape`] does; returns its length, or `None` when it is malformed.
#[inline]
pub fn unescape_into(b: &[u8], out: &mut String) -> Option<usize> {
    match ascii_escape(b) {
        Some((c, used)) => {
            out.push(char::from(c));
            Some(used)
        }
        None => {
            let (c, used) = unescape_one(b)?;
            out.push(c);
            Some(used)
        }
    }
}

/// The escape at the start of `b` (a backslash) when it stands for an
/// ASCII character: the byte and the escape's length. `None` sends the
/// caller to the general decoding (non-ASCII, surrogates, malformed).
#[inline]
pub fn ascii_escape(b: &[u8]) -> Option<(u8, usize)> {
    match *b.get(1)? {
        b'u' => match b.get(2..6)? {
            [b'0', b'0', hi @ b'0'..=b'7', lo] => {
                let lo = (*lo as char).to_digit(16)? as u8;
                Some(((hi - b'0') << 4 | lo, 6))
            }
            _ => None,
        },
        b'"' => Some((b'"', 2)),
        b'\\' => Some((b'\\', 2)),
        b'/' => Some((b'/', 2)),
        b'n' => Some((b'\n', 2)),
        b't' => Some((b'\t', 2)),
        b'r' => Some((b'\r', 2)),
        _ => None,
    }
}

/// The escape at the start of `b` (a backslash): its character and length.
fn unescape_one(b: &[u8]) -> Option<(char, usize)> {
    Some(match *b.get(1)? {
        b'"' => ('"', 2),
        b'\\' => ('\\', 2),
        b'/' => ('/', 2),
        b'b' => ('\u{8}', 2),
        b'f' => ('\u{c}', 2),
        b'n' => ('\n', 2),
        b'r' => ('\r', 2),
        b't' => ('\t', 2),
        b'u' => match hex4(b.get(2..)?)? {
            hi @ 0xD800..=0xDBFF => {
                if b.get(6..8)? != b"\\u" {
                    return None;
                }
                let lo = hex4(b.get(8..)?)?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return None;
                }
                (
                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?,
                    12,
                )
            }
            0xDC00..=0xDFFF => return None,
            c => (char::from_u32(c)?, 6),
        },
        _ => return None,
    })
}

fn is_special(c: u8) -> bool {
    c < 0x20 || c == b'"' || c == b'\\'
}

#[cfg(test)]
mod tests;
