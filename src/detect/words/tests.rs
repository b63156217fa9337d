use super::*;

/// The matching this module replaced: on the method's lower-case copy
/// (removals and credential changes not counted, as since `b0963ab`).
fn privilege_change_lc(operation: Option<&str>, m: &str) -> bool {
    let removal = ["delete", "remove", "unbind", "revoke"]
        .iter()
        .any(|w| m.starts_with(w));
    if operation.is_some_and(|o| o.eq_ignore_ascii_case("AlterAccess")) {
        return !removal;
    }
    let has = |w: &str| m.len() >= w.len() && m.contains(w);
    has("createacl")
        || ((m.starts_with("create") || m.starts_with("add")) && has("rolebinding"))
        || m.starts_with("bindrole")
        || m.starts_with("grantrole")
}

fn login_lc(m: &str) -> bool {
    m.ends_with(".authentication")
        || m.ends_with(".authenticate")
        || m == "signin"
        || m.ends_with("login")
}

/// Methods of the test data, and spellings that test the edges.
fn methods() -> Vec<String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut out: Vec<String> = [
        "",
        "kafka.Produce",
        "CreateACLs",
        "mds.CreateRoleBinding",
        "AddRoleBindingForPrincipal",
        "BindRoleForPrincipal",
        "GrantRole",
        "kafka.AlterUserScramCredentials",
        "io.confluent.kafka.server.Authentication",
        "kafka.AUTHENTICATE",
        "SignIn",
        "signin.x",
        "UserLogin",
        "Login",
        "x.CreateAcl",
        "x.createacL",
        "x.ÇreateACL",
        "ip-filter.Deny",
        "IPFilter.x",
        "DeleteTopics",
        "kafka.DeleteAcls",
        "mds.DeleteRoleBinding",
        "RemoveRoleBinding",
        "UNBINDROLE",
        "create-api-key",
        "CreateApiKey",
        "a",
        "ad",
        "ﬁ.login",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for file in [
        "examples/sample-events.jsonl",
        "tests/data/audit-events/sample.jsonl",
        "tests/data/detect/incident.jsonl",
    ] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).expect(file);
        for line in text.lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                if let Some(m) = v["data"]["methodName"].as_str() {
                    out.push(m.to_owned());
                }
            }
        }
    }
    out
}

#[test]
fn case_ignored_matching_is_the_lower_case_copys() {
    for m in methods() {
        let lc = m.to_ascii_lowercase();
        let (v, v_lc) = (verb(&m), verb(&lc));
        assert_eq!(verb_at(&m), verb_at(&lc), "{m}");
        for op in [None, Some("Write"), Some("alteraccess")] {
            assert_eq!(
                is_privilege_change(op, v),
                privilege_change_lc(op, v_lc),
                "{m} {op:?}"
            );
        }
        assert_eq!(is_login_method(&m), login_lc(&lc), "{m}");
        for w in [
            "delete",
            "create",
            "add",
            "ip-filter.",
            "ipfilter.",
            "signin",
            "",
        ] {
            assert_eq!(starts_ci(&m, w), lc.starts_with(w), "{m} {w}");
            assert_eq!(ends_ci(&m, w), lc.ends_with(w), "{m} {w}");
        }
        for w in ["createacl", "rolebinding", "login"] {
            assert_eq!(has_ci(&m, w), lc.contains(w), "{m} {w}");
        }
    }
}

#[test]
fn words_begin_at_capitals_and_separators() {
    for (m, w, want) in [
        ("DeleteKafkaCluster", "acl", false),
        ("DeleteKafkaCluster", "cluster", true),
        ("DeleteKafkaCluster", "kafka", true),
        ("DeleteAcls", "acl", true),
        ("DeleteACLs", "acl", true),
        ("delete_acl_binding", "acl", true),
        ("kafka.deleteacls", "acl", false),
        ("ip-filter.Acl", "acl", true),
        ("Topic2Acl", "acl", true),
        ("", "acl", false),
        ("Acl", "", true),
    ] {
        assert_eq!(has_word_ci(m, w), want, "{m} {w}");
    }
}
