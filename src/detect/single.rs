//! Single-event rules: one event is enough. Events of the same group that
//! follow within the keep-alive join the open alert (five topics deleted
//! in a minute are one incident, not five).

use super::alert::Alert;
use super::facts::{Authn, Facts};
use super::words::{has_word_ci, is_removal, starts_ci};
use crate::policy::glob::Glob;

/// The built-in single-event rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Single {
    AdminRoleGranted,
    DestructiveOperation,
    ApiKeyCreated,
    IpFilterDenied,
    ConfluentStaffAccess,
}

impl Single {
    pub const ALL: [Single; 5] = [
        Single::AdminRoleGranted,
        Single::DestructiveOperation,
        Single::ApiKeyCreated,
        Single::IpFilterDenied,
        Single::ConfluentStaffAccess,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Single::AdminRoleGranted => "admin_role_granted",
            Single::DestructiveOperation => "destructive_operation",
            Single::ApiKeyCreated => "api_key_created",
            Single::IpFilterDenied => "ip_filter_denied",
            Single::ConfluentStaffAccess => "confluent_staff_access",
        }
    }

    /// The group key when `f` matches the rule. Each rule reads only
    /// what it needs, cheapest test first (every event is tried against
    /// every rule, and almost none matches).
    pub fn matches(self, f: &Facts<'_>, admin_roles: &[Glob]) -> Option<String> {
        let e = f.e;
        let who = || f.principal.unwrap_or("-");
        match self {
            Single::AdminRoleGranted => {
                let role = e.role()?;
                if !f.changes {
                    return None;
                }
                let verb = f.verb_raw();
                let grants =
                    !(is_removal(verb) || starts_ci(verb, "get") || starts_ci(verb, "list"));
                let admin = grants && admin_roles.iter().any(|g| g.matches(role));
                (admin && f.changed()).then(|| {
                    let to = f.extras().target_principal.as_deref().unwrap_or("-");
                    format!("principal={},grantee={to},role={role}", who())
                })
            }
            Single::DestructiveOperation => {
                // Granted or successful, and not a check of a look-only
                // operation under a deleting method (`kafka.DeleteTopics`
                // is checked for `Describe` too) nor a dry run.
                if !f.changes {
                    return None;
                }
                let raw = f.verb_raw();
                // A subject's compatibility setting or mode
                // (`DeleteSubjectConfig`, `DeleteSubjectMode`) is not the
                // subject.
                // `acl` as a word: `DeleteKafkaCluster` has its letters.
                let destroys = starts_ci(raw, "delete") && {
                    let verb = f.verb();
                    !has_word_ci(raw, "acl")
                        && !["link", "rolebinding", "config", "mode"]
                            .iter()
                            .any(|w| verb.contains(w))
                        && ["topic", "environment", "cluster", "subject", "schema"]
                            .iter()
                            .any(|w| verb.contains(w))
                };
                // On Confluent Platform, Schema Registry is authorized by
                // MDS: a schema deletion is an `mds.Authorize` granted
                // `Delete` on a `Subject` (docs/audit-log-format.md §5).
                let sr_delete = raw.eq_ignore_ascii_case("authorize")
                    && e.operation()
                        .is_some_and(|o| o.eq_ignore_ascii_case("delete"))
                    && e.resource_type()
                        .is_some_and(|t| t.eq_ignore_ascii_case("subject"));
                ((destroys || sr_delete) && f.changed())
                    .then(|| format!("principal={},method={}", who(), e.method().unwrap_or("")))
            }
            Single::ApiKeyCreated => {
                let raw = f.verb_raw();
                if !f.changes || !(starts_ci(raw, "create") || starts_ci(raw, "add")) {
                    return None;
                }
                let verb = f.verb();
                let creates = verb.replace(['_', '-'], "").contains("apikey");
                (creates && f.changed()).then(|| format!("principal={}", who()))
            }
            Single::IpFilterDenied => {
                if !f.denied {
                    return None;
                }
                let filter = starts_ci(f.method, "ip-filter.") || starts_ci(f.method, "ipfilter.");
                filter.then(|| {
                    format!(
                        "principal={},source_ip={}",
                        who(),
                        // One address written two ways is one group.
                        f.source_ip.map_or("-".into(), super::addr::canonical)
                    )
                })
            }
            Single::ConfluentStaffAccess => {
                let staff = e.event_type().ends_with("/access-transparency")
                    || f.method.eq_ignore_ascii_case("confluent.privileged.access")
                    || f.principal == Some("User:confluent.privileged");
                (staff && f.authn != Authn::Failed).then(|| {
                    format!(
                        "principal={},cluster={}",
                        who(),
                        e.crn().cluster.unwrap_or("-")
                    )
                })
            }
        }
    }

    /// The alert's sentence, from its first event's facts.
    pub fn describe(self, f: &Facts<'_>) -> String {
        let who = f.principal.unwrap_or("an unknown principal");
        let what = f.resource_crn.or(f.resource_name).unwrap_or("a resource");
        let method = f.e.method().unwrap_or("an operation");
        match self {
            Single::AdminRoleGranted => format!(
                "{who} granted the admin role {} to {} on {what}.",
                f.e.role().unwrap_or("?"),
                f.extras()
                    .target_principal
                    .as_deref()
                    .unwrap_or("a principal"),
            ),
            Single::DestructiveOperation => format!("{who} ran {method} on {what}."),
            Single::ApiKeyCreated => format!("{who} created an API key ({what})."),
            Single::IpFilterDenied => format!(
                "An IP filter denied {who} from {}.",
                f.source_ip.unwrap_or("an unknown address")
            ),
            Single::ConfluentStaffAccess => {
                format!("Confluent staff accessed {what} (Access Transparency).")
            }
        }
    }
}

/// The default admin role names, besides the severity table's
/// ([`crate::policy::severity::ADMIN_ROLES`]), which come first.
pub const MORE_ADMIN_ROLES: &[&str] = &[
    "SystemAdmin",
    "ClusterAdmin",
    "SecurityAdmin",
    "UserAdmin",
    "AccountAdmin",
    "FlinkAdmin",
];

/// A single-event rule's alert that took more events (its incident went
/// on): the first event's sentence, then how many more and on what.
pub fn describe_more(a: &Alert) -> String {
    let first = a.summary.split(MORE).next().unwrap_or_default();
    if a.event_count <= 1 {
        return first.to_owned();
    }
    format!(
        "{first}{MORE}{} more event{}{}.",
        a.event_count - 1,
        if a.event_count == 2 { "" } else { "s" },
        super::count::list(" (resources: ", &a.resources, ")")
    )
}

/// Where [`describe_more`]'s addition starts.
const MORE: &str = " And ";
