use super::*;

#[test]
fn cap_never_splits_a_character() {
    let s = "aé€😀";
    for max in 0..=s.len() {
        let c = cap(s, max);
        assert!(c.len() <= max && s.starts_with(c));
    }
    assert_eq!(cap(s, 3), "aé");
    assert_eq!(cap(s, 5), "aé");
    assert_eq!(cap(s, 6), "aé€");
}
