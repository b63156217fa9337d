use super::*;

#[test]
fn unescape_decodes_like_serde_and_refuses_what_serde_refuses() {
    for body in [
        r#"crn:///kafka\u003dQm7t"#,
        r#"a\"b\\c\/d\b\f\n\r\t"#,
        r#"caf\u00e9 \u00E9 \ud83d\ude00 \u0000"#,
        r#"\u12345"#,
        r#"plain"#,
        r#"\\u003d"#,
    ] {
        let want: String = serde_json::from_str(&format!("\"{body}\"")).unwrap();
        assert_eq!(unescape(body).as_deref(), Some(want.as_str()), "{body}");
    }
    for body in [
        r#"\ud800"#,
        r#"\udc00"#,
        r#"\ud800\u0041"#,
        r#"\ud800x"#,
        r#"\u+041"#,
        r#"\u12"#,
        r#"\x"#,
        r#"end\"#,
    ] {
        assert!(serde_json::from_str::<String>(&format!("\"{body}\"")).is_err());
        assert_eq!(unescape(body), None, "{body}");
    }
    assert_eq!(hex4(b"00e9"), Some(0xe9));
    assert_eq!(hex4(b"00E9x"), Some(0xe9));
    assert_eq!(hex4(b"+0e9"), None);
    assert_eq!(hex4(b"0e9"), None);
}

#[test]
fn finds_the_first_special_byte_at_every_position() {
    for len in 0..40 {
        let plain: Vec<u8> = (0..len).map(|i| b" a~\x7f\x80\xc3\xff#"[i % 8]).collect();
        assert_eq!(first_special(&plain), None, "{len}");
        for at in 0..len {
            for c in (0u8..0x20).chain([b'"', b'\\']) {
                let mut b = plain.clone();
                b[at] = c;
                // A later special byte must not hide the first one.
                if at + 1 < len {
                    b[len - 1] = b'"';
                }
                assert_eq!(first_special(&b), Some(at), "{c:#x} at {at} of {len}");
            }
        }
    }
}

/// The ASCII fast path (`\u00XX` below 0x80, and the short escapes) gives
/// what serde_json gives, in either case of hex digit, between runs longer
/// and shorter than `first_special`'s 16-byte step, beside non-ASCII text.
#[test]
fn ascii_escapes_decode_like_serde() {
    for code in 0u32..0x100 {
        for hex in [format!("{code:04x}"), format!("{code:04X}")] {
            for run in ["", "é", "0123456789abcdefé0123456789"] {
                let body = format!("{run}\\u{hex}{run}\\/\\n\\u{hex}");
                let want: String = serde_json::from_str(&format!("\"{body}\"")).unwrap();
                assert_eq!(unescape(&body).as_deref(), Some(want.as_str()), "{body}");
            }
        }
    }
    assert_eq!(ascii_escape(br"\u003d"), Some((b'=', 6)));
    assert_eq!(ascii_escape(br"\u00e9"), None);
    assert_eq!(ascii_escape(br"\u003g"), None);
    assert_eq!(ascii_escape(br"\u003"), None);
    assert_eq!(ascii_escape(br"\"), None);
    assert_eq!(unescape(r"\u003"), None);
    assert_eq!(unescape(r"x\u00"), None);
    assert_eq!(unescape(""), Some(String::new()));
}
