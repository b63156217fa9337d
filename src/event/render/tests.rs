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
