//! The report: what `investigate` found, as one value. `--json` writes it
//! as is (its schema is documented in `docs/investigate.md`), the terminal
//! and HTML reports render it. Times are RFC 3339 strings (UTC), so the
//! JSON document reads back into an equal [`Report`].

use serde::{Deserialize, Serialize};

use crate::detect::Alert;

/// The `schema` field of every report.
pub const SCHEMA: &str = "siem-bridge.investigate/1";

/// One investigation's findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: String,
    /// When the report was made.
    pub generated_at: String,
    pub input: InputInfo,
    pub focus: FocusInfo,
    pub totals: Totals,
    pub timeline: Timeline,
    /// Alerts of the detection rules that concern the focus, by first time.
    pub alerts: Vec<AlertInfo>,
    /// Attack chains, most notable first, at most `--chains`.
    pub chains: Vec<Chain>,
    /// Overreaching principals, ranked by denied sensitive access.
    pub principals: Vec<PrincipalInfo>,
    pub tops: Tops,
    /// What bounded memory cost: what was left out, so nothing is silent.
    pub limits: Limits,
}

/// Where the events came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputInfo {
    /// File paths (`-`: standard input) or `kafka:<topics>`.
    pub sources: Vec<String>,
    /// The requested range (Kafka input), RFC 3339.
    pub range_from: Option<String>,
    pub range_until: Option<String>,
    /// Non-blank lines or records read.
    pub records: u64,
    /// Valid audit events among them.
    pub events: u64,
    /// Records that are not valid audit events (skipped).
    pub invalid: u64,
    /// Valid events outside the focus (seen by the detection rules only).
    pub outside_focus: u64,
}

/// The focus flags, as given (`--alert` also lists what it expanded to).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FocusInfo {
    pub principals: Vec<String>,
    pub ips: Vec<String>,
    pub resources: Vec<String>,
    pub client_ids: Vec<String>,
    pub alert: Option<String>,
}

/// Counts over the events in focus.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub events: u64,
    /// Distinct principals (exact up to `limits.distinct_cap`, then a
    /// lower bound, and `distinct_exact` is false).
    pub principals: u64,
    /// Distinct source addresses (same rule).
    pub addresses: u64,
    pub distinct_exact: bool,
    pub denied: u64,
    pub granted: u64,
    pub auth_failed: u64,
    pub auth_succeeded: u64,
    pub alerts: u64,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
}

/// Events per time bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// Bucket width: 60 unless the range needed more than
    /// `limits.max_buckets` minutes (then doubled until it fits).
    pub bucket_secs: i64,
    /// Every bucket from the first event to the last, empty ones included.
    pub buckets: Vec<Bucket>,
}

/// One bucket of the timeline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub start: String,
    pub events: u64,
    pub denied: u64,
    pub granted: u64,
    pub auth_failed: u64,
    /// Ids of the alerts whose first event falls in this bucket.
    pub alerts: Vec<String>,
}

/// One alert: the detector's own ([`Alert`], `docs/detect.md`, "Alerts";
/// its fields at this level of the JSON), with the chains it is part of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertInfo {
    #[serde(flatten)]
    pub alert: Alert,
    /// Ids (`Chain::id`) of the reported chains that hold its events.
    pub chains: Vec<String>,
}

impl AlertInfo {
    /// A closed alert of the detector, in no chain yet.
    pub fn new(mut alert: Alert) -> AlertInfo {
        // The detector's bookkeeping (event times, whether the id is
        // anchored on a sequence's completion) is not part of an alert
        // (it is not serialised): drop it, so a report read back from its
        // JSON equals the report.
        alert.times = Vec::new();
        alert.anchored = false;
        AlertInfo {
            alert,
            chains: Vec::new(),
        }
    }
}

impl std::ops::Deref for AlertInfo {
    type Target = Alert;

    fn deref(&self) -> &Alert {
        &self.alert
    }
}

/// What identifies a client: its address, client id and connection id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ClientKey {
    pub source_ip: Option<String>,
    pub client_id: Option<String>,
    pub connection_id: Option<String>,
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
        write!(f, "{} / {}", d(&self.source_ip), d(&self.client_id))?;
        if let Some(c) = &self.connection_id {
            write!(f, " / {c}")?;
        }
        Ok(())
    }
}

/// One attack chain: a client's events, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chain {
    /// `chain-N`, N its rank in this report.
    pub id: String,
    pub client: ClientKey,
    /// Authentications from the same address with no client id, merged
    /// in (the client's logins): their count.
    pub merged_authentications: u64,
    pub principals: Vec<String>,
    pub first_time: String,
    pub last_time: String,
    pub events: u64,
    pub denied: u64,
    pub granted: u64,
    pub auth_failed: u64,
    pub auth_succeeded: u64,
    /// Operations (or methods) with their counts, most frequent first.
    pub operations: Vec<Count>,
    pub resources: Vec<Count>,
    /// Ids of the alerts that hold events of this chain.
    pub alerts: Vec<String>,
    /// The kept events, by time, then correlation id.
    pub steps: Vec<Step>,
    /// Events counted but not kept (the chain's cap).
    pub steps_omitted: u64,
}

/// One event of a chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub time: String,
    pub id: String,
    /// The event type's last part: `authentication`, `authorization`, …
    pub kind: String,
    /// `denied`, `granted`, `auth_failed`, `auth_succeeded`, or the verdict.
    pub outcome: String,
    pub principal: Option<String>,
    pub method: Option<String>,
    pub operation: Option<String>,
    pub resource: Option<String>,
    pub resource_crn: Option<String>,
    pub correlation_id: Option<String>,
    pub client_id: Option<String>,
    pub source_ip: Option<String>,
    pub severity: String,
    /// `topic/partition@offset` for records read from Kafka.
    pub kafka: Option<String>,
}

/// One principal that reached beyond its rights or its habits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrincipalInfo {
    pub principal: String,
    pub events: u64,
    pub denied: u64,
    /// Denials on resources matching `[severity] sensitive_resources`.
    pub denied_sensitive: u64,
    pub granted: u64,
    /// Operations and resources it was denied (attempted beyond its rights).
    pub denied_access: Vec<Access>,
    /// Operations and resources it was granted.
    pub granted_access: Vec<Access>,
    pub addresses: Vec<String>,
    /// Addresses first used after the baseline.
    pub new_addresses: Vec<String>,
    /// Resources first touched after the baseline: outside its usual set.
    pub new_resources: Vec<String>,
    pub first_time: String,
    pub last_time: String,
    /// Alerts naming this principal.
    pub alerts: Vec<String>,
}

/// An operation on a resource, and how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Access {
    pub operation: String,
    pub resource: String,
    pub count: u64,
    pub sensitive: bool,
}

/// A value and its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub value: String,
    pub count: u64,
}

/// The most frequent values among denied authorizations and failed
/// authentications.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tops {
    pub principals: Vec<Count>,
    pub addresses: Vec<Count>,
    pub resources: Vec<Count>,
    pub methods: Vec<Count>,
}

/// The bounds the computation kept to, and what they cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// When the baseline (a principal's usual set) ends.
    pub baseline_until: Option<String>,
    pub max_chains: u64,
    /// Chains forgotten (least notable first) to stay under `max_chains`.
    pub chains_dropped: u64,
    /// All chains seen (kept or dropped).
    pub chains_total: u64,
    pub max_steps_per_chain: u64,
    pub max_principals: u64,
    pub principals_dropped: u64,
    pub distinct_cap: u64,
    pub max_buckets: u64,
    pub max_alerts: u64,
    pub alerts_dropped: u64,
    /// Top-K counters are exact unless this is more than 0: then a count
    /// may be under by at most this much.
    pub top_error: u64,
}
