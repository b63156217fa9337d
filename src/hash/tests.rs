use std::hash::Hasher;

use super::WordHash;

#[test]
fn the_map_hasher_tells_lengths_and_words_apart() {
    let hash = |b: &[u8]| {
        let mut h = WordHash::default();
        h.write(b);
        h.finish()
    };
    let values: [&[u8]; 8] = [
        b"",
        b"a",
        b"a\0",
        b"abcdefgh",
        b"abcdefgh\0",
        b"abcdefghi",
        b"User:alice",
        b"User:alicf",
    ];
    let hashes: std::collections::HashSet<u64> = values.iter().map(|v| hash(v)).collect();
    assert_eq!(hashes.len(), values.len());
    assert_eq!(hash(b"User:alice"), hash(b"User:alice"), "fixed");
}
