//! Where a CRN's separators are: its `/` and `=`, found 16 bytes a step
//! (SSE2, part of the x86-64 baseline) rather than with one `memchr2`
//! call each. A cloud CRN has about ten separators a few bytes apart, and
//! each call paid its setup again.

/// Calls `f(position, byte)` for each `/` and `=` of `b`, in order.
#[inline]
pub(super) fn for_each(b: &[u8], mut f: impl FnMut(usize, u8)) {
    let mut at = 0;
    while at < b.len() {
        let mut m = match b.get(at..at + 16) {
            Some(chunk) => mask(chunk.try_into().expect("16 bytes")),
            None => {
                // The last, partial chunk, padded with bytes that are not
                // separators.
                let mut pad = [0u8; 16];
                pad[..b.len() - at].copy_from_slice(&b[at..]);
                mask(&pad)
            }
        };
        while m != 0 {
            let k = at + m.trailing_zeros() as usize;
            f(k, b[k]);
            m &= m - 1;
        }
        at += 16;
    }
}

/// Bit `k` set when `chunk[k]` is `/` or `=`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn mask(chunk: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86-64 baseline, and the load reads
    // exactly the 16 bytes of `chunk` (unaligned load).
    let bits = unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
        let slash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'/' as i8));
        let eq = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'=' as i8));
        _mm_movemask_epi8(_mm_or_si128(slash, eq))
    };
    // movemask sets only the low 16 bits.
    u32::from(bits as u16)
}

/// Bit `k` set when `chunk[k]` is `/` or `=`.
#[cfg(not(target_arch = "x86_64"))]
fn mask(chunk: &[u8; 16]) -> u32 {
    chunk
        .iter()
        .enumerate()
        .filter(|(_, &c)| c == b'/' || c == b'=')
        .fold(0, |m, (k, _)| m | 1 << k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(b: &[u8]) -> Vec<(usize, u8)> {
        b.iter()
            .enumerate()
            .filter(|(_, &c)| c == b'/' || c == b'=')
            .map(|(k, &c)| (k, c))
            .collect()
    }

    fn found(b: &[u8]) -> Vec<(usize, u8)> {
        let mut v = Vec::new();
        for_each(b, |k, c| v.push((k, c)));
        v
    }

    /// Every length around the 16-byte steps, a separator of each kind at
    /// every position, beside non-ASCII bytes and bytes one off `/` and `=`.
    #[test]
    fn finds_every_separator_in_order() {
        for len in 0..50 {
            let plain: Vec<u8> = (0..len).map(|i| b"a.0>\xc3\xa9<%"[i % 8]).collect();
            assert_eq!(found(&plain), [], "{len}");
            for at in 0..len {
                for c in [b'/', b'='] {
                    let mut b = plain.clone();
                    b[at] = c;
                    b[len - 1] = b'/';
                    assert_eq!(found(&b), naive(&b), "{c} at {at} of {len}");
                }
            }
        }
        let crn = b"organization=o-1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1/topic=a=b//";
        assert_eq!(found(crn), naive(crn));
    }
}
