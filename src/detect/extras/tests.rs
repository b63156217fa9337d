use super::*;

fn read(s: &str) -> Extras {
    Extras::read(s.as_bytes())
}

#[test]
fn platform_authentication_identifier_and_connection() {
    let e = read(
        r#"{"data":{"authenticationInfo":{"principal":"User:alice","metadata":{"identifier":"alice"}},"requestMetadata":{"connection_id":"c-1"}}}"#,
    );
    assert_eq!(e.identifier.as_deref(), Some("alice"));
    assert_eq!(e.connection_id.as_deref(), Some("c-1"));
}

#[test]
fn cloud_credentials_and_snake_case_spellings() {
    let e = read(
        r#"{"data":{"authentication_info":{"principal":{"email":"x@example.com"},"credentials":{"idSecretCredentials":{"credentialId":"KEY123"}}},"request_metadata":{"connectionId":42},"request":{"data":{"crnPattern":"crn://confluent.cloud/topic=sensitive-pii*","principal":"User:sa-1"}},"authorization_info":{"pattern_type":"PREFIXED"},"result":{"data":{"errorType":"UNAUTHORIZED"}}}}"#,
    );
    assert_eq!(e.identifier.as_deref(), Some("KEY123"));
    assert_eq!(e.connection_id.as_deref(), Some("42"));
    assert_eq!(
        e.crn_pattern.as_deref(),
        Some("crn://confluent.cloud/topic=sensitive-pii*")
    );
    assert_eq!(e.target_principal.as_deref(), Some("User:sa-1"));
    assert_eq!(e.pattern_type.as_deref(), Some("PREFIXED"));
    assert_eq!(e.error_type.as_deref(), Some("UNAUTHORIZED"));
    let email = read(r#"{"data":{"authenticationInfo":{"principal":{"email":"x@example.com"}}}}"#);
    assert_eq!(email.identifier.as_deref(), Some("x@example.com"));
}

/// The fuzz finding: values a `serde_json::Value` refuses, in fields no
/// rule reads, must not hide the credential.
#[test]
fn values_a_json_tree_refuses_do_not_hide_the_credential() {
    for odd in [r#""x":1e400"#, r#""x":"\ud800""#, r#""x":-1e999999"#] {
        let raw = format!(
            r#"{{"data":{{{odd},"authenticationInfo":{{"metadata":{{"identifier":"mallory"}}}}}}}}"#
        );
        assert!(
            serde_json::from_str::<serde_json::Value>(&raw).is_err(),
            "{raw}"
        );
        assert_eq!(read(&raw).identifier.as_deref(), Some("mallory"), "{raw}");
    }
    let deep = format!(
        r#"{{"data":{{"x":{}{},"authenticationInfo":{{"metadata":{{"identifier":"mallory"}}}}}}}}"#,
        "[".repeat(126),
        "]".repeat(126)
    );
    assert!(serde_json::from_str::<serde_json::Value>(&deep).is_err());
    assert_eq!(read(&deep).identifier.as_deref(), Some("mallory"));
}

#[test]
fn a_field_of_another_type_reads_as_absent_and_the_rest_still_reads() {
    let e = read(
        r#"{"data":{"authenticationInfo":{"metadata":"oops","credentials":[1,2]},"requestMetadata":{"connection_id":{"a":1}},"request":{"data":{"principal":"User:bob"}}}}"#,
    );
    assert_eq!(e.identifier, None);
    assert_eq!(e.connection_id, None);
    assert_eq!(e.target_principal.as_deref(), Some("User:bob"));
    assert_eq!(read("not json").identifier, None);
    assert_eq!(read(r#"{"data":"x"}"#).identifier, None);
}
