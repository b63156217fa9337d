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

/// Bit `k` set when `block[k]` is `"`, `\` or below 0x20.
#[cfg(target_arch = "x86_64")]
fn block_mask(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_xor_si128,
    };
    let mut mask = 0;
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of the x86-64 baseline, and the load reads
        // exactly the 16 bytes of `chunk` (unaligned load).
        let bits = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            let slash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            // Flipping bit 1 keeps 0x00..=0x1f below 0x20 and turns `"`
            // (0x22) into 0x20, the only byte above them mapped to 0x20 or
            // less: so v is a control byte or a quote exactly when
            // max(v ^ 2, 0x20) == 0x20 (unsigned).
            let low = _mm_set1_epi8(0x20);
            let flipped = _mm_xor_si128(v, _mm_set1_epi8(2));
            let ctrl_quote = _mm_cmpeq_epi8(_mm_max_epu8(flipped, low), low);
            _mm_movemask_epi8(_mm_or_si128(ctrl_quote, slash))
        };
        // movemask sets only the low 16 bits.
        mask |= u64::from(bits as u16) << (16 * k);
    }
    mask
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
mod tests {
    use super::*;

    fn scan(text: &str) -> Scan<'_> {
        Scan {
            text,
            b: text.as_bytes(),
            i: 0,
            depth: 0,
            win: Window::EMPTY,
        }
    }

    fn naive(b: &[u8], from: usize) -> Option<usize> {
        b[from..]
            .iter()
            .position(|&c| c < 0x20 || c == b'"' || c == b'\\')
            .map(|p| from + p)
    }

    /// Record lengths around multiples of 64, so full blocks, the partial
    /// last block and a record ending on a block edge are all met.
    fn lengths() -> impl Iterator<Item = usize> {
        (0..=3).chain(60..=68).chain(124..=132).chain(190..=194)
    }

    /// Every forward walk (step 1, and steps that skip whole blocks) finds
    /// what a byte-by-byte search finds, with one special at every position
    /// and of every kind, and with none.
    #[test]
    fn finds_what_a_byte_search_finds() {
        let plain = |len: usize| -> Vec<u8> { (0..len).map(|i| b" a~\x7f{:,]"[i % 8]).collect() };
        for len in lengths() {
            let mut texts = vec![plain(len)];
            for at in 0..len {
                for c in [b'"', b'\\', b'\n', 0, 0x1f] {
                    let mut t = plain(len);
                    t[at] = c;
                    texts.push(t);
                }
            }
            for t in &texts {
                let text = std::str::from_utf8(t).expect("ASCII");
                for step in [1, 7, 63, 64, 65, 130] {
                    let mut s = scan(text);
                    for from in (0..=len).step_by(step) {
                        assert_eq!(s.next_special(from), naive(t, from), "{t:?} {from}");
                    }
                }
            }
        }
    }

    /// Every byte value, at every offset of a block.
    #[test]
    fn classifies_every_byte() {
        for c in 0..=255u8 {
            let special = c < 0x20 || c == b'"' || c == b'\\';
            for k in 0..64 {
                let mut block = [b' '; 64];
                block[k] = c;
                let want = if special { 1 << k } else { 0 };
                assert_eq!(block_mask(&block), want, "{c:#x} at {k}");
            }
        }
    }

    /// One non-ASCII byte anywhere, in lengths around one and two blocks
    /// (the last block overlaps the one before).
    #[test]
    fn ascii_check_matches_std() {
        for len in lengths() {
            let plain = vec![b'a'; len];
            assert!(is_ascii(&plain), "{len}");
            for at in 0..len {
                for c in [0x80, 0xc3, 0xff] {
                    let mut b = plain.clone();
                    b[at] = c;
                    assert!(!is_ascii(&b), "{len} {at}");
                }
            }
        }
        let mut b = br#"{"id":"1","source":"crn://x"}"#.repeat(3);
        b.splice(10..10, "é".bytes());
        assert_eq!(super::super::text(&b), std::str::from_utf8(&b));
        b[11] = b'x';
        assert_eq!(super::super::text(&b).unwrap_err().valid_up_to(), 10);
    }

    /// Several specials in one block, and multi-byte characters (never
    /// special) around block edges.
    #[test]
    fn walks_from_special_to_special() {
        for len in lengths().filter(|&l| l > 4) {
            let text: String = (0..len)
                .map(|i| match i % 5 {
                    0 => '"',
                    3 => '\\',
                    _ => 'é',
                })
                .collect();
            let t = text.as_bytes();
            let mut s = scan(&text);
            let mut from = 0;
            while let Some(at) = s.next_special(from) {
                assert_eq!(Some(at), naive(t, from));
                from = at + 1;
            }
            assert_eq!(naive(t, from), None);
        }
    }
}
