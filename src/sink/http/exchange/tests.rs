use super::*;

#[test]
fn retry_after_seconds() {
    assert_eq!(retry_after(Some("5")), Some(Duration::from_secs(5)));
    assert_eq!(retry_after(Some(" 7 ")), Some(Duration::from_secs(7)));
    assert_eq!(retry_after(Some("soon")), None);
    assert_eq!(retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
    assert_eq!(retry_after(None), None);
}

#[test]
fn failures_map_to_outcomes() {
    assert!(matches!(
        Failure::NotSent("x".into()).outcome(),
        Outcome::Retryable(_)
    ));
    assert!(matches!(
        Failure::Unknown("x".into()).outcome(),
        Outcome::Ambiguous(_)
    ));
    match Failure::Tls("TLS with X failed".into()).outcome() {
        Outcome::Misconfigured(m) => assert!(m.contains("check `tls.*`"), "{m}"),
        other => panic!("{other:?}"),
    }
}
