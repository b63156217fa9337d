//! Detections in the stream: rules over enriched events that raise
//! [`Alert`]s.
//!
//! The [`Detector`] sees every valid event *before* filter rules drop
//! noise (a granted read the filter drops can still complete "denied then
//! granted"). It is pure and synchronous: events in, alerts out, no I/O.
//! Windows run on event time; the *watermark* is the latest event time
//! seen minus the allowed lateness, and an event older than it is still
//! counted wherever its group's window is open (and counted as late).
//!
//! | file | concept |
//! |---|---|
//! | [`facts`] | what the rules read of one event |
//! | [`resource`] | a CRN as the rules compare it: its path, and its identity in any form |
//! | `addr` | source addresses compared as addresses (canonical text, IPv4-mapped as IPv4) |
//! | [`words`] | words in method names, case ignored |
//! | [`extras`] | the facts read from the JSON for the few events that need them |
//! | `dry_run` | a change, denial or grant only asked about (`authorizationInfo.dryRun`) |
//! | [`field`] | fields to group by and count |
//! | [`hash`] | the maps' keyed, fast hash |
//! | [`kept`] | a kept event copy that reuses its memory |
//! | [`count`] | threshold rules (`auth_bruteforce`, `denial_burst`, `count`, `distinct`) |
//! | [`sequence`] | A-then-B rules (`failed_logins_then_success`, `denied_then_granted`, `sequence`) |
//! | [`novelty`] | new-value rules (`new_source_ip`, `new_value`) |
//! | [`privilege`] | `privilege_change_during_denials` |
//! | [`single`] | single-event rules |
//! | [`state`] | bounded group state, duplicate ids |
//! | [`weigh`] | the state's estimate in bytes, for its byte bound |
//! | [`ledger`] | the kept event copies, each counted once |
//! | [`intern`] | the principal and resource text the copies share |
//! | [`book`] | the open alerts |
//! | [`alert`] | the alert and its deterministic id |
//! | `budget` | the state held to `max_state_bytes` |
//! | `custom` | user-defined rules, each event offered to them |
//! | `stats` | the counters for metrics and summaries |
//! | [`config`], [`build`] | `[detect]` and its checks |

mod addr;
pub mod alert;
pub mod book;
mod budget;
pub mod build;
pub mod config;
pub mod count;
mod custom;
mod dry_run;
pub mod extras;
pub mod facts;
pub mod field;
pub mod hash;
pub mod intern;
pub mod kept;
pub mod ledger;
pub mod novelty;
pub mod privilege;
pub mod resource;
pub mod sequence;
pub mod single;
pub mod state;
mod stats;
mod upkeep;
pub mod weigh;
pub mod words;

use std::sync::Arc;
use std::time::Instant;

pub use alert::Alert;
pub use book::Emit;
pub use config::DetectConfig;
pub use stats::DetectStats;

use alert::EventRef;
use book::Book;
use build::Rules;
use count::Hit;
use facts::{Authn, Facts};
use hash::FastState;
use intern::Interner;
use sequence::Step;
use state::Seen;

use crate::event::{Enrichment, TimeSource};

/// How many recent event ids are remembered to skip redeliveries.
const SEEN_IDS: usize = 200_000;
/// How far after this host's clock an event's time may be and still move
/// the watermark. One record with a wrong clock (dated years ahead) would
/// otherwise end every window at once, closing open incidents and making
/// every later event late.
pub const MAX_AHEAD: i64 = 5 * 60 * 1_000_000_000;
/// `last_arrival` is stamped at least every this many arrivals.
const STAMP_EVERY: u64 = 64;
/// Expired state is swept every this many events.
const SWEEP_EVERY: u64 = 4096;

/// The detection stage.
pub struct Detector {
    rules: Rules,
    book: Book,
    seen: Seen,
    max_time: i64,
    /// An outside bound on the watermark (`hold_watermark`).
    hold: i64,
    /// This host's clock plus [`MAX_AHEAD`], as last read: the clock is
    /// read again only when an event's time passes it.
    ahead_limit: i64,
    stats: DetectStats,
    used: Vec<Arc<EventRef>>,
    /// `Facts`' box for extras, reused from event to event.
    extras_box: Option<Box<facts::Extras>>,
    /// When an event last arrived, give or take: stamped on the first
    /// arrival after a [`Detector::tick`] and every [`STAMP_EVERY`]th
    /// (not per event: a hundredth of a granted event's cost), at most a
    /// tick's period (or that many events) behind the latest arrival.
    last_arrival: Instant,
    /// Hashes principals ([`NoveltyRule::hash`](novelty::NoveltyRule::hash)).
    hasher: FastState,
    /// Events and redeliveries seen, for [`STAMP_EVERY`].
    arrivals: u64,
    /// The next arrival stamps `last_arrival` (a tick came since the last).
    stamp: bool,
    silence_fired: bool,
    shed_log: budget::ShedLog,
    /// The text event copies share ([`intern`]).
    interner: Interner,
}

impl Detector {
    /// A detector for `[detect]`; every configuration problem, not the first.
    pub fn new(cfg: &DetectConfig, emit: Emit) -> Result<Detector, Vec<build::Problem>> {
        let mut rules = build::build(cfg)?;
        rules.share_ledger();
        let interner = Interner::new(rules.ledger.clone());
        let mut book = Book::new(emit);
        book.max_bytes = cfg.max_open_alert_bytes;
        Ok(Detector {
            rules,
            book,
            seen: Seen::new(SEEN_IDS),
            max_time: i64::MIN,
            hold: i64::MAX,
            ahead_limit: i64::MIN,
            stats: DetectStats::default(),
            used: Vec::new(),
            extras_box: None,
            last_arrival: Instant::now(),
            hasher: FastState::default(),
            arrivals: 0,
            stamp: true,
            silence_fired: false,
            shed_log: budget::ShedLog::default(),
            interner,
        })
    }

    /// How much event time `run` re-reads at start ([`Rules::horizon`](build::Rules::horizon)).
    pub fn horizon_ns(&self) -> i64 {
        self.rules.horizon()
    }

    /// `allowed_lateness_secs`, in nanoseconds.
    pub fn allowed_lateness_ns(&self) -> i64 {
        self.rules.lateness
    }

    /// The watermark: latest event time minus the allowed lateness.
    pub fn watermark(&self) -> i64 {
        self.max_time
            .min(self.hold)
            .saturating_sub(self.rules.lateness)
    }

    /// Keeps the watermark at or below `until` minus the allowed lateness
    /// (`i64::MAX`: no bound). `run` holds it at the latest event time of
    /// the partition furthest behind, so that catching up on a backlog
    /// partition by partition does not make one partition's events late
    /// because another was read first.
    pub fn hold_watermark(&mut self, until: i64) {
        self.hold = until;
    }

    /// Feeds one valid event; `raw` is its JSON (read again only for the
    /// few events that need facts the enrichment lacks). Alerts that are
    /// due are appended to `out`.
    pub fn observe(&mut self, e: &Enrichment, raw: &[u8], out: &mut Vec<Alert>) {
        self.arrivals += 1;
        if self.stamp || self.arrivals % STAMP_EVERY == 0 {
            self.last_arrival = Instant::now();
            self.stamp = false;
        }
        self.silence_fired = false;
        if !self.seen.first(e.event_id()) {
            self.stats.duplicates += 1;
            return;
        }
        self.stats.events += 1;
        let mut f = Facts::with_spare(e, raw, self.extras_box.take());
        // An event with neither its own time nor a Kafka timestamp would
        // carry the moment it was read: in a file of last week's events
        // that would jump the watermark to now. It takes the latest event
        // time seen instead (before any copy of it is made: the copy
        // keeps its time).
        if e.time_source == TimeSource::Ingest && self.max_time != i64::MIN {
            f.time = self.max_time;
        }
        // The events rules keep in numbers (denials, failed logins,
        // privilege changes) share their principal's and resource's text;
        // others are copied only for an alert (a copy of their own).
        if f.denied || f.failed_request || f.authn == Authn::Failed || f.privilege_change {
            f.share_text(&self.interner);
        }
        if f.time < self.watermark() {
            self.stats.late_events += 1;
            self.stats.max_lateness_ns = self.stats.max_lateness_ns.max(self.max_time - f.time);
        }
        if f.time > self.ahead_limit {
            self.ahead_limit = crate::event::now_nanos().saturating_add(MAX_AHEAD);
        }
        if f.time <= self.ahead_limit {
            self.max_time = self.max_time.max(f.time);
        } else {
            self.stats.future_events += 1;
        }
        let wm = self.watermark();
        // The principal hashed once, for `new_source_ip`'s group and
        // `denied_then_granted`'s (0: no principal, and neither asks).
        let hp = f.principal.map_or(0, |p| self.hasher.hash_str(p));
        self.authentication(&f, wm, hp);
        self.authorization(&f, wm, hp);
        self.singles(&f);
        self.custom(&f, wm);
        self.extras_box = f.into_spare();
        self.advance_novelty(wm);
        if self.stats.events % SWEEP_EVERY == 0 {
            self.sweep();
        }
        self.book.close_before(wm);
        self.drain(out);
    }

    fn authentication(&mut self, f: &Facts<'_>, wm: i64, hp: u64) {
        let r = &mut self.rules;
        // The logins' groups by address: its canonical text, so that one
        // address written two ways is one group (authentications only).
        let ip = match f.authn {
            Authn::NotAuthn => None,
            _ => f.source_ip.map(addr::canonical),
        };
        match f.authn {
            Authn::Failed => {
                let ev = f.event();
                if let (Some(rule), Some(ip)) = (&mut r.bruteforce_ip, &ip) {
                    let hit = Hit {
                        event: ev.clone(),
                        value: None,
                    };
                    rule.offer(
                        format!("source_ip={ip}"),
                        hit,
                        wm,
                        &mut self.book,
                        &mut self.used,
                    );
                }
                if let (Some(rule), Some(id)) = (&mut r.bruteforce_id, f.identifier()) {
                    let hit = Hit {
                        event: ev.clone(),
                        value: None,
                    };
                    rule.offer(
                        format!("identifier={id}"),
                        hit,
                        wm,
                        &mut self.book,
                        &mut self.used,
                    );
                }
                if let (Some(rule), Some((name, value))) =
                    (&mut r.logins, login_key(f, ip.as_deref()))
                {
                    let hash = rule.hash((name, value));
                    let key = || format!("{name}={value}");
                    rule.offer(hash, key, Step::A, f, || ev, wm, &mut self.book);
                }
            }
            Authn::Succeeded => {
                if let (Some(rule), Some((name, value))) =
                    (&mut r.logins, login_key(f, ip.as_deref()))
                {
                    let hash = rule.hash((name, value));
                    let key = || format!("{name}={value}");
                    rule.offer(hash, key, Step::B, f, || f.event(), wm, &mut self.book);
                }
            }
            Authn::NotAuthn => {}
        }
        if let (Some((rule, nets)), Some(p), Some(ip)) = (&mut r.new_ip, f.principal, f.source_ip) {
            if f.authn != Authn::Failed {
                // A trusted network never alerts, but is history: the
                // first use of an internal credential from outside does.
                let net = match r.trusted.iter().any(|c| c.contains(ip)) {
                    true => Some(novelty::TRUSTED),
                    false => nets.of(ip),
                };
                if let Some(net) = net {
                    rule.offer(hp, p, net, f, wm, &mut self.book);
                }
            }
        }
    }

    fn authorization(&mut self, f: &Facts<'_>, wm: i64, hp: u64) {
        let r = &mut self.rules;
        if f.denied || f.failed_request {
            let sensitive = f
                .resource_name
                .is_some_and(|n| r.sensitive.iter().any(|g| g.matches(n)));
            if let (Some(rule), Some(p), true) = (&mut r.burst, f.principal, sensitive) {
                let key = format!("principal={p}");
                let hit = Hit {
                    event: f.event(),
                    value: None,
                };
                rule.offer(key.clone(), hit, wm, &mut self.book, &mut self.used);
                if let (Some(priv_rule), false) = (&mut r.privilege, self.used.is_empty()) {
                    priv_rule.on_burst(&key, &self.used, &mut self.book);
                }
            }
        }
        if let Some(rule) = &mut r.denied_granted {
            // A granted dry run asked, and did not do it: no grant.
            if f.denied || (f.granted && !f.dry_run()) {
                let name = f.e.resource_name();
                let named = f.resource_crn.is_some() || name.is_some();
                if let (Some(p), Some(op), true) = (f.principal, f.operation, named) {
                    // The group: hashed from the fields as written (a
                    // CRN in any of its forms as one: its identity; one
                    // with `%` escapes or empty segments by its decoded
                    // path, which the plain identity is); its key (the
                    // resource's path decoded) made once.
                    let decoded;
                    let parts = match f.resource_identity() {
                        Some((id, true)) => [Some(op), Some(id), None, None],
                        Some(_) => {
                            decoded = f.resource_key();
                            [Some(op), decoded.as_deref(), None, None]
                        }
                        None => [Some(op), None, f.e.resource_type(), name],
                    };
                    let hash = rule.hash_parts(hp, &parts);
                    let key = || {
                        let res = f.resource_key().unwrap_or_default();
                        format!("principal={p},operation={op},resource={res}")
                    };
                    let step = if f.denied { Step::A } else { Step::B };
                    // Grants are kept even where no denial was seen yet: a
                    // denial from a partition that is behind may still come.
                    rule.offer(hash, key, step, f, || f.event(), wm, &mut self.book);
                }
            }
        }
        if let (Some(rule), true) = (&mut r.privilege, f.privilege_change) {
            rule.on_change(f.event(), f.privilege_targets(), &mut self.book);
        }
    }

    fn singles(&mut self, f: &Facts<'_>) {
        for &(rule, severity, keep_alive) in &self.rules.singles {
            let Some(key) = rule.matches(f, &self.rules.admin_roles) else {
                continue;
            };
            let ev = f.event();
            if !self.book.extend(rule.name(), &key, &ev) {
                let mut a = Alert::new(rule.name(), severity, key, &[&*ev]);
                a.summary = rule.describe(f);
                let more = Some(single::describe_more as fn(&Alert) -> String);
                self.book.fire_with(rule.name(), a, keep_alive, more);
            }
        }
    }
}

/// `failed_logins_then_success` groups by source address (`ip`, its
/// canonical text), or by the credential when the event has no address:
/// (field, value).
fn login_key<'f>(f: &'f Facts<'_>, ip: Option<&'f str>) -> Option<(&'static str, &'f str)> {
    match (ip, f.extras().identifier.as_deref()) {
        (Some(ip), _) => Some(("source_ip", ip)),
        (None, Some(id)) => Some(("identifier", id)),
        _ => None,
    }
}

#[cfg(test)]
mod custom_tests;
#[cfg(test)]
mod tests;
