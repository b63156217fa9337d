use super::put::copy_short;
use super::*;

#[test]
fn strings_needing_escapes_are_escaped() {
    let mut out = Vec::new();
    string("a\"b\u{1}é", &mut out);
    string("plain é", &mut out);
    assert_eq!(String::from_utf8(out).unwrap(), r#""a\"b\u0001é""plain é""#);
}

#[test]
fn copy_short_copies_every_length() {
    let src: Vec<u8> = (0..100u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
    for n in 0..=src.len() {
        for at in [0, 1, 7] {
            let mut dst = vec![0xeeu8; at + n + 3];
            // SAFETY: `dst` has `at + n` bytes and more; the two do not overlap.
            unsafe { copy_short(src.as_ptr(), dst.as_mut_ptr().add(at), n) };
            assert_eq!(&dst[at..at + n], &src[..n], "length {n} at {at}");
            assert!(dst[..at].iter().all(|&b| b == 0xee), "before, {n} at {at}");
            assert!(
                dst[at + n..].iter().all(|&b| b == 0xee),
                "after, {n} at {at}"
            );
        }
    }
}

fn enrichments() -> Vec<Enrichment> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/audit-events/sample.jsonl"
    );
    let kafka = crate::event::KafkaCoords {
        topic: "confluent-audit-log-events".into(),
        partition: 3,
        offset: 1 << 40,
        timestamp: Some(1_736_937_060_001),
    };
    let mut out = Vec::new();
    for line in std::fs::read_to_string(path).expect("fixtures").lines() {
        let Ok((_, env)) = crate::event::validate::parse(line.as_bytes(), 1 << 20) else {
            continue;
        };
        for k in [None, Some(&kafka)] {
            out.push(crate::event::enrich::enrich(&env, k, 7, |_| {
                crate::event::Severity::Info
            }));
        }
    }
    assert!(out.len() > 100);
    out
}

/// The clean text's path (one capacity check per member, copies without
/// checks) against the path that escapes every string through
/// serde_json: the same bytes when no string needs escaping, from a buffer
/// with no spare room (every `room` grows it) and from a roomy one.
#[test]
fn clean_path_matches_the_escaping_path() {
    for e in enrichments() {
        assert!(e.text.clean);
        let mut slow = e.clone();
        slow.text.clean = false;
        let want = {
            let mut out = Vec::new();
            write_enrichment(&slow, &mut out);
            out
        };
        for mut out in [Vec::new(), Vec::with_capacity(1 << 16)] {
            write_enrichment(&e, &mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                String::from_utf8(want.clone()).unwrap()
            );
        }
        // After other bytes, as render writes it.
        let mut out = b"prefix".to_vec();
        write_enrichment(&e, &mut out);
        assert_eq!(&out[6..], &want[..]);
    }
}
