//! From `[detect]` to the rule set: defaults, per-rule settings, checks.
//! Every problem is reported with its key (`detect.rules.denial_burst.threshold`).

use super::config::{
    secs, CompiledCustom, CustomKind, DetectConfig, RuleSettings, MAX_STATE_BYTES, MIN_STATE_BYTES,
};
use super::count::{self, CountRule};
use super::novelty::{self, Cidr, NoveltyRule};
use super::privilege::PrivilegeRule;
use super::sequence::{self, SequenceRule};
use super::single::{Single, MORE_ADMIN_ROLES};
use crate::event::Severity;
use crate::policy::glob::Glob;

/// One user-defined rule with its state.
pub enum Custom {
    Count(CountRule, CompiledCustom),
    Sequence(SequenceRule, CompiledCustom),
    New(NoveltyRule, CompiledCustom),
}

/// The rules a detector runs.
pub struct Rules {
    pub bruteforce_ip: Option<CountRule>,
    pub bruteforce_id: Option<CountRule>,
    pub logins: Option<SequenceRule>,
    pub new_ip: Option<(NoveltyRule, novelty::Networks)>,
    pub burst: Option<CountRule>,
    pub denied_granted: Option<SequenceRule>,
    pub privilege: Option<PrivilegeRule>,
    pub singles: Vec<(Single, Severity, i64)>,
    pub admin_roles: Vec<Glob>,
    pub sensitive: Vec<Glob>,
    pub trusted: Vec<Cidr>,
    pub custom: Vec<Custom>,
    /// `audit_stream_silence`, in seconds.
    pub silence_secs: Option<u64>,
    pub silence_severity: Severity,
    pub lateness: i64,
    /// `max_state_bytes`: the rules' state, in bytes (an estimate).
    pub max_state_bytes: usize,
    /// The kept events, counted once ([`budget`](super::budget)).
    pub ledger: super::weigh::Ledger,
}

/// A configuration problem: the key (`detect.rules.denial_burst.threshold`)
/// and what is wrong with it.
pub type Problem = (String, String);

/// Checks `[detect]` and builds its rules; every problem, not the first.
pub fn build(cfg: &DetectConfig) -> Result<Rules, Vec<Problem>> {
    let mut problems: Vec<Problem> = Vec::new();
    let mut problem = |key: String, message: &str| problems.push((key, message.to_owned()));
    settings::check(cfg, &mut problem);
    let mut trusted = Vec::new();
    for (i, n) in cfg.trusted_networks.iter().enumerate() {
        match Cidr::parse(n) {
            Some(c) => trusted.push(c),
            None => problem(
                format!("detect.trusted_networks[{i}]"),
                &format!(
                    "{n:?} is not a network (expected 10.0.0.0/8, 2001:db8::/32 or an address)"
                ),
            ),
        }
    }
    let mut custom = Vec::new();
    let mut names: Vec<&str> = BUILTIN.iter().map(|(n, _, _)| *n).collect();
    for (i, c) in cfg.custom.iter().enumerate() {
        if let Some(name) = c.name.as_deref().filter(|n| names.contains(n)) {
            let message = format!("{name:?} is already a rule");
            problem(format!("detect.custom[{i}].name"), &message);
        }
        names.extend(c.name.as_deref());
        match c.compile(i) {
            Ok(c) => custom.push(custom_rule(c, cfg.max_keys_per_rule)),
            Err(ps) => ps.into_iter().for_each(|(k, m)| problem(k, &m)),
        }
    }
    if cfg.max_keys_per_rule == 0 {
        problem("detect.max_keys_per_rule".to_owned(), "must be at least 1");
    }
    let bounds = [
        ("max_state_bytes", cfg.max_state_bytes),
        ("max_open_alert_bytes", cfg.max_open_alert_bytes),
    ];
    for (key, bytes) in bounds {
        if !(MIN_STATE_BYTES..=MAX_STATE_BYTES).contains(&bytes) {
            problem(
                format!("detect.{key}"),
                &format!(
                    "must be between {MIN_STATE_BYTES} (1 MiB) and {MAX_STATE_BYTES} (64 GiB) bytes"
                ),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let empty = RuleSettings::default();
    let get = |n: &str| {
        let s = cfg.rules.get(n).unwrap_or(&empty);
        let sev = BUILTIN.iter().find(|(b, _, _)| *b == n).map(|b| b.1);
        (
            s,
            s.enabled.unwrap_or(true),
            s.severity.or(sev).unwrap_or(Severity::Medium),
        )
    };
    let max = cfg.max_keys_per_rule;
    let window = |s: &RuleSettings, d: u64| secs(s.window_secs.unwrap_or(d));
    // Keep-alive: by default the rule's window, as configured (`w`, in ns).
    let keep = |s: &RuleSettings, w: i64| s.keep_alive_secs.map_or(w, secs);

    let (s, on, sev) = get("auth_bruteforce");
    let bf = |by: Option<bool>, name| {
        (on && by.unwrap_or(true)).then(|| {
            let w = window(s, 300);
            CountRule::new(
                name,
                sev,
                s.threshold.unwrap_or(5),
                w,
                keep(s, w),
                false,
                max,
                count::describe_bruteforce,
            )
        })
    };
    let bruteforce_ip = bf(s.by_source_ip, "auth_bruteforce");
    // By identifier, an address's failures are left to its own alert; with
    // no count by address (`by_source_ip = false`) they have none: all count.
    let bruteforce_id = bf(s.by_identifier, "auth_bruteforce").map(|mut r| {
        r.spread = bruteforce_ip.is_some();
        r
    });

    let (s, on, sev) = get("failed_logins_then_success");
    let logins = on.then(|| {
        let w = window(s, 60);
        SequenceRule::new(
            "failed_logins_then_success",
            sev,
            s.threshold.unwrap_or(2),
            w,
            // Each round its own alert unless a keep-alive merges them.
            keep(s, 0),
            max,
            sequence::describe_logins,
        )
    });

    let (s, on, sev) = get("new_source_ip");
    let new_ip = on.then(|| {
        let ttl = secs(s.history_ttl_secs.unwrap_or(14 * 24 * 3600));
        let mut rule = NoveltyRule::new("new_source_ip", sev, ttl, max, novelty::describe_new_ip);
        rule.prefix = "principal=";
        let nets = novelty::Networks::new(s.ipv4_prefix.unwrap_or(24), s.ipv6_prefix.unwrap_or(64));
        (rule, nets)
    });

    let (s, on, sev) = get("denial_burst");
    let burst_window = window(s, 300);
    let burst = on.then(|| {
        CountRule::new(
            "denial_burst",
            sev,
            s.threshold.unwrap_or(10),
            burst_window,
            keep(s, burst_window),
            false,
            max,
            count::describe_burst,
        )
    });

    let (s, on, sev) = get("denied_then_granted");
    let denied_granted = on.then(|| {
        let w = window(s, 600);
        let mut rule = SequenceRule::new(
            "denied_then_granted",
            sev,
            1,
            w,
            keep(s, 0),
            max,
            sequence::describe_denied_granted,
        );
        // Its groups are keyed by principal and resource (`Detector::authorization`).
        rule.shared = super::kept::PRINCIPAL_AND_RESOURCE;
        rule
    });

    let (_, on, sev) = get("privilege_change_during_denials");
    let privilege = (on && burst.is_some()).then(|| PrivilegeRule::new(sev, burst_window));

    let mut singles = Vec::new();
    for rule in Single::ALL {
        let (s, on, sev) = get(rule.name());
        if on {
            singles.push((rule, sev, keep(s, secs(300))));
        }
    }
    let (s, _, _) = get("admin_role_granted");
    let admin_roles = match &s.roles {
        Some(r) => r.iter().map(|g| Glob::new_case_insensitive(g)).collect(),
        None => crate::policy::severity::ADMIN_ROLES
            .iter()
            .chain(MORE_ADMIN_ROLES)
            .map(|g| Glob::new_case_insensitive(g))
            .collect(),
    };
    let (s, on, silence_severity) = get("audit_stream_silence");
    Ok(Rules {
        bruteforce_ip,
        bruteforce_id,
        logins,
        new_ip,
        burst,
        denied_granted,
        privilege,
        singles,
        admin_roles,
        sensitive: cfg
            .sensitive_resources
            .iter()
            .map(|g| Glob::new(g))
            .collect(),
        trusted,
        custom,
        silence_secs: on.then(|| s.silence_minutes.unwrap_or(15) * 60),
        silence_severity,
        lateness: secs(cfg.allowed_lateness_secs),
        max_state_bytes: cfg.max_state_bytes,
        ledger: Default::default(),
    })
}

fn custom_rule(c: CompiledCustom, max: usize) -> Custom {
    // Rule names key the open-alert book for the process's life; a
    // configuration has a handful, so leaking them is bounded.
    let name: &'static str = Box::leak(c.name.clone().into_boxed_str());
    match c.kind {
        CustomKind::Count | CustomKind::Distinct => Custom::Count(
            CountRule::new(
                name,
                c.severity,
                c.threshold,
                c.window_ns,
                c.keep_alive_ns,
                c.kind == CustomKind::Distinct,
                max,
                count::describe_custom,
            ),
            c,
        ),
        CustomKind::Sequence => Custom::Sequence(
            SequenceRule::new(
                name,
                c.severity,
                c.threshold,
                c.window_ns,
                c.keep_alive_ns,
                max,
                sequence::describe_custom,
            ),
            c,
        ),
        CustomKind::NewValue => Custom::New(
            NoveltyRule::new(name, c.severity, c.window_ns, max, novelty::describe_custom),
            c,
        ),
    }
}

impl Rules {
    /// How far back in event time the windowed rules can look: the longest
    /// window plus its keep-alive (an open alert absorbs events that long),
    /// plus the allowed lateness. `run` re-reads this much of the topic at
    /// start to rebuild its state. `new_source_ip`'s history is longer
    /// (days) and not counted: it is rebuilt from what is re-read.
    pub fn horizon(&self) -> i64 {
        let mut longest = 0i64;
        for c in [&self.bruteforce_ip, &self.bruteforce_id, &self.burst]
            .into_iter()
            .flatten()
        {
            longest = longest.max(c.window.saturating_add(c.keep_alive));
        }
        for s in [&self.logins, &self.denied_granted].into_iter().flatten() {
            longest = longest.max(s.window.saturating_add(s.keep_alive));
        }
        if let Some(p) = &self.privilege {
            // A burst stays active one window after its last denial.
            longest = longest.max(p.window.saturating_mul(2));
        }
        for &(_, _, keep_alive) in &self.singles {
            longest = longest.max(keep_alive);
        }
        for c in &self.custom {
            longest = longest.max(match c {
                Custom::Count(r, _) => r.window.saturating_add(r.keep_alive),
                Custom::Sequence(r, _) => r.window.saturating_add(r.keep_alive),
                Custom::New(..) => 0,
            });
        }
        longest.saturating_add(self.lateness)
    }
}

mod settings;
pub use settings::BUILTIN;
