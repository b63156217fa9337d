use super::*;

#[test]
fn guids_are_v4_and_distinct() {
    let a = guid();
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "4");
    assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    assert_ne!(a, guid());
}

#[test]
fn rotation_happens_once_per_generation() {
    let c = Channel::default();
    let (g0, n0) = c.current();
    assert!(c.rotate(n0));
    assert!(
        !c.rotate(n0),
        "a second report of the same loss changes nothing"
    );
    let (g1, n1) = c.current();
    assert_ne!(g0, g1);
    assert_eq!(n1, n0 + 1);
}
