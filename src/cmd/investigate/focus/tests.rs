use super::*;

#[test]
fn cidr_and_last_value() {
    assert!(in_cidr("203.0.113.0/24", "203.0.113.50"));
    assert!(!in_cidr("203.0.113.0/24", "203.0.114.50"));
    assert_eq!(last_value("crn://x/kafka=a/topic=orders"), "orders");
    assert_eq!(last_value("orders"), "orders");
}

#[test]
fn empty_globs_are_usage_errors() {
    let e = Focus::new(&[], &[], &["".into()], &[], None).unwrap_err();
    assert!(e.to_string().contains("--resource"), "{e}");
    assert!(Focus::new(&[], &["10.0.0.0/99".into()], &[], &[], None).is_err());
}
