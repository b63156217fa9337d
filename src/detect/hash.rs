//! The detector's hash for its maps: keyed per process (a random seed,
//! so no one can choose group keys that collide on purpose), and fast —
//! eight bytes per multiply instead of SipHash's rounds, which were a
//! twentieth of a granted event's cost (BENCHMARKS.md, "Detector").
//!
//! Not cryptographic: it keeps a hash table's lookups short under keys
//! an outsider writes (principals, addresses, resource names), as the
//! standard library's own tables need, and nothing more. Alert ids do not
//! use it (they must be the same in every process: `alert::alert_id`).

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// The 128-bit product of `a` and `b`, its halves xored.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let p = (a as u128).wrapping_mul(b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

fn seeds() -> [u64; 2] {
    static SEEDS: OnceLock<[u64; 2]> = OnceLock::new();
    *SEEDS.get_or_init(|| {
        // `RandomState` is seeded from the operating system's randomness.
        let r = std::collections::hash_map::RandomState::new();
        [r.hash_one(1u8) | 1, r.hash_one(2u8)]
    })
}

/// The last (fewer than eight) bytes of a key as one word, read without
/// a copy: copying a tail of variable length into a word is a `memcpy`
/// call, and every string key ends in one (eight per granted event,
/// BENCHMARKS.md "Detector"). Two overlapping four-byte reads, or the
/// first, middle and last byte: for a given length, different tails
/// give different words.
#[inline(always)]
fn tail(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 4 {
        let lo = u32::from_le_bytes(b[..4].try_into().expect("4 bytes"));
        let hi = u32::from_le_bytes(b[n - 4..].try_into().expect("4 bytes"));
        lo as u64 | (hi as u64) << 32
    } else if n > 0 {
        b[0] as u64 | (b[n / 2] as u64) << 8 | (b[n - 1] as u64) << 16
    } else {
        0
    }
}

/// Builds [`FastHasher`]s with this process's seed.
#[derive(Debug, Clone, Copy)]
pub struct FastState {
    seed: [u64; 2],
}

impl Default for FastState {
    fn default() -> Self {
        FastState { seed: seeds() }
    }
}

impl FastState {
    /// The hash of one string key: its bytes alone. `hash_one(&str)`
    /// also hashes a terminator (a multiply more), which only a key of
    /// several strings needs, and [`FastHasher::write`] keys its last
    /// multiply with the length already.
    #[inline]
    pub fn hash_str(&self, key: &str) -> u64 {
        let mut h = self.build_hasher();
        h.write(key.as_bytes());
        h.finish()
    }

    /// The hash of a key made of a `u64` (a [`FastState::hash_str`] of
    /// something) and optional strings: each present string's bytes (its
    /// last multiply keyed with its length, which marks where it ends),
    /// then which of them were present. The same parts through
    /// `hash_one` of a tuple cost a multiply more per string (its
    /// terminator) and per `Option` (its tag): seven of a granted
    /// event's ≈ 36 (BENCHMARKS.md "Detector", session 9).
    #[inline(always)]
    pub fn hash_parts(&self, first: u64, parts: &[Option<&str>]) -> u64 {
        let mut h = self.build_hasher();
        h.write_u64(first);
        let mut present = 0u64;
        for (i, part) in parts.iter().enumerate() {
            if let Some(part) = part {
                h.write(part.as_bytes());
                present |= 1 << i;
            }
        }
        h.write_u64(present);
        h.finish()
    }
}

impl BuildHasher for FastState {
    type Hasher = FastHasher;
    #[inline(always)]
    fn build_hasher(&self) -> FastHasher {
        FastHasher {
            h: self.seed[0],
            k: self.seed[1],
        }
    }
}

/// A keyed multiply-fold hash (see the module's documentation).
#[derive(Debug, Clone, Copy)]
pub struct FastHasher {
    h: u64,
    k: u64,
}

impl FastHasher {
    #[inline(always)]
    fn mix(&mut self, v: u64) {
        self.h = fold(self.h ^ v, self.k ^ K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Sixteen bytes per multiply: the second word keys the other
        // factor (long keys such as CRNs are hashed on every event).
        let mut pairs = bytes.chunks_exact(16);
        for c in &mut pairs {
            let (a, b) = c.split_at(8);
            let a = u64::from_le_bytes(a.try_into().expect("8 bytes"));
            let b = u64::from_le_bytes(b.try_into().expect("8 bytes"));
            self.h = fold(self.h ^ a, self.k ^ K ^ b);
        }
        let mut chunks = pairs.remainder().chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        // The length keys the tail's multiply, so "ab" and "ab\0" differ.
        self.h = fold(
            self.h ^ tail(chunks.remainder()),
            self.k ^ K ^ bytes.len() as u64,
        );
    }

    #[inline(always)]
    fn write_u8(&mut self, v: u8) {
        self.mix(v as u64)
    }

    #[inline(always)]
    fn write_u32(&mut self, v: u32) {
        self.mix(v as u64)
    }

    #[inline(always)]
    fn write_u64(&mut self, v: u64) {
        self.mix(v)
    }

    #[inline(always)]
    fn write_usize(&mut self, v: usize) {
        self.mix(v as u64)
    }

    #[inline(always)]
    fn finish(&self) -> u64 {
        fold(self.h, K ^ self.k)
    }
}

/// Builds [`PassThrough`] hashers: for keys that already are keyed
/// 64-bit hashes ([`FastState::hash_one`] of something), which need no
/// second hash.
#[derive(Debug, Clone, Copy, Default)]
pub struct PassThroughState;

impl BuildHasher for PassThroughState {
    type Hasher = PassThrough;
    #[inline(always)]
    fn build_hasher(&self) -> PassThrough {
        PassThrough(0)
    }
}

/// Hands a `u64` key on as its own hash. Only for keys that are outputs
/// of [`FastHasher`] (keyed and mixed in every bit); anything but a
/// `u64` still goes through the multiply-fold.
#[derive(Debug, Clone, Copy)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = fold(self.0 ^ b as u64, K);
        }
    }

    #[inline(always)]
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }

    #[inline(always)]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` with [`FastState`].
pub type FastMap<K, V> = std::collections::HashMap<K, V, FastState>;
/// A `HashSet` with [`FastState`].
pub type FastSet<K> = std::collections::HashSet<K, FastState>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_in_equal_out_and_spread() {
        let s = FastState::default();
        assert_eq!(
            s.hash_one("principal=User:1"),
            s.hash_one("principal=User:1")
        );
        assert_ne!(s.hash_one("ab"), s.hash_one("ab\0"));
        assert_ne!(s.hash_one(("a", "bc")), s.hash_one(("ab", "c")));
        let mut seen = std::collections::HashSet::new();
        for i in 0..10_000u64 {
            // The low bits pick the bucket: they must differ too.
            seen.insert(s.hash_one(i) & 0xffff);
        }
        assert!(seen.len() > 8_000, "{}", seen.len());
    }

    #[test]
    fn tails_of_one_length_differ() {
        // Every tail of up to 7 bytes over a small alphabet: a tail's
        // word is unique for its length, so no two keys of one length
        // that differ only in the tail hash alike but by a real collision.
        let alphabet = [0u8, 1, b'a', 0xff];
        for n in 0..8usize {
            let mut words = std::collections::HashSet::new();
            let count = alphabet.len().pow(n.min(5) as u32);
            for i in 0..count {
                let mut b = vec![b'x'; n];
                let mut k = i;
                for slot in b.iter_mut().take(5) {
                    *slot = alphabet[k % alphabet.len()];
                    k /= alphabet.len();
                }
                assert!(words.insert(tail(&b)), "{n} {b:?}");
            }
        }
        let s = FastState::default();
        for key in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcdefg",
            "abcdefgh",
            "abcdefghijklmnopq",
        ] {
            let longer = format!("{key}x");
            assert_ne!(s.hash_one(key), s.hash_one(longer.as_str()), "{key}");
        }
    }

    #[test]
    fn parts_are_told_apart() {
        let s = FastState::default();
        let keys: [(u64, [Option<&str>; 3]); 10] = [
            (1, [None, None, None]),
            (1, [Some(""), None, None]),
            (1, [None, Some(""), None]),
            (1, [None, None, Some("")]),
            (1, [Some("x"), None, None]),
            (1, [None, Some("x"), None]),
            (1, [Some("ab"), Some("c"), None]),
            (1, [Some("a"), Some("bc"), None]),
            (1, [Some("abcdefghijklmnopqrs"), Some("t"), None]),
            (2, [Some("ab"), Some("c"), None]),
        ];
        let mut seen = std::collections::HashSet::new();
        for (first, parts) in &keys {
            let h = s.hash_parts(*first, parts);
            assert_eq!(h, s.hash_parts(*first, parts), "equal in, equal out");
            assert!(seen.insert(h), "{first} {parts:?}");
        }
        assert_eq!(s.hash_str("User:1"), s.hash_str("User:1"));
        assert_ne!(s.hash_str("ab"), s.hash_str("ab\0"));
        assert_ne!(s.hash_str(""), s.hash_str("\0"));
    }

    #[test]
    fn pass_through_keeps_a_u64() {
        let h = FastState::default().hash_one("an event id");
        assert_eq!(PassThroughState.hash_one(h), h);
    }
}
