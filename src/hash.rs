//! The unkeyed map hasher for maps keyed by short strings and by hashes
//! already made, where SipHash's DoS resistance buys nothing and costs a
//! measurable share of the time (BENCHMARKS.md, "investigate"): bytes are
//! mixed a word (8 bytes) at a time, the last partial word with its
//! length. Unkeyed on purpose: the same keys give the same map order in
//! every run, so a report that walks a map is reproducible. Maps whose
//! keys an outsider chooses on a long-running path use the detector's
//! keyed hash instead (`detect::hash`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a's offset basis, the starting state.
const SEED: u64 = 0xcbf2_9ce4_8422_2325;

/// See the module documentation.
#[derive(Debug, Clone, Copy)]
pub struct WordHash(u64);

impl Default for WordHash {
    fn default() -> Self {
        WordHash(SEED)
    }
}

impl Hasher for WordHash {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            h = mix(h, u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            h = mix(h, u64::from_le_bytes(last) ^ ((rest.len() as u64) << 56));
        }
        self.0 = h;
    }

    fn write_u64(&mut self, n: u64) {
        // Keys that are hashes already: mix once.
        self.0 = mix(self.0, n);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// One word into the hash: a multiply and a shift.
fn mix(h: u64, w: u64) -> u64 {
    let h = (h ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^ (h >> 29)
}

/// A `HashMap` with [`WordHash`].
pub type WordMap<K, V> = HashMap<K, V, BuildHasherDefault<WordHash>>;

#[cfg(test)]
mod tests;
