use super::*;

#[test]
fn same_answers_as_wildmatch() {
    let patterns = [
        "",
        "*",
        "**",
        "***",
        "a",
        "a*",
        "*a",
        "*a*",
        "ab*",
        "*ab",
        "*ab*",
        "a*b",
        "*a*b*",
        "a?",
        "?",
        "*?*",
        "kafka.*Acls",
        "*CreateRoleBinding*",
        "Delete*Cluster",
        "sensitive-*",
        "DeleteEnvironment",
        "é*",
        "*é",
        "*Role*ForPrincipal",
        "a*b*c",
        "*a*b",
        "a*b*",
        "**a**b**",
        "*ab*ab*",
        "a*a",
        "a*a*a",
    ];
    let values = [
        "",
        "a",
        "b",
        "ab",
        "ba",
        "aab",
        "abb",
        "abab",
        "xaby",
        "a*",
        "*",
        "kafka.CreateAcls",
        "kafka.Produce",
        "CreateRoleBindings",
        "DeleteKafkaCluster",
        "sensitive-payments",
        "sensitive",
        "DeleteEnvironment",
        "é",
        "éa",
        "aé",
        "RoleBindingForPrincipal",
        "CreateRoleForPrincipal",
        "RoleForPrincipalX",
        "abc",
        "aXbXc",
        "acb",
        "abab",
        "aabab",
        "aa",
        "aaa",
        "aba",
    ];
    for p in patterns {
        let (fast, reference) = (Glob::new(p), WildMatch::new(p));
        for v in values {
            assert_eq!(fast.matches(v), reference.matches(v), "{p:?} on {v:?}");
        }
    }
}
