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
    let snake = read(
        r#"{"data":{"authentication_info":{"credentials":{"id_secret_credentials":{"credential_id":"KEY9"}}}}}"#,
    );
    assert_eq!(snake.identifier.as_deref(), Some("KEY9"));
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

/// The scanner's ranges ([`Extras::from_spans`]) against the typed parse:
/// when they answer, they answer the same; returns whether they answered.
fn spans_agree(raw: &str) -> bool {
    let Ok((_, env)) = crate::event::validate::parse(raw.as_bytes(), usize::MAX) else {
        return false;
    };
    let Some(fast) = Extras::from_spans(raw.as_bytes(), &env.extras) else {
        return false;
    };
    assert_eq!(
        format!("{fast:?}"),
        format!("{:?}", read(raw)),
        "spans and parse differ: {raw}"
    );
    assert_eq!(
        crate::detect::dry_run::dry_run(&env.extras, raw.as_bytes()),
        crate::detect::dry_run::is_dry_run(raw.as_bytes()),
        "dry run read two ways: {raw}"
    );
    true
}

fn wrap(data: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"a","source":"crn://confluent.cloud/","type":"io.confluent.kafka.server/authentication","time":"2025-01-15T10:31:00Z","data":{{"methodName":"kafka.Authentication",{data}}}}}"#
    )
}

/// Records with every extra field, both dialects, and the odd values the
/// typed parse decodes or refuses (escapes, numbers, duplicates, other
/// types), wrapped in a plain authorization event.
fn extra_records() -> Vec<String> {
    let bodies = [
        r#""authenticationInfo":{"principal":"User:alice","metadata":{"identifier":"alice"}},"requestMetadata":{"connection_id":"c-1"}"#,
        r#""authentication_info":{"principal":{"email":"x@example.com"},"credentials":{"idSecretCredentials":{"credentialId":"KEY123"}}},"request_metadata":{"connectionId":42},"request":{"data":{"crnPattern":"crn://confluent.cloud/topic=sensitive-pii*","principal":"User:sa-1"}},"authorization_info":{"pattern_type":"PREFIXED"},"result":{"data":{"errorType":"UNAUTHORIZED"}}"#,
        r#""authenticationInfo":{"principal":{"email":"x@example.com","email":"y"}}"#,
        r#""authenticationInfo":{"principal":{"email":"caf\u00e9"}},"requestMetadata":{"connection_id":"c-1"}"#,
        r#""authenticationInfo":{"principal":"User:\ud800"},"requestMetadata":{"connection_id":"c-1"}"#,
        r#""authenticationInfo":{"principal":"User:\u0041"},"requestMetadata":{"connection_id":"c-1"}"#,
        r#""authenticationInfo":{"principal":1e400},"requestMetadata":{"connection_id":"c-1"}"#,
        r#""authenticationInfo":{"principal":null,"metadata":{"identifier":"a\"b\\c\u003d"}}"#,
        r#""authenticationInfo":{"metadata":{"identifier":"\udc00"}},"requestMetadata":{"connection_id":"c-1"}"#,
        r#""authenticationInfo":{"metadata":{"identifier":""},"credentials":{"idTokenCredentials":{"subject":"sub-1"},"certificateCredentials":{"dname":{"cn":"host-1"}}}}"#,
        r#""authenticationInfo":{"credentials":{"certificateCredentials":{"dname":{"cn":7}}}}"#,
        r#""authenticationInfo":{"credentials":{"certificateCredentials":{"dname":"\ud800"}}},"requestMetadata":{"connection_id":"c-1"}"#,
        r#""authenticationInfo":{"credentials":{"certificateCredentials":{"dname":"a\u0041"}}},"requestMetadata":{"connection_id":"c-1"}"#,
        r#""authenticationInfo":{"metadata":1e400},"requestMetadata":{"connection_id":"c-1"}"#,
        r#""authenticationInfo":{"metadata":-12.5,"credentials":[1,{"a":2}]},"requestMetadata":{"connection_id":"c-1"}"#,
        r#""authenticationInfo":{"metadata":{"identifier":"a"},"metadata":{"identifier":"b"}}"#,
        r#""authenticationInfo":{"metadata":{"identifier":"a","identifier":"b"}}"#,
        r#""requestMetadata":{"connection_id":"a","connection_id":"b"}"#,
        r#""requestMetadata":{"connection_id":1.5e3,"connectionId":"b"}"#,
        r#""requestMetadata":{"connection_id":1e999,"connectionId":"b"}"#,
        r#""requestMetadata":{"connection_id":true,"connectionId":"b"}"#,
        r#""requestMetadata":{"connection_id":-0,"connectionId":"b"}"#,
        r#""requestMetadata":{"connection_id":12345678901234567890123,"connectionId":"b"}"#,
        r#""authorizationInfo":{"granted":false,"patternType":"LITERAL","patternType":"PREFIXED"}"#,
        r#""authorizationInfo":{"granted":false,"patternType":{"x":1},"pattern_type":"PREFIXED"}"#,
        r#""request":{"data":{"crn_pattern":"a","crnPattern":"b","principal":["x"]}}"#,
        r#""request":{"data":{"crn_pattern":"a","crn_pattern":"b"}}"#,
        r#""result":{"status":"FAILURE","data":{"errorType":"AUTHORIZATION_FAILED"}}"#,
        r#""result":{"status":"FAILURE","data":{"errorType":"x"},"data":{}}"#,
        r#""result":{"status":"FAILURE","data":"\u0041"}"#,
        r#""result":{"status":"FAILURE","data":[1e400]}"#,
        r#""authentication_info":{"credentials":{"id_secret_credentials":{"credential_id":"KEY9"}}}"#,
        r#""authentication_info":{"credentials":{"id_token_credentials":{"subject":"s-9"},"certificate_credentials":{"dname":{"cn":"h-9"}}}}"#,
        r#""authenticationInfo":{"credentials":{"idSecretCredentials":{"credentialId":"A","credential_id":"B"}}}"#,
        r#""authenticationInfo":{"credentials":{"idSecretCredentials":{"credentialId":"A"},"id_secret_credentials":{"credentialId":"B"}}}"#,
        r#""authorizationInfo":{"granted":false,"dryRun":true,"patternType":"LITERAL"}"#,
        r#""authorizationInfo":{"granted":true,"dryRun":false,"dry_run":true}"#,
        r#""authorization_info":{"granted":true,"dry_run":true}"#,
        r#""authorizationInfo":{"granted":true,"dryRun":"true"}"#,
        r#""authorizationInfo":{"granted":true,"dryRun":1}"#,
        r#""authorizationInfo":{"granted":true,"dryRun":true,"dryRun":false}"#,
        r#""authorizationInfo":{"granted":true,"dryRun": true }"#,
    ];
    bodies.iter().map(|b| wrap(b)).collect()
}

#[test]
fn scanner_ranges_read_like_the_typed_parse() {
    let records = extra_records();
    let answered = records.iter().filter(|r| spans_agree(r)).count();
    // The plain ones take the fast path; the doubtful ones (18 of them:
    // duplicates — a camel-case and a snake-case spelling of one field
    // too —, escapes and out-of-range numbers where the typed parse
    // decodes) fall back.
    assert_eq!(answered, 24, "of {}", records.len());
    assert!(spans_agree(&records[0]) && spans_agree(&records[1]));
    let fixtures = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/audit-events/sample.jsonl"
    ))
    .expect("shared fixtures");
    let answered = fixtures.lines().filter(|l| spans_agree(l)).count();
    assert!(answered >= 50, "{answered}");
}

#[test]
fn doubtful_values_leave_the_record_to_the_typed_parse() {
    for body in [
        r#""authenticationInfo":{"metadata":{"identifier":"a","identifier":"b"}}"#,
        r#""authenticationInfo":{"metadata":1e400,"principal":"User:a"}"#,
        r#""authenticationInfo":{"credentials":"\u0041"}"#,
    ] {
        let raw = wrap(body);
        let (_, env) = crate::event::validate::parse(raw.as_bytes(), usize::MAX).unwrap();
        assert!(
            Extras::from_spans(raw.as_bytes(), &env.extras).is_none(),
            "{raw}"
        );
    }
    // A different record than the one the ranges were taken from.
    let raw = extra_records().remove(0);
    let (_, env) = crate::event::validate::parse(raw.as_bytes(), usize::MAX).unwrap();
    assert!(Extras::from_spans(b"{}", &env.extras).is_none());
}

/// Every record one edit away from one with extra fields: the ranges
/// answer like the typed parse or leave it to it.
#[test]
fn mutated_records_agree() {
    const INSERTS: &[&str] = &[
        "\"",
        "\\",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "0",
        "1e400",
        "-",
        " ",
        "null",
        "\\u0041",
        "\"identifier\":\"x\",",
        "\"connection_id\":1,",
        "\"data\":{},",
        "\"email\":\"e\",",
        "\"dryRun\":true,",
    ];
    let mut fast = 0;
    for line in extra_records() {
        crate::event::scan::edits::one_edit(&line, 1, INSERTS, |edited| {
            fast += usize::from(spans_agree(edited));
        });
    }
    assert!(fast > 5_000, "{fast}");
}
