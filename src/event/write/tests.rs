use super::*;

#[test]
fn strings_needing_escapes_are_escaped() {
    let mut out = Vec::new();
    string("a\"b\u{1}é", &mut out);
    string("plain é", &mut out);
    assert_eq!(String::from_utf8(out).unwrap(), r#""a\"b\u0001é""plain é""#);
}
