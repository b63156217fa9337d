//! `--html FILE`: the report as one self-contained HTML file. CSS, the
//! charts (inline SVG, [`super::report_svg`]) and a small script are
//! inline; a Content-Security-Policy forbids every request, so opening it
//! reaches no network. Chains are tables whose events expand
//! (`<details>`) to every field the report kept.

use std::fmt::Write;

use crate::event::time::format_rfc3339_nanos;

use super::model::{AlertInfo, Chain, PrincipalInfo, Report, Step};
use super::report_svg::{self, esc};
use super::report_text::short;

const CSS: &str = include_str!("assets/report.css");
const JS: &str = include_str!("assets/report.js");

fn opt(v: &Option<String>) -> String {
    v.as_deref().map_or_else(|| "–".to_owned(), esc)
}

/// The whole page.
pub fn render(r: &Report) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let t = &r.totals;
    let _ = write!(
        h,
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>siem-bridge investigation</title><style>{CSS}</style></head><body>
<header><h1>Incident investigation</h1><p>input: {inputs}</p><p>events from {from} to {to} (UTC) · focus: {focus} · generated {gen}</p></header>
<main>"#,
        inputs = esc(&r.input.sources.join(", ")),
        from = esc(&t.first_time.as_deref().map(short).unwrap_or_default()),
        to = esc(&t.last_time.as_deref().map(short).unwrap_or_default()),
        focus = esc(&focus_text(r)),
        gen = esc(&short(&r.generated_at)),
    );
    h.push_str(r#"<h2>Totals</h2><div class="cards" id="totals">"#);
    for (id, n, label, class) in [
        ("events", t.events, "events", ""),
        ("principals", t.principals, "principals", ""),
        ("addresses", t.addresses, "source addresses", ""),
        ("denied", t.denied, "denied", "bad"),
        ("granted", t.granted, "granted", ""),
        ("auth-failed", t.auth_failed, "failed logins", "bad"),
        ("auth-succeeded", t.auth_succeeded, "logins", ""),
        ("alerts", t.alerts, "alerts", "alert"),
    ] {
        let _ = write!(
            h,
            r#"<div class="card {class}" id="total-{id}"><b>{n}</b>{label}</div>"#
        );
    }
    let _ = write!(
        h,
        r#"</div><p class="muted">{} records read: {} events, {} invalid, {} outside the focus.</p>"#,
        r.input.records, r.input.events, r.input.invalid, r.input.outside_focus
    );
    let _ = write!(
        h,
        r#"<h2>Timeline <span class="muted">(per {} s)</span></h2><div class="chart">{}<div class="legend"><span><i style="background:var(--granted)"></i>other events</span><span><i style="background:var(--denied)"></i>denied</span><span><i style="background:var(--failed)"></i>failed logins</span><span><i style="background:var(--alert)"></i>alert</span></div></div>"#,
        r.timeline.bucket_secs,
        report_svg::timeline(r)
    );
    alerts(r, &mut h);
    let _ = write!(
        h,
        r#"<h2>Attack chains <span class="muted">(per client: address / client id / connection id; by time, then correlation id)</span></h2><p><input type="search" id="chain-filter" placeholder="filter chains (address, principal, resource…)"> <button id="expand-all" type="button">expand / collapse all events</button></p><div id="chains">"#
    );
    if r.chains.is_empty() {
        h.push_str("<p>none</p>");
    }
    for c in &r.chains {
        chain(r, c, &mut h);
    }
    h.push_str("</div>");
    principals(r, &mut h);
    h.push_str(
        r#"<h2>Top denied authorizations and failed authentications</h2><div class="tops">"#,
    );
    for (id, title, v, colour) in [
        (
            "top-principals",
            "principals",
            &r.tops.principals,
            "var(--denied)",
        ),
        (
            "top-addresses",
            "source addresses",
            &r.tops.addresses,
            "var(--failed)",
        ),
        (
            "top-resources",
            "resources",
            &r.tops.resources,
            "var(--denied)",
        ),
        ("top-methods", "methods", &r.tops.methods, "var(--granted)"),
    ] {
        let _ = write!(
            h,
            r#"<div class="chart"><h3>{title}</h3>{}</div>"#,
            report_svg::bars(id, v, colour)
        );
    }
    let l = &r.limits;
    let _ = write!(
        h,
        r#"</div><footer>Bounded memory: at most {} chains ({} forgotten of {}), {} events kept per chain, {} principals ({} forgotten), {} alerts ({} dropped); top counts under by at most {}. Usual set learnt until {}. Schema {}.</footer></main><script>{JS}</script></body></html>"#,
        l.max_chains,
        l.chains_dropped,
        l.chains_total,
        l.max_steps_per_chain,
        l.max_principals,
        l.principals_dropped,
        l.max_alerts,
        l.alerts_dropped,
        l.top_error,
        esc(&l.baseline_until.as_deref().map(short).unwrap_or_default()),
        esc(&r.schema),
    );
    h.push('\n');
    h
}

fn focus_text(r: &Report) -> String {
    let f = &r.focus;
    let mut v = Vec::new();
    for (name, x) in [
        ("principal", &f.principals),
        ("ip", &f.ips),
        ("resource", &f.resources),
        ("client id", &f.client_ids),
    ] {
        if !x.is_empty() {
            v.push(format!("{name} {}", x.join(" | ")));
        }
    }
    if let Some(a) = &f.alert {
        v.push(format!("alert {a}"));
    }
    if v.is_empty() {
        "everything".to_owned()
    } else {
        v.join("; ")
    }
}

fn alerts(r: &Report, h: &mut String) {
    h.push_str(r#"<h2>Alerts</h2>"#);
    if r.alerts.is_empty() {
        h.push_str("<p>none</p>");
        return;
    }
    h.push_str(r#"<table id="alerts"><tr><th>time</th><th>severity</th><th>rule</th><th>summary</th><th>principal</th><th>events</th><th>chains</th></tr>"#);
    for a in &r.alerts {
        alert_row(a, h);
    }
    h.push_str("</table>");
}

fn alert_row(a: &AlertInfo, h: &mut String) {
    let chains: Vec<String> = a
        .chains
        .iter()
        .map(|c| format!(r##"<a href="#{0}">{0}</a>"##, esc(c)))
        .collect();
    let _ = write!(
        h,
        r#"<tr id="alert-{id}" class="alert-row" data-rule="{rule}"><td class="time">{first}<br><span class="muted">→ {last}</span></td><td class="nowrap sev-{sev}">{sev}</td><td class="nowrap">{rule}</td><td class="wrap">{summary}<details><summary>{id}</summary><dl><dt>group</dt><dd>{group}</dd><dt>addresses</dt><dd>{ips}</dd><dt>resources</dt><dd>{res}</dd><dt>event ids</dt><dd>{ids}</dd></dl></details></td><td class="nowrap">{principal}</td><td class="num">{n}</td><td class="nowrap">{chains}</td></tr>"#,
        id = esc(&a.id),
        first = esc(&short(&format_rfc3339_nanos(a.first_time))),
        last = esc(short(&format_rfc3339_nanos(a.last_time))
            .get(11..)
            .unwrap_or_default()),
        sev = a.severity.as_str(),
        rule = esc(&a.rule),
        summary = esc(&a.summary),
        group = esc(&a.group_key),
        ips = esc(&a.source_ips.join(", ")),
        res = esc(&a.resources.join(", ")),
        ids = esc(&a.event_ids.join(", ")),
        principal = opt(&a.principal),
        n = a.event_count,
        chains = chains.join(" "),
    );
}

fn chain(r: &Report, c: &Chain, h: &mut String) {
    let tags: Vec<String> = c
        .alerts
        .iter()
        .filter_map(|id| r.alerts.iter().find(|a| &a.id == id))
        .map(|a| {
            format!(
                r##"<a class="tag" href="#alert-{}">{}</a>"##,
                esc(&a.id),
                esc(&a.rule)
            )
        })
        .collect();
    let counts = |v: &[super::model::Count]| {
        v.iter()
            .take(10)
            .map(|c| format!("{} ×{}", esc(&c.value), c.count))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        h,
        r#"<section class="chain" id="{id}" data-events="{events}" data-denied="{denied}" data-auth-failed="{failed}"><h3>{id} · {client}</h3><div class="facts">{first} → {last} · <b>{events}</b> events: <span class="o-denied">{denied} denied</span>, {granted} granted, <span class="o-auth_failed">{failed} failed logins</span>, {ok} logins{merged}<br>principals: {principals}<br>operations: {ops}<br>resources: {res}<br>alerts: {tags}</div><table class="steps"><tr><th>time</th><th>outcome</th><th>principal</th><th>method</th><th>operation</th><th>resource</th><th>correlation</th><th>event</th></tr>"#,
        id = esc(&c.id),
        client = esc(&c.client.to_string()),
        first = esc(&short(&c.first_time)),
        last = esc(&short(&c.last_time)),
        events = c.events,
        denied = c.denied,
        granted = c.granted,
        failed = c.auth_failed,
        ok = c.auth_succeeded,
        merged = if c.merged_authentications > 0 {
            format!(
                " ({} authentications from the same address merged in)",
                c.merged_authentications
            )
        } else {
            String::new()
        },
        principals = esc(&c.principals.join(", ")),
        ops = counts(&c.operations),
        res = counts(&c.resources),
        tags = if tags.is_empty() {
            "–".to_owned()
        } else {
            tags.join(" ")
        },
    );
    for s in &c.steps {
        step(s, h);
    }
    h.push_str("</table>");
    if c.steps_omitted > 0 {
        let _ = write!(
            h,
            r#"<p class="muted">{} more events counted but not kept (at most {} per chain, notable ones first).</p>"#,
            c.steps_omitted, r.limits.max_steps_per_chain
        );
    }
    h.push_str("</section>");
}

fn step(s: &Step, h: &mut String) {
    let _ = write!(
        h,
        r#"<tr class="step" data-outcome="{o}"><td class="time">{time}</td><td class="nowrap o-{o}">{o}</td><td>{p}</td><td>{m}</td><td>{op}</td><td class="res">{res}</td><td class="num">{corr}</td><td class="res"><details><summary>{id}</summary><dl>"#,
        o = esc(&s.outcome),
        time = esc(&short(&s.time)),
        p = opt(&s.principal),
        m = opt(&s.method),
        op = opt(&s.operation),
        res = opt(&s.resource),
        corr = opt(&s.correlation_id),
        id = esc(&s.id),
    );
    for (k, v) in [
        ("time", Some(s.time.clone())),
        ("type", Some(s.kind.clone())),
        ("severity", Some(s.severity.clone())),
        ("source address", s.source_ip.clone()),
        ("client id", s.client_id.clone()),
        ("resource CRN", s.resource_crn.clone()),
        ("kafka", s.kafka.clone()),
    ] {
        if let Some(v) = v {
            let _ = write!(h, "<dt>{k}</dt><dd>{}</dd>", esc(&v));
        }
    }
    h.push_str("</dl></details></td></tr>");
}

fn principals(r: &Report, h: &mut String) {
    let _ = write!(
        h,
        r#"<h2>Overreaching principals <span class="muted">(by denied sensitive access; usual set learnt until {})</span></h2>"#,
        esc(&r
            .limits
            .baseline_until
            .as_deref()
            .map(short)
            .unwrap_or_default())
    );
    if r.principals.is_empty() {
        h.push_str("<p>none</p>");
        return;
    }
    h.push_str(r#"<table id="principals"><tr><th>principal</th><th>events</th><th>denied</th><th>denied sensitive</th><th>granted</th><th>denied access</th><th>new addresses</th><th>outside its usual set</th><th>alerts</th></tr>"#);
    for p in &r.principals {
        principal_row(p, h);
    }
    h.push_str("</table>");
}

fn principal_row(p: &PrincipalInfo, h: &mut String) {
    let denied: Vec<String> = p
        .denied_access
        .iter()
        .take(12)
        .map(|a| {
            format!(
                "{} {}{} ×{}",
                esc(&a.operation),
                esc(&a.resource),
                if a.sensitive { " ⚠" } else { "" },
                a.count
            )
        })
        .collect();
    let _ = write!(
        h,
        r#"<tr class="principal" data-principal="{name}"><td><b>{name}</b><details><summary>granted ({g})</summary><dl>{granted}</dl></details></td><td class="num">{events}</td><td class="num o-denied">{denied_n}</td><td class="num o-denied">{sens}</td><td class="num">{g}</td><td>{denied}</td><td class="o-denied">{new_ips}</td><td class="o-denied">{new_res}</td><td class="num">{alerts}</td></tr>"#,
        name = esc(&p.principal),
        granted = p
            .granted_access
            .iter()
            .take(30)
            .map(|a| format!(
                "<dt>{}</dt><dd>{} ×{}</dd>",
                esc(&a.operation),
                esc(&a.resource),
                a.count
            ))
            .collect::<String>(),
        events = p.events,
        denied_n = p.denied,
        sens = p.denied_sensitive,
        g = p.granted,
        denied = denied.join("<br>"),
        new_ips = esc(&p.new_addresses.join(", ")),
        new_res = esc(&p.new_resources.join(", ")),
        alerts = p.alerts.len(),
    );
}
