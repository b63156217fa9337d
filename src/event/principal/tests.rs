use super::*;
use serde_json::value::RawValue;

fn np(json: &str, rid: Option<&str>) -> Option<String> {
    let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
    normalize(&*raw, rid).0.map(Cow::into_owned)
}

#[test]
fn service_account_and_user_strings() {
    assert_eq!(
        np(r#""User:sa-abc123""#, None).as_deref(),
        Some("User:sa-abc123")
    );
    assert_eq!(
        np(r#""User:u-abc123""#, None).as_deref(),
        Some("User:u-abc123")
    );
    assert_eq!(
        np(r#""User:pool-AbC1""#, None).as_deref(),
        Some("User:pool-AbC1")
    );
}

#[test]
fn legacy_numeric_with_resource_id() {
    assert_eq!(
        np(r#""User:384921""#, Some("u-5bx1ke")).as_deref(),
        Some("User:u-5bx1ke")
    );
    assert_eq!(
        np(r#""User:384921""#, Some("")).as_deref(),
        Some("User:384921")
    );
    assert_eq!(np(r#""User:384921""#, None).as_deref(), Some("User:384921"));
    // Only numeric names are replaced.
    assert_eq!(
        np(r#""User:alice""#, Some("u-1")).as_deref(),
        Some("User:alice")
    );
}

#[test]
fn unknown_user_stays() {
    assert_eq!(
        np(r#""None:UNKNOWN_USER""#, None).as_deref(),
        Some("None:UNKNOWN_USER")
    );
    assert_eq!(kind_of("None:UNKNOWN_USER"), PrincipalKind::UnknownUser);
}

#[test]
fn split_on_first_colon_only() {
    assert_eq!(
        np(r#""User:CN=alice,OU=x:y,O=Example""#, None).as_deref(),
        Some("User:CN=alice,OU=x:y,O=Example")
    );
    assert_eq!(
        np(r#""User:spiffe://example.org/ns/a""#, None).as_deref(),
        Some("User:spiffe://example.org/ns/a")
    );
}

#[test]
fn no_colon_means_user_and_case_is_kept() {
    assert_eq!(np(r#""Alice""#, None).as_deref(), Some("User:Alice"));
    assert_eq!(np(r#""Group:Ops""#, None).as_deref(), Some("Group:Ops"));
    assert_eq!(kind_of("Group:Ops"), PrincipalKind::Other);
}

#[test]
fn cp_names() {
    for p in ["User:alice", "User:kafka", "User:ANONYMOUS"] {
        assert_eq!(np(&format!("\"{p}\""), None).as_deref(), Some(p));
        assert_eq!(kind_of(p), PrincipalKind::User);
    }
}

#[test]
fn objects() {
    assert_eq!(
        np(r#"{"confluentServiceAccount":{"resourceId":"sa-1"}}"#, None).as_deref(),
        Some("User:sa-1")
    );
    assert_eq!(
        np(
            r#"{"email":"a@b.c","confluentUser":{"resourceId":"u-1"}}"#,
            None
        )
        .as_deref(),
        Some("User:u-1")
    );
    assert_eq!(
        np(r#"{"confluentUser":{"resourceId":"User:u-nxd3q3"}}"#, None).as_deref(),
        Some("User:u-nxd3q3")
    );
    assert_eq!(
        np(
            r#"{"confluent_service_account":{"resource_id":"sa-9"}}"#,
            None
        )
        .as_deref(),
        Some("User:sa-9")
    );
    assert_eq!(
        np(
            r#"{"externalAccount":{"namespace":[{"type":"idp","id":"op-1"}],"subject":"ext|42"}}"#,
            None
        )
        .as_deref(),
        Some("External:ext|42")
    );
    assert_eq!(np(r#"{"email":"mallory@example.net"}"#, None), None);
    let raw: Box<RawValue> = serde_json::from_str(r#"{"email":"mallory@example.net"}"#).unwrap();
    assert_eq!(
        normalize(&*raw, None).1.as_deref(),
        Some("mallory@example.net")
    );
}

#[test]
fn confluent_staff_and_kinds() {
    assert_eq!(
        np(
            r#"{"confluentUser":{"resourceId":"confluent.privileged"}}"#,
            None
        )
        .as_deref(),
        Some("User:confluent.privileged")
    );
    assert_eq!(
        kind_of("User:confluent.privileged"),
        PrincipalKind::ConfluentStaff
    );
    assert_eq!(kind_of("User:sa-1"), PrincipalKind::ServiceAccount);
    assert_eq!(kind_of("User:pool-1"), PrincipalKind::IdentityPool);
    assert_eq!(kind_of("User:group-1"), PrincipalKind::GroupMapping);
    assert_eq!(kind_of("External:x"), PrincipalKind::External);
}

#[test]
fn missing_and_odd_shapes() {
    assert_eq!(np(r#""""#, None), None);
    assert_eq!(np("null", None), None);
    assert_eq!(np("42", None), None);
    assert_eq!(np("[]", None), None);
    assert_eq!(np(r#"{"confluentUser":{"resourceId":""}}"#, None), None);
}
