use super::*;

fn scan(text: &str) -> Scan<'_> {
    Scan {
        text,
        b: text.as_bytes(),
        i: 0,
        depth: 0,
        win: Window::EMPTY,
        extra: crate::event::extra::ExtraSpans::new(text.len()),
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

/// Both x86-64 block classifiers against the byte test, for every byte
/// value at every position of a block (AVX2 only where the CPU has it).
#[cfg(target_arch = "x86_64")]
#[test]
fn block_masks_agree_on_every_byte() {
    let special = |c: u8| c < 0x20 || c == b'"' || c == b'\\';
    for c in 0..=255u8 {
        for at in 0..64 {
            let mut block = [b'a'; 64];
            block[at] = c;
            // A second byte elsewhere, so that lanes are not all alike.
            block[(at * 7 + 13) % 64] = c.wrapping_add(1);
            let want = block
                .iter()
                .enumerate()
                .filter(|(_, &b)| special(b))
                .fold(0u64, |m, (k, _)| m | 1 << k);
            assert_eq!(block_mask_sse2(&block), want, "{c:#x} at {at}");
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2.
                assert_eq!(unsafe { block_mask_avx2(&block) }, want, "{c:#x} at {at}");
            }
        }
    }
}

/// The blocks' masks by the byte test: the reference of [`classify`].
fn reference(bytes: &[u8]) -> Vec<u64> {
    let special = |c: u8| c < 0x20 || c == b'"' || c == b'\\';
    bytes
        .chunks(64)
        .map(|block| {
            block
                .iter()
                .enumerate()
                .filter(|(_, &c)| special(c))
                .fold(0u64, |m, (k, _)| m | 1 << k)
        })
        .collect()
}

/// [`classify`] (AVX2 where the CPU has it), the SSE2 loop and the byte
/// test agree on random bytes of every length up to three windows' worth
/// of blocks plus a tail, at every alignment of the first byte.
#[test]
fn classify_paths_agree_on_random_bytes() {
    let mut rng = fastrand::Rng::with_seed(9);
    // Bytes drawn so that specials are frequent but not dense.
    let pool: Vec<u8> = (0..=255u8).chain(*b"\"\"\"\\\\\\\n\0").collect();
    let buf: Vec<u8> = (0..SPAN_BYTES + 200)
        .map(|_| pool[rng.usize(..pool.len())])
        .collect();
    let lens = (0..=200).chain([SPAN_BYTES - 1, SPAN_BYTES]);
    for len in lens {
        for align in 0..64 {
            let Some(bytes) = buf.get(align..align + len) else {
                continue;
            };
            let want = reference(bytes);
            let mut masks = [MaybeUninit::uninit(); SPAN];
            let n = classify(bytes, &mut masks);
            assert_eq!(n, want.len(), "{len} {align}");
            // SAFETY: `classify` wrote the first `n` masks.
            let got: Vec<u64> = masks[..n]
                .iter()
                .map(|m| unsafe { m.assume_init() })
                .collect();
            assert_eq!(got, want, "{len} {align}");
            #[cfg(target_arch = "x86_64")]
            for (k, block) in bytes.chunks_exact(64).enumerate() {
                let block: &[u8; 64] = block.try_into().expect("64 bytes");
                assert_eq!(block_mask_sse2(block), want[k], "{len} {align} {k}");
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2.
                    assert_eq!(unsafe { block_mask_avx2(block) }, want[k]);
                }
            }
        }
    }
}

/// Records longer than a window: every walk forward, and walks that go
/// back (the window is loaded again), find what a byte search finds,
/// with specials sparse (whole blocks and windows without one) and at
/// the windows' edges.
#[test]
fn walks_across_windows() {
    let mut rng = fastrand::Rng::with_seed(4);
    for len in [
        SPAN_BYTES - 1,
        SPAN_BYTES,
        SPAN_BYTES + 1,
        2 * SPAN_BYTES + 63,
        3 * SPAN_BYTES,
    ] {
        for specials in [0, 1, 5, 40] {
            let mut t = vec![b'a'; len];
            for _ in 0..specials {
                t[rng.usize(..len)] = [b'"', b'\\', b'\n'][rng.usize(..3)];
            }
            for edge in [SPAN_BYTES - 1, SPAN_BYTES, 2 * SPAN_BYTES] {
                if edge < len && specials == 5 {
                    t[edge] = b'"';
                }
            }
            let text = std::str::from_utf8(&t).expect("ASCII");
            for step in [1, 63, 64, 65, 4095, 4097] {
                let mut s = scan(text);
                for from in (0..=len).step_by(step) {
                    assert_eq!(s.next_special(from), naive(&t, from), "{len} {from}");
                }
                for from in (0..=len).rev().step_by(step) {
                    assert_eq!(s.next_special(from), naive(&t, from), "{len} {from}");
                }
            }
        }
    }
}
