use super::*;

#[test]
fn patterns_are_checked_as_elasticsearch_does() {
    assert_eq!(check_pattern("confluent-audit-*"), Ok(()));
    assert_eq!(check_pattern(".ds-audit*"), Ok(()));
    assert_eq!(
            check_pattern("Bad Pattern").unwrap_err().to_string(),
            "index pattern `Bad Pattern` contains ' ', which index names may not contain (space , \" \\ / ? < > | # :)"
        );
    assert_eq!(
        check_pattern("Audit-*").unwrap_err().to_string(),
        "index pattern `Audit-*` has upper-case letters: index names are lower case"
    );
    assert!(matches!(
        check_pattern("_x"),
        Err(PatternError::Start(_, '_'))
    ));
    assert_eq!(check_pattern(""), Err(PatternError::Empty));
}
