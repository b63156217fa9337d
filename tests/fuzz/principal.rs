//! The principal parser (`src/event/principal.rs`): never panics on any
//! string or JSON value, and follows rule NP: a `Type:name` string is kept
//! as it is (split at the first `:`), a bare name becomes `User:<name>`, a
//! numeric `User:` id takes `principalResourceId` when given, and the
//! kind is a function of the normalised text.

use proptest::prelude::*;
use serde_json::value::RawValue;
use siem_bridge::event::principal::{kind_of, normalize, normalize_str};

use crate::gen::{config, json_string, nasty_string};

fn principal_text() -> impl Strategy<Value = String> {
    prop_oneof![
        nasty_string(),
        "(User|ServiceAccount|Group|None|External|Confluent)?:?[a-zA-Z0-9:=,/_-]{0,16}",
        "User:[0-9]{1,8}",
        Just("None:UNKNOWN_USER".to_owned()),
    ]
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn strings_follow_rule_np(s in principal_text(), rid in prop::option::of(nasty_string())) {
        let n = normalize_str(&s, rid.as_deref());
        if s.is_empty() {
            prop_assert!(n.is_none());
            return Ok(());
        }
        let n = n.unwrap();
        let numeric_user = s
            .strip_prefix("User:")
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
        let bare_numeric = !s.contains(':') && s.bytes().all(|b| b.is_ascii_digit());
        match rid.as_deref().filter(|r| !r.is_empty()) {
            Some(r) if numeric_user || bare_numeric => prop_assert_eq!(&*n, format!("User:{r}")),
            _ if s.contains(':') => prop_assert_eq!(&*n, s.as_str()),
            _ => prop_assert_eq!(&*n, format!("User:{s}")),
        }
        // Idempotent: the normalised form normalises to itself (no id).
        let again = normalize_str(&n, None).unwrap();
        prop_assert_eq!(&*again, &*n);
        let _ = kind_of(&n);
        // The JSON string form decodes escapes first and then agrees.
        for esc in [[false], [true]] {
            let json = json_string(&s, &esc);
            let raw: &RawValue = serde_json::from_str(&json).unwrap();
            let (jn, email) = normalize(raw, rid.as_deref());
            prop_assert_eq!(jn.as_deref(), Some(&*n), "{}", json);
            prop_assert!(email.is_none());
        }
    }

    #[test]
    fn objects_never_panic(
        sa in prop::option::of(nasty_string()),
        user in prop::option::of(nasty_string()),
        subject in prop::option::of(nasty_string()),
        email in prop::option::of(nasty_string()),
    ) {
        let mut o = serde_json::Map::new();
        if let Some(v) = &sa {
            o.insert("confluentServiceAccount".into(), serde_json::json!({"resourceId": v}));
        }
        if let Some(v) = &user {
            o.insert("confluentUser".into(), serde_json::json!({"resourceId": v}));
        }
        if let Some(v) = &subject {
            o.insert("externalAccount".into(), serde_json::json!({"subject": v}));
        }
        if let Some(v) = &email {
            o.insert("email".into(), serde_json::json!(v));
        }
        let json = serde_json::Value::Object(o).to_string();
        let raw: &RawValue = serde_json::from_str(&json).unwrap();
        let (n, e) = normalize(raw, None);
        let id = sa.as_deref().filter(|s| !s.is_empty())
            .or(user.as_deref().filter(|s| !s.is_empty()));
        match (id, &subject) {
            (Some(id), _) => {
                let want = format!("User:{}", id.strip_prefix("User:").unwrap_or(id));
                prop_assert_eq!(n.as_deref(), Some(want.as_str()));
            }
            (None, Some(s)) => {
                let want = format!("External:{s}");
                prop_assert_eq!(n.as_deref(), Some(want.as_str()));
            }
            (None, None) => prop_assert!(n.is_none()),
        }
        prop_assert_eq!(e.as_deref(), email.as_deref().filter(|e| !e.is_empty()));
    }

    #[test]
    fn arbitrary_json_never_panics(json in "[\\[\\]{}\":,a-zA-Z0-9\\\\ ]{0,40}") {
        if let Ok(raw) = serde_json::from_str::<&RawValue>(&json) {
            let _ = normalize(raw, Some("u-1"));
        }
    }
}
