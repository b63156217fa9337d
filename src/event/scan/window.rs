//! The specials window: where the scanner's strings end.
//!
//! An event has about 70 strings, most under 20 bytes, so asking
//! [`crate::event::escape::first_special`] afresh for each one paid its
//! setup over and over. Instead the scanner keeps, for the 64-byte block of
//! the record it is in, a bit mask of the bytes that are `"`, `\` or below
//! 0x20 (bit `k` for byte `base + k`). The scanner only moves forward, so
//! each block is classified at most once, and the next special byte from
//! any position is a mask and a `trailing_zeros`. The last, partial block
//! is classified as if padded with spaces, which are never special, so no
//! bit ever points past the record.

use super::Scan;

/// The cached block: `mask` classifies `b[base..base + 64]`.
pub(super) struct Window {
    base: usize,
    mask: u64,
}

impl Window {
    /// No block yet (`base` is a multiple of 64, so never `usize::MAX`).
    pub(super) const EMPTY: Window = Window {
        base: usize::MAX,
        mask: 0,
    };
}

impl Scan<'_> {
    /// The position of the first `"`, `\` or control byte at or after
    /// `from`, or `None` when the record has none there. Right for any
    /// `from`; cheap when, as in the scanner, `from` never goes back before
    /// the block of the previous answer (a block is then classified once).
    #[inline]
    pub(super) fn next_special(&mut self, from: usize) -> Option<usize> {
        let mut base = from & !63;
        if base != self.win.base {
            self.load(base)?;
        }
        let mut m = self.win.mask & (u64::MAX << (from & 63));
        while m == 0 {
            base += 64;
            self.load(base)?;
            m = self.win.mask;
        }
        Some(base + m.trailing_zeros() as usize)
    }

    /// Classifies the block at `base`, or `None` past the record's end.
    #[inline(never)]
    fn load(&mut self, base: usize) -> Option<()> {
        let mask = match self.b.get(base..base + 64) {
            Some(block) => block_mask(block.try_into().expect("64 bytes")),
            None => {
                let tail = self.b.get(base..).filter(|t| !t.is_empty())?;
                let mut pad = [b' '; 64];
                pad[..tail.len()].copy_from_slice(tail);
                block_mask(&pad)
            }
        };
        self.win = Window { base, mask };
        Some(())
    }
}

/// Bit `k` set when `block[k]` is `"`, `\` or below 0x20: 32 bytes a step
/// where the CPU has AVX2 (not in the x86-64 baseline, so asked at run
/// time; the answer is cached), else [`block_mask_sse2`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block_mask(block: &[u8; 64]) -> u64 {
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { block_mask_avx2(block) };
    }
    block_mask_sse2(block)
}

/// [`block_mask_sse2`] with AVX2's 32-byte compares: two steps, not four
/// (the window classifies every 64 bytes of every record).
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn block_mask_avx2(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_max_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8, _mm256_xor_si256,
    };
    let mut mask = 0;
    for (k, chunk) in block.chunks_exact(32).enumerate() {
        // SAFETY: AVX2 is present (the caller's promise), and the load
        // reads exactly the 32 bytes of `chunk` (unaligned load).
        let bits = unsafe {
            let v = _mm256_loadu_si256(chunk.as_ptr().cast::<__m256i>());
            let slash = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\\' as i8));
            // As in `block_mask_sse2`: a control byte or a quote exactly
            // when max(v ^ 2, 0x20) == 0x20 (unsigned).
            let low = _mm256_set1_epi8(0x20);
            let flipped = _mm256_xor_si256(v, _mm256_set1_epi8(2));
            let ctrl_quote = _mm256_cmpeq_epi8(_mm256_max_epu8(flipped, low), low);
            _mm256_movemask_epi8(_mm256_or_si256(ctrl_quote, slash))
        };
        mask |= u64::from(bits as u32) << (32 * k);
    }
    mask
}

/// Bit `k` set when `block[k]` is `"`, `\` or below 0x20 (SSE2, always
/// present on x86-64).
#[cfg(target_arch = "x86_64")]
fn block_mask_sse2(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_max_epu8, _mm_or_si128, _mm_set1_epi8, _mm_xor_si128,
    };
    // SAFETY: SSE2 is part of the x86-64 baseline.
    crate::event::escape::mask64(block, |v| unsafe {
        let slash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // Flipping bit 1 keeps 0x00..=0x1f below 0x20 and turns `"`
        // (0x22) into 0x20, the only byte above them mapped to 0x20 or
        // less: so v is a control byte or a quote exactly when
        // max(v ^ 2, 0x20) == 0x20 (unsigned).
        let low = _mm_set1_epi8(0x20);
        let flipped = _mm_xor_si128(v, _mm_set1_epi8(2));
        let ctrl_quote = _mm_cmpeq_epi8(_mm_max_epu8(flipped, low), low);
        _mm_or_si128(ctrl_quote, slash)
    })
}

/// Bit `k` set when `block[k]` is `"`, `\` or below 0x20.
#[cfg(not(target_arch = "x86_64"))]
fn block_mask(block: &[u8; 64]) -> u64 {
    block
        .iter()
        .enumerate()
        .filter(|(_, &c)| c < 0x20 || c == b'"' || c == b'\\')
        .fold(0, |m, (k, _)| m | 1 << k)
}

/// `<[u8]>::is_ascii`, 64 bytes a step without an early exit (the compiler
/// keeps the OR in vector registers), and the tail as one last, overlapping
/// block rather than byte by byte.
pub(super) fn is_ascii(b: &[u8]) -> bool {
    let Some(tail) = b.len().checked_sub(64) else {
        return b.is_ascii();
    };
    let mut acc = [0u8; 64];
    for block in b.chunks_exact(64).chain([&b[tail..]]) {
        for (a, c) in acc.iter_mut().zip(block) {
            *a |= c;
        }
    }
    acc.iter().fold(0, |m, c| m | c) < 0x80
}

#[cfg(test)]
mod tests;
