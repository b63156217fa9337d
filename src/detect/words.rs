//! Words in method names, matched without regard to case: which methods
//! change privileges, which are logins, and the verb of a method.
//!
//! Matched on the method as written, ASCII letters compared without
//! case (`eq_ignore_ascii_case`), which is what matching its lower-case
//! copy did: an event's facts no longer copy and lower-case its method
//! (BENCHMARKS.md, "Detector", session `hot`); the few rules that need
//! the copy make it on demand ([`super::facts::Facts::method_lc`]).

/// `m` starts with `w` (lower case), ASCII case ignored.
#[inline]
pub fn starts_ci(m: &str, w: &str) -> bool {
    m.len() >= w.len() && m.as_bytes()[..w.len()].eq_ignore_ascii_case(w.as_bytes())
}

/// `m` ends with `w` (lower case), ASCII case ignored.
#[inline]
pub fn ends_ci(m: &str, w: &str) -> bool {
    m.len() >= w.len() && m.as_bytes()[m.len() - w.len()..].eq_ignore_ascii_case(w.as_bytes())
}

/// `m` contains `w` (lower case, not empty), ASCII case ignored. Length
/// first: most verbs (`produce`, `fetch`) are shorter than the words.
#[inline]
pub fn has_ci(m: &str, w: &str) -> bool {
    m.len() >= w.len()
        && m.as_bytes()
            .windows(w.len())
            .any(|x| x.eq_ignore_ascii_case(w.as_bytes()))
}

/// A word of `m` starts with `w` (lower case), ASCII case ignored. Words
/// begin at the start, after `.`, `_` or `-`, and at a capital that
/// follows a lower-case letter or a digit: `DeleteKafkaCluster` is
/// `Delete`, `Kafka`, `Cluster` (it has no `Acl` word, though its letters
/// hold "acl"), `DeleteACLs` is `Delete`, `ACLs`.
pub fn has_word_ci(m: &str, w: &str) -> bool {
    let b = m.as_bytes();
    let mut start = 0;
    for i in 0..=b.len() {
        let sep = i < b.len() && matches!(b[i], b'.' | b'_' | b'-');
        let capital = i > 0
            && i < b.len()
            && b[i].is_ascii_uppercase()
            && (b[i - 1].is_ascii_lowercase() || b[i - 1].is_ascii_digit());
        if sep || capital || i == b.len() {
            if starts_ci(&m[start..i], w) {
                return true;
            }
            start = if sep { i + 1 } else { i };
        }
    }
    false
}

/// Methods that give someone access: create an ACL or a role binding, or
/// `AlterAccess` granted. Matched case-insensitively on words, not exact
/// spellings: `docs/audit-log-format.md` §5 warns that several
/// organisation method names are unconfirmed. A removal (`DeleteAcls`,
/// `DeleteRoleBinding`, `RemoveRoleBinding`, … — their authorization is
/// `AlterAccess` too) takes access away, and a credential change
/// (`AlterUserScramCredentials`) changes who someone is, not what they
/// may do: neither is one ([`is_removal`]).
///
/// `m` is the method's [`verb`], in any case.
pub fn is_privilege_change(operation: Option<&str>, m: &str) -> bool {
    if operation.is_some_and(|o| o.eq_ignore_ascii_case("AlterAccess")) {
        return !is_removal(m);
    }
    has_ci(m, "createacl")
        || ((starts_ci(m, "create") || starts_ci(m, "add")) && has_ci(m, "rolebinding"))
        || starts_ci(m, "bindrole")
        || starts_ci(m, "grantrole")
}

/// An authorization check of an operation that reads, writes data or
/// describes, and changes nothing else: Kafka checks a `DeleteTopics`
/// request for `Describe` as well as `Delete` on each topic, and Confluent
/// Platform logs both checks under the request's method; only the second
/// is the deletion. Such a check is neither a deletion nor a privilege
/// change, whatever its method says.
pub fn is_look_only(operation: &str) -> bool {
    [
        "Describe",
        "DescribeConfigs",
        "Read",
        "Write",
        "IdempotentWrite",
        "ClusterAction",
        "DescribeTokens",
    ]
    .iter()
    .any(|o| o.eq_ignore_ascii_case(operation))
}

/// A verb that takes something away, in any case.
pub fn is_removal(m: &str) -> bool {
    ["delete", "remove", "unbind", "revoke"]
        .iter()
        .any(|w| starts_ci(m, w))
}

/// The method's last dot-separated part: `kafka.DeleteTopics` → `DeleteTopics`.
pub fn verb(method: &str) -> &str {
    &method[verb_at(method)..]
}

/// Where [`verb`] starts in `method` (a plain loop: methods are short, and
/// a reverse character search costs more than it saves on them).
pub fn verb_at(method: &str) -> usize {
    method.bytes().rposition(|b| b == b'.').map_or(0, |i| i + 1)
}

/// A login method, in any case.
pub fn is_login_method(m: &str) -> bool {
    ends_ci(m, ".authentication")
        || ends_ci(m, ".authenticate")
        || m.eq_ignore_ascii_case("signin")
        || ends_ci(m, "login")
}

#[cfg(test)]
mod tests;
