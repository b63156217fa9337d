//! Inline SVG charts for the HTML report, drawn here (no script, no
//! network): the timeline (stacked bars per bucket, alert markers) and
//! horizontal bar charts of the tops.

use std::fmt::Write;

use super::model::{Count, Report};

const W: f64 = 1200.0;
const H: f64 = 220.0;
const LEFT: f64 = 50.0;
const BOTTOM: f64 = 30.0;
const TOP: f64 = 26.0;

/// The timeline: granted, denied and failed logins stacked per bucket;
/// one marker per alert above the bucket of its first event.
pub fn timeline(r: &Report) -> String {
    let b = &r.timeline.buckets;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="timeline-chart" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="events per bucket">"#
    );
    if b.is_empty() {
        s.push_str(r#"<text x="10" y="20">no events</text></svg>"#);
        return s;
    }
    let max = b.iter().map(|x| x.events).max().unwrap_or(1).max(1) as f64;
    let plot_h = H - BOTTOM - TOP;
    let step = (W - LEFT - 10.0) / b.len() as f64;
    let bw = (step * 0.8).max(1.0);
    let y = |v: f64| TOP + plot_h - v / max * plot_h;
    // Axis and scale.
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{top}" x2="{LEFT}" y2="{base}" stroke="#99a"/><line x1="{LEFT}" y1="{base}" x2="{right}" y2="{base}" stroke="#99a"/><text x="{tx}" y="{ty}" text-anchor="end">{max}</text><text x="{tx}" y="{base}" text-anchor="end">0</text>"##,
        top = TOP,
        base = TOP + plot_h,
        right = W - 10.0,
        tx = LEFT - 4.0,
        ty = TOP + 8.0,
        max = max as u64
    );
    let labels = (b.len() / 10).max(1);
    for (i, k) in b.iter().enumerate() {
        let x = LEFT + i as f64 * step + (step - bw) / 2.0;
        let other = k.events.saturating_sub(k.denied + k.auth_failed) as f64;
        let mut base = 0.0;
        for (v, colour, what) in [
            (other, "var(--granted)", "other"),
            (k.denied as f64, "var(--denied)", "denied"),
            (k.auth_failed as f64, "var(--failed)", "failed logins"),
        ] {
            if v > 0.0 {
                let _ = write!(
                    s,
                    r#"<rect class="bar-{cls}" x="{x:.1}" y="{y1:.1}" width="{bw:.1}" height="{h:.1}" fill="{colour}"><title>{t}: {v} {what}</title></rect>"#,
                    cls = what.replace(' ', "-"),
                    y1 = y(base + v),
                    h = y(base) - y(base + v),
                    t = esc(&k.start),
                );
                base += v;
            }
        }
        if i % labels == 0 {
            let _ = write!(
                s,
                r#"<text x="{x:.1}" y="{ly}">{t}</text>"#,
                ly = H - 10.0,
                t = esc(k.start.get(11..16).unwrap_or(&k.start))
            );
        }
        for (j, id) in k.alerts.iter().enumerate() {
            let rule = r
                .alerts
                .iter()
                .find(|a| &a.id == id)
                .map_or("alert", |a| a.rule.as_str());
            let cx = x + bw / 2.0;
            let cy = TOP - 8.0 + (j as f64 * 7.0).min(plot_h);
            let _ = write!(
                s,
                r##"<a href="#alert-{id}"><path class="alert-marker" data-alert="{id}" d="M{l:.1},{cy:.1} L{rr:.1},{cy:.1} L{cx:.1},{b:.1} Z" fill="var(--alert)"><title>{rule} ({t})</title></path></a>"##,
                id = esc(id),
                l = cx - 5.0,
                rr = cx + 5.0,
                b = cy + 8.0,
                rule = esc(rule),
                t = esc(&k.start),
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A horizontal bar chart of `counts`, `id` its element id.
pub fn bars(id: &str, counts: &[Count], colour: &str) -> String {
    let row = 22.0;
    let label_w = 260.0;
    let width = 600.0;
    let h = (counts.len().max(1) as f64) * row + 6.0;
    let mut s = format!(
        r#"<svg id="{id}" viewBox="0 0 {width} {h}" width="100%" role="img">"#,
        id = esc(id)
    );
    if counts.is_empty() {
        s.push_str(r#"<text x="4" y="16">none</text></svg>"#);
        return s;
    }
    let max = counts.iter().map(|c| c.count).max().unwrap_or(1).max(1) as f64;
    for (i, c) in counts.iter().enumerate() {
        let y = 3.0 + i as f64 * row;
        let w = (c.count as f64 / max * (width - label_w - 60.0)).max(1.0);
        let label: String = if c.value.chars().count() > 40 {
            c.value.chars().take(39).chain(['…']).collect()
        } else {
            c.value.clone()
        };
        let _ = write!(
            s,
            r#"<text x="{tx}" y="{ty:.1}" text-anchor="end">{label}</text><rect x="{label_w}" y="{y:.1}" width="{w:.1}" height="{bh}" fill="{colour}"><title>{full}: {n}</title></rect><text class="count" x="{nx:.1}" y="{ty:.1}">{n}</text>"#,
            tx = label_w - 6.0,
            ty = y + 14.0,
            label = esc(&label),
            bh = row - 6.0,
            full = esc(&c.value),
            n = c.count,
            nx = label_w + w + 4.0,
        );
    }
    s.push_str("</svg>");
    s
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}
