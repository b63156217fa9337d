//! Appending to the writer's `Vec` with one capacity check per member
//! ([`room`]) and unchecked copies after it ([`put`]).

/// Makes room for `n` more bytes in `out`, for [`put`].
#[inline(always)]
pub(super) fn room(out: &mut Vec<u8>, n: usize) {
    if out.capacity() - out.len() < n {
        grow(out, n);
    }
}

#[cold]
#[inline(never)]
fn grow(out: &mut Vec<u8>, n: usize) {
    out.reserve(n);
}

/// Appends `b` to `out` without a capacity check.
///
/// # Safety
/// `out` must have room for `b` ([`room`]).
#[inline(always)]
pub(super) unsafe fn put(out: &mut Vec<u8>, b: &[u8]) {
    let len = out.len();
    debug_assert!(out.capacity() - len >= b.len());
    // SAFETY: the caller made room for `b` after `len`, and `b` cannot
    // overlap `out`'s spare capacity (`&mut` is unique); the bytes from
    // `len` to `len + b.len()` are written before the length covers them.
    unsafe {
        copy_short(b.as_ptr(), out.as_mut_ptr().add(len), b.len());
        out.set_len(len + b.len());
    }
}

/// `copy_nonoverlapping`, with lengths up to 32 copied by two overlapping
/// loads and stores inline instead of a `memcpy` call (most of an
/// enrichment's values are 4 to 40 bytes; the keys are constants, for which
/// the branches fold away).
///
/// # Safety
/// As `copy_nonoverlapping(src, dst, n)`.
#[inline(always)]
pub(super) unsafe fn copy_short(src: *const u8, dst: *mut u8, n: usize) {
    use std::ptr::{copy_nonoverlapping, read_unaligned as rd, write_unaligned as wr};
    // SAFETY: every read and write lies in `src[..n]` / `dst[..n]`: the
    // pairs are the first and the last `w` bytes with `w <= n`.
    unsafe {
        if n > 32 {
            copy_nonoverlapping(src, dst, n);
        } else if n >= 16 {
            let (a, b) = (
                rd(src.cast::<[u8; 16]>()),
                rd(src.add(n - 16).cast::<[u8; 16]>()),
            );
            wr(dst.cast::<[u8; 16]>(), a);
            wr(dst.add(n - 16).cast::<[u8; 16]>(), b);
        } else if n >= 8 {
            let (a, b) = (rd(src.cast::<u64>()), rd(src.add(n - 8).cast::<u64>()));
            wr(dst.cast::<u64>(), a);
            wr(dst.add(n - 8).cast::<u64>(), b);
        } else if n >= 4 {
            let (a, b) = (rd(src.cast::<u32>()), rd(src.add(n - 4).cast::<u32>()));
            wr(dst.cast::<u32>(), a);
            wr(dst.add(n - 4).cast::<u32>(), b);
        } else if n > 0 {
            let (a, b, c) = (*src, *src.add(n / 2), *src.add(n - 1));
            *dst = a;
            *dst.add(n / 2) = b;
            *dst.add(n - 1) = c;
        }
    }
}
