//! The specials window: where the scanner's strings end.
//!
//! An event has about 70 strings, most under 20 bytes, so asking
//! [`crate::event::escape::first_special`] afresh for each one paid its
//! setup over and over. Instead the scanner keeps bit masks of the bytes
//! that are `"`, `\` or below 0x20, one `u64` per 64-byte block (bit `k`
//! for byte `base + k`), for up to [`SPAN`] blocks of the record at once:
//! the first stage of a two-stage parser, the scanner's grammar being the
//! second. The blocks are classified in one loop as soon as the scanner
//! first asks ([`classify`]; an event of 1.4 KB fits in one window), so
//! the CPU feature is asked once and the vector code runs without a call
//! per block; the next special byte from any position is then an index, a
//! mask and a `trailing_zeros`. The last, partial block is classified as
//! if padded with spaces, which are never special, so no bit ever points
//! past the record.

use std::mem::MaybeUninit;

use super::Scan;

/// Blocks per window: 4 KiB of record.
pub(super) const SPAN: usize = 64;
/// Bytes per window.
const SPAN_BYTES: usize = SPAN * 64;

/// The cached blocks: `masks[k]` classifies `b[base + 64 k..][..64]` for
/// `k < len`. Only those are written: zeroing all 512 bytes for every
/// record cost more than a short record's classification.
pub(super) struct Window {
    base: usize,
    /// At most [`SPAN`]; `masks[..len]` are initialized.
    len: usize,
    masks: [MaybeUninit<u64>; SPAN],
}

impl Window {
    /// No block yet (`len` 0: every position asks for a load).
    pub(super) const EMPTY: Window = Window {
        base: 0,
        len: 0,
        masks: [MaybeUninit::uninit(); SPAN],
    };

    /// The mask of block `k` of the window, for `k < self.len`.
    #[inline(always)]
    fn mask(&self, k: usize) -> u64 {
        debug_assert!(k < self.len && self.len <= SPAN);
        // SAFETY: the callers check `k < self.len`; `load` sets `len` to
        // the number of masks `classify` has just written (at most SPAN),
        // and nothing else writes `len` but `EMPTY` (0).
        unsafe { self.masks.get_unchecked(k).assume_init() }
    }
}

impl Scan<'_> {
    /// The position of the first `"`, `\` or control byte at or after
    /// `from`, or `None` when the record has none there. Right for any
    /// `from`; cheap when, as in the scanner, `from` moves forward (each
    /// window is then classified once). Inlined at every string: the walk
    /// within the window is a few instructions, and the rest
    /// ([`Self::next_special_far`]) is met about once a record.
    #[inline(always)]
    pub(super) fn next_special(&mut self, from: usize) -> Option<usize> {
        // Wraps to a huge index when `from` is before the window.
        let mut k = from.wrapping_sub(self.win.base) >> 6;
        if k < self.win.len {
            let mut m = self.win.mask(k) & (u64::MAX << (from & 63));
            loop {
                if m != 0 {
                    return Some(self.win.base + k * 64 + m.trailing_zeros() as usize);
                }
                k += 1;
                if k >= self.win.len {
                    break;
                }
                m = self.win.mask(k);
            }
        }
        self.next_special_far(from)
    }

    /// [`Self::next_special`] when `from` is outside the window or no
    /// special follows it there: loads the windows from `from` on.
    #[inline(never)]
    fn next_special_far(&mut self, from: usize) -> Option<usize> {
        let mut k = from.wrapping_sub(self.win.base) >> 6;
        if k >= self.win.len {
            self.load(from & !(SPAN_BYTES - 1))?;
            k = (from - self.win.base) >> 6;
            if k >= self.win.len {
                return None;
            }
        }
        let mut m = self.win.mask(k) & (u64::MAX << (from & 63));
        while m == 0 {
            k += 1;
            if k >= self.win.len {
                self.load(self.win.base + SPAN_BYTES)?;
                k = 0;
            }
            m = self.win.mask(k);
        }
        Some(self.win.base + k * 64 + m.trailing_zeros() as usize)
    }

    /// Classifies the window at `base` (a multiple of [`SPAN_BYTES`]), or
    /// `None` past the record's end.
    #[inline]
    fn load(&mut self, base: usize) -> Option<()> {
        let rest = self.b.get(base..).filter(|t| !t.is_empty())?;
        let bytes = &rest[..rest.len().min(SPAN_BYTES)];
        self.win.len = classify(bytes, &mut self.win.masks);
        self.win.base = base;
        Some(())
    }
}

/// Fills `masks` with the blocks of `bytes` (at most [`SPAN_BYTES`]; the
/// last block padded with spaces) and answers how many there are.
pub(super) fn classify(bytes: &[u8], masks: &mut [MaybeUninit<u64>; SPAN]) -> usize {
    let full = bytes.len() / 64;
    classify_full(&bytes[..full * 64], &mut masks[..full]);
    let tail = &bytes[full * 64..];
    if tail.is_empty() {
        return full;
    }
    let mut pad = [b' '; 64];
    pad[..tail.len()].copy_from_slice(tail);
    masks[full].write(block_mask(&pad));
    full + 1
}

/// `masks[k]` for block `k` of `blocks` (whole 64-byte blocks): with AVX2
/// where the CPU has it (not in the x86-64 baseline, so asked at run time;
/// the answer is cached), else SSE2.
#[cfg(target_arch = "x86_64")]
fn classify_full(blocks: &[u8], masks: &mut [MaybeUninit<u64>]) {
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { classify_avx2(blocks, masks) };
    }
    for (m, block) in masks.iter_mut().zip(blocks.chunks_exact(64)) {
        m.write(block_mask_sse2(block.try_into().expect("64 bytes")));
    }
}

/// [`classify_full`] without SIMD.
#[cfg(not(target_arch = "x86_64"))]
fn classify_full(blocks: &[u8], masks: &mut [MaybeUninit<u64>]) {
    for (m, block) in masks.iter_mut().zip(blocks.chunks_exact(64)) {
        m.write(block_mask(block.try_into().expect("64 bytes")));
    }
}

/// [`classify_full`]'s AVX2 loop: [`block_mask_avx2`] inlined for every
/// block.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn classify_avx2(blocks: &[u8], masks: &mut [MaybeUninit<u64>]) {
    for (m, block) in masks.iter_mut().zip(blocks.chunks_exact(64)) {
        // SAFETY: the caller's promise: the CPU has AVX2.
        m.write(unsafe { block_mask_avx2(block.try_into().expect("64 bytes")) });
    }
}

/// Bit `k` set when `block[k]` is `"`, `\` or below 0x20 (the padded
/// last block): [`block_mask_avx2`] where the CPU has AVX2, else
/// [`block_mask_sse2`].
#[cfg(target_arch = "x86_64")]
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
#[inline]
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
