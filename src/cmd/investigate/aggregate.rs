//! The streaming computation: events in (one at a time, any source), a
//! [`Report`] out. Pure: no I/O, no Kafka, no clock except the
//! `generated_at` the caller passes to [`Investigation::finish`].
//!
//! Every event goes through the detection rules (they need the context,
//! focus or not); the events in focus feed the totals, the timeline, the
//! chains, the principals and the tops. Memory is bounded by the caps in
//! [`Options`], whatever the number of events.

use wildmatch::WildMatch;

use crate::detect::{Alert, Detector};
use crate::event::time::format_rfc3339_nanos;
use crate::event::{Enrichment, TimeSource};

use super::chains::ChainBook;
use super::counters::{Distinct, Tally, TimeBuckets, TopK};
use super::detect_stage::{Alerts, Rules};
use super::focus::Focus;
use super::model::{AlertInfo, Bucket, InputInfo, Limits, Report, Timeline, Tops, Totals, SCHEMA};
use super::observed::{Observed, Outcome};
use super::principals::PrincipalBook;
use crate::cmd::reorder::Ordered;

/// What to report and how much to hold.
#[derive(Debug, Clone)]
pub struct Options {
    /// Rows of each top table and of the principals table.
    pub top: usize,
    /// Chains in the report.
    pub chains: usize,
    /// The baseline (a principal's usual set) lasts this long from the
    /// first event; `None`: the first quarter of the events' span.
    pub baseline_secs: Option<i64>,
    /// `[severity] sensitive_resources`.
    pub sensitive: Vec<String>,
    pub max_chains: usize,
    pub max_steps: usize,
    pub max_principals: usize,
    pub distinct_cap: usize,
    pub max_buckets: usize,
    pub max_alerts: usize,
    pub top_cap: usize,
    /// The rules' read-ahead, in bytes ([`crate::cmd::reorder`]).
    pub reorder_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            top: 10,
            chains: 10,
            baseline_secs: None,
            sensitive: vec!["sensitive-*".to_owned()],
            max_chains: 5_000,
            max_steps: 64,
            max_principals: 5_000,
            distinct_cap: 1 << 20,
            max_buckets: 2_880,
            max_alerts: 5_000,
            top_cap: 4_096,
            reorder_bytes: crate::cmd::reorder::REORDER_MIB << 20,
        }
    }
}

/// The investigation under way.
pub struct Investigation {
    opts: Options,
    focus: Focus,
    /// The detection rules, when they run in this thread (tests, small
    /// inputs); `None` when [`super::parallel`] runs them beside it.
    rules: Option<Rules>,
    sensitive: Vec<WildMatch>,
    pub input: InputInfo,
    totals: Totals,
    first: i64,
    last: i64,
    principals_seen: Distinct,
    addresses_seen: Distinct,
    timeline: TimeBuckets,
    tops: [TopK; 4],
    chains: ChainBook,
    principals: PrincipalBook,
}

impl Investigation {
    /// The report with the detection rules run inline.
    pub fn new(opts: Options, focus: Focus, detector: Detector) -> Investigation {
        let rules = Rules::new(
            Ordered::new(Box::new(detector), opts.reorder_bytes),
            opts.max_alerts,
        );
        let mut inv = Investigation::without_rules(opts, focus);
        inv.rules = Some(rules);
        inv
    }

    /// The report alone: the alerts are given to [`Investigation::report`].
    pub fn without_rules(opts: Options, focus: Focus) -> Investigation {
        let top = || TopK::new(opts.top_cap);
        Investigation {
            sensitive: opts.sensitive.iter().map(|g| WildMatch::new(g)).collect(),
            focus,
            rules: None,
            input: InputInfo::default(),
            totals: Totals::default(),
            first: i64::MAX,
            last: i64::MIN,
            principals_seen: Distinct::new(opts.distinct_cap),
            addresses_seen: Distinct::new(opts.distinct_cap),
            timeline: TimeBuckets::new(opts.max_buckets),
            tops: [top(), top(), top(), top()],
            chains: ChainBook::new(opts.max_chains, opts.max_steps),
            principals: PrincipalBook::new(opts.max_principals),
            opts,
        }
    }

    /// A record that is not a valid audit event.
    pub fn invalid(&mut self) {
        self.invalid_records(1);
    }

    /// `n` records that were not valid audit events.
    pub fn invalid_records(&mut self, n: u64) {
        self.input.records += n;
        self.input.invalid += n;
    }

    /// One valid event; `raw` is its JSON.
    pub fn observe(&mut self, e: &Enrichment, raw: &[u8]) {
        self.input.records += 1;
        self.input.events += 1;
        if let Some(rules) = &mut self.rules {
            rules.observe(e, raw);
        }
        if !self.focus.matches(e) {
            self.input.outside_focus += 1;
            return;
        }
        // An event with no time of its own read from a file would carry
        // the moment it was read; it takes the latest event time instead.
        let time = if e.time_source == TimeSource::Ingest && self.last != i64::MIN {
            self.last
        } else {
            e.time_unix_nanos
        };
        let sensitive = &self.sensitive;
        let o = Observed::new(e, raw, time, |n| sensitive.iter().any(|g| g.matches(n)));
        self.first = self.first.min(time);
        self.last = self.last.max(time);
        let t = &mut self.totals;
        t.events += 1;
        let mut tally = Tally {
            events: 1,
            ..Tally::default()
        };
        match o.outcome {
            Outcome::Denied => {
                t.denied += 1;
                tally.denied = 1;
            }
            Outcome::Granted => {
                t.granted += 1;
                tally.granted = 1;
            }
            Outcome::AuthFailed => {
                t.auth_failed += 1;
                tally.auth_failed = 1;
            }
            Outcome::AuthSucceeded => t.auth_succeeded += 1,
            Outcome::Other(_) => {}
        }
        self.timeline.add(time, tally);
        if let Some(p) = o.principal {
            self.principals_seen.add(p);
        }
        if let Some(ip) = o.source_ip {
            self.addresses_seen.add(ip);
        }
        if o.outcome.refused() {
            let [p, a, r, m] = &mut self.tops;
            p.add(o.principal.unwrap_or("(none)"));
            if let Some(ip) = o.source_ip {
                a.add(ip);
            }
            if let (Some(res), Some(h)) = (o.resource_label(), o.resource_hash()) {
                r.add_hashed(h, res, 1);
            }
            if let Some(method) = e.method() {
                m.add(method);
            }
        }
        self.chains.add(&o);
        self.principals.add(&o);
    }

    /// The report, with the alerts of the inline rules; `generated_at` is
    /// now, in Unix nanoseconds.
    pub fn finish(mut self, generated_at: i64) -> Report {
        let found = match self.rules.take() {
            Some(rules) => rules.finish(),
            None => Default::default(),
        };
        self.report(found, generated_at)
    }

    /// The report, with the alerts the rules raised over the same events.
    pub fn report(mut self, found: Alerts, generated_at: i64) -> Report {
        let span = if self.first <= self.last {
            self.last - self.first
        } else {
            0
        };
        let baseline_until = self.first.saturating_add(match self.opts.baseline_secs {
            Some(s) => s.saturating_mul(1_000_000_000),
            None => span / 4,
        });
        let (chains_dropped, chains_total) = (self.chains.dropped, self.chains.total);
        let principals_dropped = self.principals.dropped;
        let book = std::mem::replace(&mut self.chains, ChainBook::new(1, 1));
        let mut chains = book.finish(self.opts.chains);
        let book = std::mem::replace(&mut self.principals, PrincipalBook::new(1));
        let mut principals = book.finish(baseline_until, self.opts.top);
        // Alerts that concern the focus: by their own fields, or by their
        // events, or by an address of a reported chain.
        let chain_ips: Vec<&str> = chains
            .iter()
            .filter_map(|c| c.client.source_ip.as_deref())
            .collect();
        let focus = &self.focus;
        let alerts_dropped = found.dropped;
        let mut alerts: Vec<Alert> = found
            .kept
            .into_iter()
            .filter(|a| {
                focus.matches_alert(a)
                    || (!focus.is_everything()
                        && a.source_ips
                            .iter()
                            .any(|ip| chain_ips.contains(&ip.as_str())))
            })
            .collect();
        alerts.sort_by(|a, b| a.first_time.cmp(&b.first_time).then(a.id.cmp(&b.id)));
        let mut infos: Vec<AlertInfo> = alerts.into_iter().map(AlertInfo::new).collect();
        for info in infos.iter_mut() {
            let AlertInfo {
                alert: a,
                chains: in_chains,
            } = info;
            for c in chains.iter_mut() {
                let holds = c.steps.iter().any(|s| a.event_ids.contains(&s.id))
                    || (c
                        .client
                        .source_ip
                        .as_ref()
                        .is_some_and(|ip| a.source_ips.contains(ip))
                        && c.client
                            .client_id
                            .as_ref()
                            .is_some_and(|id| a.correlation.client_ids.contains(id)));
                if holds {
                    c.alerts.push(a.id.clone());
                    in_chains.push(c.id.clone());
                }
            }
            for p in principals.iter_mut() {
                if a.principal.as_deref() == Some(p.principal.as_str()) {
                    p.alerts.push(a.id.clone());
                }
            }
        }
        let timeline = self.timeline_report(&infos);
        let mut totals = self.totals;
        totals.principals = self.principals_seen.count();
        totals.addresses = self.addresses_seen.count();
        totals.distinct_exact = self.principals_seen.exact() && self.addresses_seen.exact();
        totals.alerts = infos.len() as u64;
        if self.first <= self.last {
            totals.first_time = Some(format_rfc3339_nanos(self.first));
            totals.last_time = Some(format_rfc3339_nanos(self.last));
        }
        let top = |t: &TopK| t.top(self.opts.top);
        let [p, a, r, m] = &self.tops;
        let o = &self.opts;
        Report {
            schema: SCHEMA.to_owned(),
            generated_at: format_rfc3339_nanos(generated_at),
            input: self.input.clone(),
            focus: self.focus.info.clone(),
            totals,
            timeline,
            alerts: infos,
            chains,
            principals,
            tops: Tops {
                principals: top(p),
                addresses: top(a),
                resources: top(r),
                methods: top(m),
            },
            limits: Limits {
                baseline_until: (self.first <= self.last)
                    .then(|| format_rfc3339_nanos(baseline_until)),
                max_chains: o.max_chains as u64,
                chains_dropped,
                chains_total,
                max_steps_per_chain: o.max_steps as u64,
                max_principals: o.max_principals as u64,
                principals_dropped,
                distinct_cap: o.distinct_cap as u64,
                max_buckets: o.max_buckets as u64,
                max_alerts: o.max_alerts as u64,
                alerts_dropped,
                top_error: self.tops.iter().map(TopK::error).max().unwrap_or(0),
            },
        }
    }

    fn timeline_report(&self, alerts: &[AlertInfo]) -> Timeline {
        let all = self.timeline.all();
        let (lo, hi) = match (all.first(), all.last()) {
            (Some(a), Some(b)) => (a.0, b.0),
            _ => (0, 0),
        };
        // An alert is placed in the bucket of its first event (clamped to
        // the timeline: its first event may lie outside the focus).
        let place = |a: &Alert| self.timeline.start_of(a.first_time).clamp(lo, hi);
        let buckets = all
            .into_iter()
            .map(|(start, t)| Bucket {
                start: format_rfc3339_nanos(start * 1_000_000_000),
                events: t.events,
                denied: t.denied,
                granted: t.granted,
                auth_failed: t.auth_failed,
                alerts: alerts
                    .iter()
                    .filter(|a| place(&a.alert) == start)
                    .map(|a| a.id.clone())
                    .collect(),
            })
            .collect();
        Timeline {
            bucket_secs: self.timeline.width(),
            buckets,
        }
    }
}
