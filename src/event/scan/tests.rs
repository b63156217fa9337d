//! The scanner against serde_json: whenever the scanner answers, serde_json
//! must accept the record and build the same view.

use super::{empty, read};
use crate::event::view::Envelope;

fn envelope(text: &str) -> Option<Envelope<'_>> {
    let mut e = empty();
    read(text, &mut e).then_some(e)
}

fn fixture_lines() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/audit-events/sample.jsonl"
    );
    std::fs::read_to_string(path)
        .expect("shared fixtures")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Checks the one-sided contract on `text`; returns whether the fast path
/// answered.
fn agrees(text: &str) -> bool {
    let Some(mut fast) = envelope(text) else {
        return false;
    };
    // The detector's ranges are the scanner's alone (checked against the
    // typed parse they stand in for in `detect::extras`'s tests).
    fast.extras = Default::default();
    match serde_json::from_str::<Envelope>(text) {
        Ok(slow) => assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{text}"),
        Err(e) => panic!("scanner accepted what serde_json rejects ({e}): {text}"),
    }
    true
}

#[test]
fn fixtures_give_the_same_view() {
    let lines = fixture_lines();
    let fast = lines.iter().filter(|l| agrees(l)).count();
    // Nearly every fixture is plain; the rest (escapes in kept strings,
    // duplicate keys, invalid JSON) go to serde_json.
    assert!(fast * 10 >= lines.len() * 7, "{fast} of {}", lines.len());
}

#[test]
fn plain_authorization_event_takes_the_fast_path() {
    let e = r#"{"specversion":"1.0","id":"a","source":"crn://confluent.cloud/","type":"io.confluent.kafka.server/authorization","time":"2025-01-15T10:31:00Z","data":{"methodName":"kafka.Produce","authenticationInfo":{"principal":"User:sa-1"},"authorizationInfo":{"granted":false,"rbacAuthorization":{"actingPrincipal":{"x":[1,2.5,-3e9]}}},"cloudResources":[{"scope":{"resources":[{"type":"ORGANIZATION","resourceId":"o1"},7]},"resource":null}],"requestMetadata":{"clientAddress":[{"ip":"1.2.3.4"}]},"result":{"status":"SUCCESS"},"big":12345678901234567890123,"s":"a\"b\u00e9\n"}}"#;
    assert!(agrees(e));
}

#[test]
fn kept_strings_with_escapes_are_decoded_like_serde() {
    for s in [
        r#"crn:///kafka\u003dQm7tR2xWSoK4dY1cE9vJ3g"#,
        r#"a\"b\\c\/d\b\f\n\r\t"#,
        r#"caf\u00e9 \u00E9 \ud83d\ude00 \uD83D\uDE00 \u0000 \u001f"#,
        r#"\u003d"#,
        r#"end\\"#,
        r#"\u12345"#,
    ] {
        let text = format!(
            r#"{{"specversion":"1.0","id":"{s}","source":"{s}","type":"io.confluent.x","subject":"{s}","data":{{"methodName":"{s}","authenticationInfo":{{"identity":"{s}"}},"requestMetadata":{{"clientAddress":[{{"ip":"{s}"}}]}}}}}}"#
        );
        assert!(envelope(&text).is_some(), "fell back: {text}");
        assert!(agrees(&text), "{text}");
    }
}

#[test]
fn odd_records_fall_back() {
    for text in [
        // Escapes in a key, and malformed escapes in a kept string.
        r#"{"i\u0064":"1"}"#,
        r#"{"id":"\ud800"}"#,
        r#"{"id":"\udc00"}"#,
        r#"{"id":"\ud800\u0041"}"#,
        r#"{"id":"\ud800x"}"#,
        r#"{"id":"\ud800\udbff"}"#,
        r#"{"id":"\u+041"}"#,
        r#"{"id":"\x"}"#,
        // Duplicate known keys are a shape error in serde.
        r#"{"id":"1","id":"2"}"#,
        r#"{"data":{"methodName":"a","method_name":"b"}}"#,
        // Numbers serde_json range-checks where it reads them.
        r#"{"id":1e400}"#,
        // Syntax errors.
        r#"{"id":"1",}"#,
        r#"{"id":01}"#,
        r#"{"id":"1"} x"#,
        "{\"id\":\"a\u{1}b\"}",
        r#"{"x":"\q"}"#,
        r#"{"x":"\u12"}"#,
        r#"{"x":[1,]}"#,
        r#"{"x":-}"#,
        r#"{"x":1.}"#,
        r#"{"x":tru}"#,
        r#"{"x""#,
    ] {
        assert!(envelope(text).is_none(), "{text}");
    }
}

#[test]
fn depth_is_bounded_like_the_pre_check() {
    let nest = |n: usize| {
        format!(
            r#"{{"id":"1","data":{}{}}}"#,
            "{\"a\":".repeat(n - 2) + "[]",
            "}".repeat(n - 2)
        )
    };
    // The top object, n - 2 objects from `data` down, then an array: n levels.
    assert!(agrees(&nest(127)));
    assert!(agrees(&nest(128)));
    assert!(envelope(&nest(129)).is_none());
    assert!(envelope(&"[".repeat(100_000)).is_none());
}

/// Every record one edit away from a fixture: the scanner either answers
/// like serde_json or leaves the record to it.
#[test]
fn mutated_fixtures_agree() {
    const INSERTS: &[&str] = &[
        "\"",
        "\\",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "0",
        "1",
        "e",
        "-",
        ".",
        " ",
        "n",
        "\u{1}",
        "\\u0041",
        "\"id\":\"x\",",
        "null",
        "\"\":1,",
    ];
    let mut fast = 0;
    for line in fixture_lines().iter().filter(|l| l.len() < 20_000) {
        super::edits::one_edit(line, line.len() / 300, INSERTS, |edited| {
            fast += usize::from(agrees(edited));
        });
    }
    // Many edits stay valid (inside strings, whitespace): the fast path
    // was exercised, not only the fallback.
    assert!(fast > 10_000, "{fast}");
}

/// A record whose strings, escapes and end fall at every offset of the
/// 64-byte blocks the scanner classifies (see `window`): a filler string
/// of every length shifts the rest across the block edges.
fn shifted(fill: usize, tail: &str) -> String {
    format!(
        r#"{{"x":"{}","specversion":"1.0","id":"id-{fill}","source":"crn://confluent.cloud/organization=o1/environment=env-1","type":"io.confluent.kafka.server/authorization","data":{{"s":"a\"b\\c\/\u00e9\n","methodName":"kafka.Produce","t":["\\\\","\"","",{{"u":"\uD83D\uDE00x"}}],"authenticationInfo":{{"principal":"User:sa-1"}}{tail}}}}}"#,
        "a".repeat(fill)
    )
}

#[test]
fn strings_across_block_edges_agree() {
    for fill in 0..200 {
        let text = shifted(fill, "");
        assert!(agrees(&text), "{text}");
        // Trailing whitespace puts the record's end at every offset of
        // its last block, including exactly on a block edge.
        for pad in [1, 2, 63, 64, 65] {
            let padded = format!("{text}{}", " ".repeat(pad));
            assert!(agrees(&padded), "{padded:?}");
        }
    }
}

#[test]
fn specials_at_block_edges_fall_back_or_agree() {
    for fill in 0..140 {
        // A control byte or a lone surrogate in a kept string falls back,
        // wherever it falls; a well-formed escape is decoded.
        for bad in [
            ",\"serviceName\":\"a\u{1f}b\"",
            r#","serviceName":"a\ud800b""#,
        ] {
            assert!(envelope(&shifted(fill, bad)).is_none(), "{fill} {bad}");
        }
        for ok in [r#","serviceName":"a\nb""#, r#","serviceName":"k\u003dv\"""#] {
            assert!(envelope(&shifted(fill, ok)).is_some(), "{fill} {ok}");
            assert!(agrees(&shifted(fill, ok)), "{fill} {ok}");
        }
        // An escape in a skipped string is read over, wherever it falls.
        for ok in [r#","k":"\\""#, r#","k":"\"\"\\\"""#, r#","k":"\u0041""#] {
            assert!(agrees(&shifted(fill, ok)), "{fill} {ok}");
        }
        // Records cut inside a string, an escape or a \u sequence.
        let cut = shifted(fill, r#","k":"ab\u0041\"c""#);
        for end in cut.len() - 12..cut.len() {
            assert!(envelope(&cut[..end]).is_none(), "{}", &cut[..end]);
        }
    }
}

/// Records of every length around one and two blocks that end inside an
/// unterminated string, a key, or right after a closing quote.
#[test]
fn records_ending_near_block_edges() {
    for len in (50..=70).chain(118..=134) {
        let body = "a".repeat(len - 8);
        for text in [
            format!(r#"{{"x":"{body}""#),
            format!(r#"{{"x":"{body}"}}"#),
            format!(r#"{{"{body}"#),
            format!(r#"{{"x":"{body}\"#),
        ] {
            let fast = envelope(&text).is_some();
            assert_eq!(fast, agrees(&text));
            assert_eq!(fast, text.ends_with('}'), "{text}");
        }
    }
}
