//! Finding the bytes JSON treats specially inside a string: `"`, `\` and
//! control characters.
//!
//! Both the scanner (where does this string end?) and the enrichment writer
//! (can this string be copied whole?) ask this for every string of every
//! event, about 3 KB per event, so it is done 16 bytes per step with SSE2
//! (always present on x86-64), 8 bytes per step elsewhere.

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

fn is_special(c: u8) -> bool {
    c < 0x20 || c == b'"' || c == b'\\'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_special_byte_at_every_position() {
        for len in 0..40 {
            let plain: Vec<u8> = (0..len).map(|i| b" a~\x7f\x80\xc3\xff#"[i % 8]).collect();
            assert_eq!(first_special(&plain), None, "{len}");
            for at in 0..len {
                for c in (0u8..0x20).chain([b'"', b'\\']) {
                    let mut b = plain.clone();
                    b[at] = c;
                    // A later special byte must not hide the first one.
                    if at + 1 < len {
                        b[len - 1] = b'"';
                    }
                    assert_eq!(first_special(&b), Some(at), "{c:#x} at {at} of {len}");
                }
            }
        }
    }
}
