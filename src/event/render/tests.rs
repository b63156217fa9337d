use super::*;

fn norm(s: &str) -> String {
    let mut out = Vec::new();
    normalize(s, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn gson_escapes_decode() {
    assert_eq!(norm(r#"{"a":"CN\u003dalice"}"#), r#"{"a":"CN=alice"}"#);
    assert_eq!(
        norm(r#"{"a":"caf\u00e9 \ud83d\ude00"}"#),
        "{\"a\":\"café 😀\"}"
    );
}

#[test]
fn escapes_that_must_stay() {
    for s in [
        r#"{"a":"\u0000\u001f\u0022\u005c"}"#,
        r#"{"a":"\ud800x"}"#,
        r#"{"a":"\\u003d"}"#,
        r#"{"a":"line\nbreak \"q\""}"#,
    ] {
        let out = norm(s);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&out).ok(),
            serde_json::from_str::<serde_json::Value>(s).ok(),
            "{s} -> {out}"
        );
    }
    assert_eq!(norm(r#"{"a":"\\u003d"}"#), r#"{"a":"\\u003d"}"#);
}

fn fast(s: &str) -> String {
    let mut out = Vec::new();
    decode_escapes(s.as_bytes(), &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn one_line_records_decode_like_normalize() {
    for s in [
        r#"{"a":"CN\u003dalice,OU\u003dx","b":"\\u003d","c":"\"q\" \\"}"#,
        r#"{"a":"caf\u00e9 \ud83d\ude00","z":"\u0000\u001f\u0022\u005c"}"#,
        r#"{"a":"\ud800x","b":"\u12","c":"end\\"}"#,
        r#"{"plain":"no escapes"}"#,
    ] {
        assert_eq!(fast(s), norm(s), "{s}");
    }
}

#[test]
fn whitespace_outside_strings_is_removed() {
    assert_eq!(
        norm("{\n  \"a\" : [1, 2],\n  \"b\": \"x y\"\n}\n"),
        r#"{"a":[1,2],"b":"x y"}"#
    );
}

/// Every `\u00XX`, either case of hex digit: the one-byte fast path of
/// `copy_escape` writes what the general decoding writes.
#[test]
fn every_u00xx_escape_copies_like_the_general_decoding() {
    for code in 0u32..0x100 {
        for hex in [format!("{code:04x}"), format!("{code:04X}")] {
            let esc = format!("\\u{hex}tail");
            let mut got = Vec::new();
            let used = copy_escape(esc.as_bytes(), &mut got);
            let (consumed, ch) = decode_escape(esc.as_bytes());
            let want = match ch {
                Some(c) => c.to_string().into_bytes(),
                None => esc.as_bytes()[..consumed].to_vec(),
            };
            assert_eq!((used, got), (consumed, want), "{esc}");
        }
    }
    assert_eq!(fast(r#"{"a":"\u003"}"#), r#"{"a":"\u003"}"#);
    assert_eq!(fast(r#"{"a":"x\u003g"}"#), r#"{"a":"x\u003g"}"#);
}

/// Escapes at every offset around the 64-byte blocks `decode_escapes`
/// looks for backslashes in, so that escapes (a surrogate pair is 12
/// bytes, `\\` hides the backslash after it) straddle block edges.
#[test]
fn escapes_across_block_edges_decode_like_normalize() {
    for esc in [
        r"\u003d",
        r"\\",
        r"\ud83d\ude00",
        r"\u00e9",
        r"\u0022",
        r"\\u003d",
        r"\/",
    ] {
        for fill in 0..140 {
            let s = format!(
                r#"{{"a":"{}{esc}{esc}x{esc}","b":"é{esc}"}}"#,
                "y".repeat(fill)
            );
            assert_eq!(fast(&s), norm(&s), "{s}");
        }
    }
}

/// What the scanner notes while reading (line breaks, backslashes) is what
/// `render` would otherwise search the record for; serde_json's view
/// knows nothing, and the notes apply to no other record.
#[test]
fn the_scanners_layout_is_what_a_search_finds() {
    let event = |sep: &str, name: &str| {
        format!(
            r#"{{"specversion":"1.0",{sep}"id":"a","source":"s","type":"io.confluent.kafka.server/authorization",{sep}"data":{{"methodName":"{name}","x":["{name}"]}}}}{sep}"#
        )
    };
    for sep in ["", " ", "\n", "\r\n", "\t"] {
        for name in ["plain", r"CN\u003dx", r"a\\b", r"\/"] {
            let text = event(sep, name);
            let (_, env) = crate::event::validate::parse(text.as_bytes(), usize::MAX).unwrap();
            let b = text.as_bytes();
            assert_eq!(env.extras.layout(b), Some(searched(b)), "{text:?}");
            assert_eq!(env.extras.layout(&b[1..]), None);
        }
    }
    // An escape only in a skipped value, and one in a key: serde_json's
    // view (the key) has no notes.
    let skipped =
        r#"{"specversion":"1.0","id":"a","source":"s","type":"io.confluent.x","data":{},"z":"\n"}"#;
    let (_, env) = crate::event::validate::parse(skipped.as_bytes(), usize::MAX).unwrap();
    assert_eq!(env.extras.layout(skipped.as_bytes()), Some((false, true)));
    let key = r#"{"specversion":"1.0","id":"a","source":"s","type":"io.confluent.x","data":{},"\u007a":1}"#;
    let (_, env) = crate::event::validate::parse(key.as_bytes(), usize::MAX).unwrap();
    assert_eq!(env.extras.layout(key.as_bytes()), None);
}
