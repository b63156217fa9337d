//! The terminal report: sections an analyst reads top to bottom. Colour
//! (ANSI) only when asked — the caller asks only on a terminal.

use std::io::{self, Write};

use crate::event::time::format_rfc3339_nanos;

use super::model::{Count, Report, Step};

/// Steps of a chain printed in the terminal; the rest are in `--json`
/// and `--html`.
const STEPS_SHOWN: usize = 40;
/// Steps printed for a chain with nothing refused and no alert.
const ROUTINE_STEPS: usize = 3;
/// Width of the timeline's bars.
const BAR: u64 = 40;

struct Paint {
    on: bool,
}

impl Paint {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn head(&self, s: &str) -> String {
        self.paint("1;4", s)
    }
    fn bad(&self, s: &str) -> String {
        self.paint("31", s)
    }
    fn warn(&self, s: &str) -> String {
        self.paint("33;1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

/// `2025-06-10T14:05:00.000000Z` → `2025-06-10 14:05:00`.
pub fn short(t: &str) -> String {
    t.get(..19).unwrap_or(t).replacen('T', " ", 1)
}

fn counts(c: &[Count], n: usize) -> String {
    c.iter()
        .take(n)
        .map(|c| format!("{} ×{}", c.value, c.count))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the report for a person.
pub fn write(r: &Report, colour: bool, out: &mut impl Write) -> io::Result<()> {
    let p = Paint { on: colour };
    let t = &r.totals;
    writeln!(out, "{}", p.head("siem-bridge investigate"))?;
    writeln!(out, "input: {}", r.input.sources.join(", "))?;
    if let (Some(a), Some(b)) = (&t.first_time, &t.last_time) {
        writeln!(out, "events from {} to {} (UTC)", short(a), short(b))?;
    }
    let f = &r.focus;
    let mut focus: Vec<String> = Vec::new();
    for (name, v) in [
        ("principal", &f.principals),
        ("ip", &f.ips),
        ("resource", &f.resources),
        ("client id", &f.client_ids),
    ] {
        if !v.is_empty() {
            focus.push(format!("{name} {}", v.join(" | ")));
        }
    }
    if let Some(a) = &f.alert {
        focus.push(format!("alert {a}"));
    }
    writeln!(
        out,
        "focus: {}",
        if focus.is_empty() {
            "everything".to_owned()
        } else {
            focus.join("; ")
        }
    )?;
    writeln!(out, "\n{}", p.head("Totals"))?;
    let approx = if t.distinct_exact { "" } else { " (at least)" };
    writeln!(
        out,
        "  {} events, {} principals, {} source addresses{approx}",
        t.events, t.principals, t.addresses
    )?;
    writeln!(
        out,
        "  authorizations: {} denied, {} granted",
        p.bad(&t.denied.to_string()),
        t.granted
    )?;
    writeln!(
        out,
        "  authentications: {} failed, {} succeeded",
        p.bad(&t.auth_failed.to_string()),
        t.auth_succeeded
    )?;
    writeln!(out, "  alerts: {}", p.warn(&t.alerts.to_string()))?;
    let i = &r.input;
    writeln!(
        out,
        "  {}",
        p.dim(&format!(
            "read {} records: {} events, {} invalid, {} outside the focus",
            i.records, i.events, i.invalid, i.outside_focus
        ))
    )?;
    timeline(r, &p, out)?;
    writeln!(out, "\n{}", p.head("Alerts"))?;
    if r.alerts.is_empty() {
        writeln!(out, "  none")?;
    }
    for a in &r.alerts {
        writeln!(
            out,
            "  {}  {}  {:<32}  {}",
            short(&format_rfc3339_nanos(a.first_time)),
            p.warn(&format!("{:<8}", a.severity.as_str())),
            a.rule,
            a.summary
        )?;
        writeln!(
            out,
            "  {}",
            p.dim(&format!(
                "{}  {} events  chains: {}",
                a.id,
                a.event_count,
                if a.chains.is_empty() {
                    "-".to_owned()
                } else {
                    a.chains.join(", ")
                }
            ))
        )?;
    }
    chains(r, &p, out)?;
    principals(r, &p, out)?;
    writeln!(
        out,
        "\n{}",
        p.head("Top denied authorizations and failed authentications")
    )?;
    let tops = &r.tops;
    for (name, v) in [
        ("principals", &tops.principals),
        ("addresses", &tops.addresses),
        ("resources", &tops.resources),
        ("methods", &tops.methods),
    ] {
        writeln!(
            out,
            "  {name:<11} {}",
            if v.is_empty() {
                "-".to_owned()
            } else {
                counts(v, 10)
            }
        )?;
    }
    let l = &r.limits;
    if l.chains_dropped + l.principals_dropped + l.alerts_dropped + l.top_error > 0 {
        writeln!(
            out,
            "\n{}",
            p.dim(&format!(
                "bounded memory: {} chains, {} principals, {} alerts forgotten; top counts under by at most {}",
                l.chains_dropped, l.principals_dropped, l.alerts_dropped, l.top_error
            ))
        )?;
    }
    Ok(())
}

fn timeline(r: &Report, p: &Paint, out: &mut impl Write) -> io::Result<()> {
    let tl = &r.timeline;
    writeln!(
        out,
        "\n{} {}",
        p.head("Timeline"),
        p.dim(&format!(
            "(per {} s: events, denied, failed logins; ! alerts)",
            tl.bucket_secs
        ))
    )?;
    let max = tl
        .buckets
        .iter()
        .map(|b| b.events)
        .max()
        .unwrap_or(0)
        .max(1);
    for b in &tl.buckets {
        let n = (b.events * BAR).div_ceil(max) as usize;
        let bad = ((b.denied + b.auth_failed) * BAR)
            .div_ceil(max)
            .min(n as u64) as usize;
        let bar = format!("{}{}", p.bad(&"█".repeat(bad)), "█".repeat(n - bad));
        let pad = " ".repeat(BAR as usize - n);
        let mut line = format!("  {}  {bar}{pad} {:>6}", short(&b.start), b.events);
        if b.denied > 0 {
            line.push_str(&p.bad(&format!("  denied {}", b.denied)));
        }
        if b.auth_failed > 0 {
            line.push_str(&p.bad(&format!("  failed logins {}", b.auth_failed)));
        }
        for id in &b.alerts {
            if let Some(a) = r.alerts.iter().find(|a| &a.id == id) {
                line.push_str(&p.warn(&format!("  ! {}", a.rule)));
            }
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn chains(r: &Report, p: &Paint, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "\n{} {}",
        p.head("Attack chains"),
        p.dim("(per client: address / client id / connection id; by time, then correlation id)")
    )?;
    if r.chains.is_empty() {
        writeln!(out, "  none")?;
    }
    for c in &r.chains {
        writeln!(
            out,
            "\n  {}  {}  {} → {}",
            p.warn(&c.id),
            c.client,
            short(&c.first_time),
            short(&c.last_time)
        )?;
        writeln!(
            out,
            "    {} events: {} denied, {} granted, {} failed logins, {} logins{}",
            c.events,
            p.bad(&c.denied.to_string()),
            c.granted,
            p.bad(&c.auth_failed.to_string()),
            c.auth_succeeded,
            if c.merged_authentications > 0 {
                format!(
                    " ({} authentications from the same address merged in)",
                    c.merged_authentications
                )
            } else {
                String::new()
            }
        )?;
        writeln!(out, "    principals: {}", c.principals.join(", "))?;
        writeln!(out, "    operations: {}", counts(&c.operations, 8))?;
        writeln!(out, "    resources:  {}", counts(&c.resources, 8))?;
        if !c.alerts.is_empty() {
            let names: Vec<String> = c
                .alerts
                .iter()
                .filter_map(|id| r.alerts.iter().find(|a| &a.id == id))
                .map(|a| a.rule.clone())
                .collect();
            writeln!(out, "    alerts:     {}", p.warn(&names.join(", ")))?;
        }
        // A routine client (nothing refused, no alert): a glimpse only.
        let routine = c.denied + c.auth_failed == 0 && c.alerts.is_empty();
        let shown = if routine { ROUTINE_STEPS } else { STEPS_SHOWN };
        for s in c.steps.iter().take(shown) {
            writeln!(out, "      {}", step(s, p))?;
        }
        let more = c.steps.len().saturating_sub(shown) as u64 + c.steps_omitted;
        if more > 0 {
            writeln!(out, "      {}", p.dim(&format!("… {more} more events")))?;
        }
    }
    Ok(())
}

fn step(s: &Step, p: &Paint) -> String {
    let outcome = match s.outcome.as_str() {
        "denied" | "auth_failed" | "failure" => p.bad(&format!("{:<14}", s.outcome)),
        _ => format!("{:<14}", s.outcome),
    };
    let d = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    format!(
        "{}  {outcome}  {:<22}  {:<22}  {:<10}  {:<28}  corr {}",
        short(&s.time),
        d(&s.principal),
        d(&s.method),
        d(&s.operation),
        d(&s.resource),
        d(&s.correlation_id)
    )
}

fn principals(r: &Report, p: &Paint, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "\n{} {}",
        p.head("Overreaching principals"),
        p.dim(&format!(
            "(by denied sensitive access; usual set learnt until {})",
            r.limits
                .baseline_until
                .as_deref()
                .map(short)
                .unwrap_or_default()
        ))
    )?;
    if r.principals.is_empty() {
        writeln!(out, "  none")?;
    }
    for x in &r.principals {
        writeln!(
            out,
            "\n  {}  {} events: {} denied ({} sensitive), {} granted",
            p.warn(&x.principal),
            x.events,
            p.bad(&x.denied.to_string()),
            p.bad(&x.denied_sensitive.to_string()),
            x.granted
        )?;
        let access = |v: &[super::model::Access]| {
            v.iter()
                .take(8)
                .map(|a| {
                    format!(
                        "{} {}{} ×{}",
                        a.operation,
                        a.resource,
                        if a.sensitive { " (sensitive)" } else { "" },
                        a.count
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !x.denied_access.is_empty() {
            writeln!(out, "    denied:  {}", p.bad(&access(&x.denied_access)))?;
        }
        if !x.granted_access.is_empty() {
            writeln!(out, "    granted: {}", access(&x.granted_access))?;
        }
        writeln!(out, "    addresses: {}", x.addresses.join(", "))?;
        if !x.new_addresses.is_empty() {
            writeln!(
                out,
                "    new addresses: {}",
                p.bad(&x.new_addresses.join(", "))
            )?;
        }
        if !x.new_resources.is_empty() {
            writeln!(
                out,
                "    outside its usual set: {}",
                p.bad(&x.new_resources.join(", "))
            )?;
        }
        if !x.alerts.is_empty() {
            writeln!(out, "    alerts: {}", x.alerts.len())?;
        }
    }
    Ok(())
}
