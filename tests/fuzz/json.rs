//! A strict RFC 8259 grammar check: the third reading of "is this JSON",
//! independent of serde_json (which is stricter than the grammar on lone
//! surrogate escapes, out-of-range numbers and depth, and laxer when it
//! skips a value with `IgnoredAny`).

/// Whether `text` is exactly one JSON value with optional whitespace.
pub fn valid(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = ws(b, 0);
    match value(b, i, 0) {
        Some(end) => {
            i = ws(b, end);
            i == b.len()
        }
        None => false,
    }
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

fn value(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    if depth > 10_000 {
        return None;
    }
    match *b.get(i)? {
        b'{' => {
            let mut i = ws(b, i + 1);
            if b.get(i) == Some(&b'}') {
                return Some(i + 1);
            }
            loop {
                i = string(b, i)?;
                i = ws(b, i);
                (b.get(i) == Some(&b':')).then_some(())?;
                i = ws(b, i + 1);
                i = ws(b, value(b, i, depth + 1)?);
                match b.get(i)? {
                    b',' => i = ws(b, i + 1),
                    b'}' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        b'[' => {
            let mut i = ws(b, i + 1);
            if b.get(i) == Some(&b']') {
                return Some(i + 1);
            }
            loop {
                i = ws(b, value(b, i, depth + 1)?);
                match b.get(i)? {
                    b',' => i = ws(b, i + 1),
                    b']' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        b'"' => string(b, i),
        b't' => b[i..].starts_with(b"true").then_some(i + 4),
        b'f' => b[i..].starts_with(b"false").then_some(i + 5),
        b'n' => b[i..].starts_with(b"null").then_some(i + 4),
        _ => number(b, i),
    }
}

fn string(b: &[u8], mut i: usize) -> Option<usize> {
    (b.get(i) == Some(&b'"')).then_some(())?;
    i += 1;
    loop {
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    let h = b.get(i + 2..i + 6)?;
                    h.iter().all(u8::is_ascii_hexdigit).then_some(())?;
                    i += 6;
                }
                _ => return None,
            },
            c if c < 0x20 => return None,
            _ => i += 1,
        }
    }
}

fn number(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |b: &[u8], mut i: usize| {
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        (i > s).then_some(i)
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match b.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(b, i)?,
        _ => return None,
    };
    if b.get(i) == Some(&b'.') {
        i = digits(b, i + 1)?;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(b, i)?;
    }
    Some(i)
}

#[test]
fn grammar_examples() {
    for ok in [
        r#"{"a":[1,-0.5e+3,true,null,"\ud800\u00e9"]}"#,
        " 1e400 ",
        "[[]]",
        r#""\/""#,
    ] {
        assert!(valid(ok), "{ok}");
    }
    for bad in [
        "{",
        "[1,]",
        "01",
        "1.",
        "\"\\x\"",
        "\"\u{1}\"",
        "{\"a\" 1}",
        "tru",
        "-",
        "[] x",
    ] {
        assert!(!valid(bad), "{bad}");
    }
}
