use super::*;

fn reason(raw: &str) -> DeadLetterReason {
    parse(raw.as_bytes(), 1 << 20).unwrap_err()
}

const OK: &str = r#"{"id":"1","source":"crn://confluent.cloud/","specversion":"1.0","type":"io.confluent.kafka.server/authorization","data":{}}"#;

#[test]
fn minimal_event_is_valid() {
    parse(OK.as_bytes(), 1 << 20).unwrap();
}

#[test]
fn depth_limit() {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert_eq!(reason(&deep), DeadLetterReason::TooDeep);
    // Brackets inside strings do not count.
    let s = OK.replace(
        r#""data":{}"#,
        &format!(r#""data":{{"x":"{}"}}"#, "[".repeat(300)),
    );
    parse(s.as_bytes(), 1 << 20).unwrap();
    // 128 levels are fine, 129 are not.
    let nest = |n: usize| {
        OK.replace(
            r#""data":{}"#,
            &format!(
                r#""data":{}{}"#,
                "{\"a\":".repeat(n - 1) + "{}",
                "}".repeat(n - 1)
            ),
        )
    };
    parse(nest(127).as_bytes(), 1 << 20).unwrap();
    assert_eq!(reason(&nest(128)), DeadLetterReason::TooDeep);
}

#[test]
fn size_and_encoding() {
    assert!(matches!(
        parse(OK.as_bytes(), 10).unwrap_err(),
        DeadLetterReason::TooLarge { max: 10, .. }
    ));
    assert_eq!(
        parse(b"{\"id\":\"\xff\"}", 100).unwrap_err(),
        DeadLetterReason::NotUtf8 { valid_up_to: 7 }
    );
}

#[test]
fn shapes() {
    assert_eq!(reason("[1,2]"), DeadLetterReason::NotObject("an array"));
    assert_eq!(reason("null"), DeadLetterReason::NotObject("null"));
    assert_eq!(reason(" 42 "), DeadLetterReason::NotObject("a number"));
    assert_eq!(reason("nul").code(), "not_json");
    assert_eq!(reason("hello world").code(), "not_json");
    assert_eq!(reason(r#"{"id":"1""#).code(), "not_json");
    assert_eq!(
        reason(&OK.replace(r#""id":"1""#, r#""id":"""#)).to_string(),
        "invalid_attribute: `id` is an empty string, expected a non-empty string"
    );
    assert_eq!(
        reason(&OK.replace(r#""id":"1""#, r#""id":1"#)).code(),
        "invalid_attribute"
    );
    assert_eq!(
        reason(&OK.replace(r#""source":"crn://confluent.cloud/","#, "")).code(),
        "invalid_attribute"
    );
    assert_eq!(
        reason(&OK.replace("1.0", "2.0")),
        DeadLetterReason::UnsupportedSpecversion("2.0".into())
    );
    assert!(parse(OK.replace("1.0", "0.3").as_bytes(), 1 << 20).is_ok());
    assert_eq!(
        reason(&OK.replace(r#","data":{}"#, "")),
        DeadLetterReason::MissingData
    );
    assert_eq!(
        reason(&OK.replace(r#""data":{}"#, r#""data":"{}""#)),
        DeadLetterReason::DataNotObject("a string")
    );
    assert_eq!(
        reason(&OK.replace("io.confluent.kafka.server", "com.example")).code(),
        "foreign_type"
    );
}

#[test]
fn verdict_types() {
    let with = |data: &str| OK.replace(r#""data":{}"#, &format!(r#""data":{data}"#));
    assert_eq!(
        reason(&with(r#"{"authorizationInfo":{"granted":"false"}}"#)).to_string(),
        "verdict_type: `data.authorizationInfo.granted` is a string, expected a boolean"
    );
    assert_eq!(
        reason(&with(r#"{"authorizationInfo":{"result":true}}"#)).code(),
        "verdict_type"
    );
    assert_eq!(
        reason(&with(r#"{"authenticationInfo":{"result":1}}"#)).code(),
        "verdict_type"
    );
    assert_eq!(
        reason(&with(r#"{"result":{"status":["FAILURE"]}}"#)).code(),
        "verdict_type"
    );
    assert_eq!(
        reason(&with(r#"{"authorizationInfo":"DENY"}"#)).code(),
        "verdict_type"
    );
    // Null verdict fields are allowed.
    parse(
        with(r#"{"authorizationInfo":{"granted":null},"result":null}"#).as_bytes(),
        1 << 20,
    )
    .unwrap();
    // Wrong types elsewhere are tolerated.
    parse(
        with(r#"{"methodName":7,"request":"x","requestMetadata":[1]}"#).as_bytes(),
        1 << 20,
    )
    .unwrap();
}

#[test]
fn duplicate_read_keys_are_a_shape_error() {
    let dup = OK.replace(
        r#""data":{}"#,
        r#""data":{"authorizationInfo":{"granted":true,"granted":false}}"#,
    );
    assert_eq!(reason(&dup).code(), "invalid_shape");
}
