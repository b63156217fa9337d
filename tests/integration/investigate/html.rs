//! `investigate --html`: the report opened in headless Chromium (Debian's
//! `chromium`, installed by `scripts/setup.sh`) with the network cut off
//! (an unreachable proxy, every host name unresolvable; the page's own
//! Content-Security-Policy forbids requests anyway). The DOM after its
//! script ran holds the chains and counts, the page logs no error, and
//! its screenshot — kept at `target/tmp/investigate-report.png` for a
//! person to look at — is not blank.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{incident, investigate};

fn chromium(html: &Path, extra: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium is installed (scripts/setup.sh)");
    assert!(out.status.success(), "{:?}", out);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn no_console_error(stderr: &str) {
    for bad in ["Uncaught", "Refused to", "ERR_", "CONSOLE"] {
        let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(bad)).collect();
        assert!(lines.is_empty(), "{bad}: {lines:#?}");
    }
}

#[test]
fn html_report_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let (code, _, err) = investigate(&["--html", html.to_str().unwrap(), &incident()], None);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(&html).unwrap();
    // Self-contained: nothing to fetch.
    for outside in ["http://", "https://", "<link", " src=", "url("] {
        assert!(!page.contains(outside), "the page refers to {outside}");
    }

    let (dom, stderr) = chromium(&html, &["--dump-dom"]);
    no_console_error(&stderr);
    let root = &dom[dom.find("<html").unwrap()..];
    let root = &root[..root.find('>').unwrap()];
    assert!(
        root.contains(r#"data-script="ok""#),
        "the inline script ran: {root}"
    );
    assert!(
        !root.contains("data-errors"),
        "errors recorded by the page: {root}"
    );
    for expected in [
        r#"<div class="card " id="total-events"><b>472</b>events</div>"#,
        r#"<div class="card bad" id="total-denied"><b>15</b>denied</div>"#,
        r#"<div class="card bad" id="total-auth-failed"><b>10</b>failed logins</div>"#,
        r#"<div class="card alert" id="total-alerts"><b>8</b>alerts</div>"#,
        r#"<section class="chain" id="chain-1" data-events="24" data-denied="14" data-auth-failed="6"><h3>chain-1 · 203.0.113.50 / exfil</h3>"#,
        r#"<tr class="principal" data-principal="User:svc-reporting">"#,
        r#"<svg id="timeline-chart""#,
        r#"<svg id="top-addresses""#,
    ] {
        assert!(dom.contains(expected), "missing {expected}");
    }
    assert_eq!(dom.matches(r#"class="alert-row""#).count(), 8);
    assert_eq!(dom.matches(r#"class="alert-marker""#).count(), 8);
    // The chain's 24 events, each expandable.
    let chain1 = &dom[dom.find(r#"id="chain-1""#).unwrap()..];
    let chain1 = &chain1[..chain1.find("</section>").unwrap()];
    assert_eq!(chain1.matches(r#"<tr class="step""#).count(), 24);
    assert_eq!(chain1.matches("<details>").count(), 24);
    assert_eq!(chain1.matches(r#"data-outcome="denied""#).count(), 14);
    assert!(chain1.contains("<dt>source address</dt><dd>203.0.113.50</dd>"));

    let png = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("investigate-report.png");
    let _ = std::fs::remove_file(&png);
    let (_, stderr) = chromium(
        &html,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,2000",
        ],
    );
    no_console_error(&stderr);
    let (w, h, colours, ink) = decode_png(&std::fs::read(&png).unwrap());
    assert_eq!((w, h), (1280, 2000));
    assert!(colours > 50, "{colours} colours: a blank page?");
    assert!(
        ink > 0.10,
        "only {ink:.3} of the pixels differ from the background"
    );
}

/// Width, height, distinct colours, and the share of pixels that differ
/// from the most common one. 8-bit RGB or RGBA, not interlaced.
fn decode_png(b: &[u8]) -> (usize, usize, usize, f64) {
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let (mut pos, mut idat, mut dims) = (8, Vec::new(), (0, 0, 0));
    while pos + 8 <= b.len() {
        let len = u32::from_be_bytes(b[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &b[pos + 4..pos + 8];
        let data = &b[pos + 8..pos + 8 + len];
        match kind {
            b"IHDR" => {
                let w = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                let h = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!((data[8], data[12]), (8, 0), "8-bit, not interlaced");
                let bpp = match data[9] {
                    2 => 3,
                    6 => 4,
                    t => panic!("colour type {t}"),
                };
                dims = (w, h, bpp);
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        pos += 12 + len;
    }
    let (w, h, bpp) = dims;
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let stride = w * bpp;
    assert_eq!(raw.len(), h * (stride + 1));
    let mut prev = vec![0u8; stride];
    let mut counts: std::collections::HashMap<u32, usize> = Default::default();
    for y in 0..h {
        let line = &raw[y * (stride + 1)..(y + 1) * (stride + 1)];
        let mut cur = line[1..].to_vec();
        for i in 0..stride {
            let a = if i >= bpp { cur[i - bpp] as i16 } else { 0 };
            let up = prev[i] as i16;
            let c = if i >= bpp { prev[i - bpp] as i16 } else { 0 };
            let add = match line[0] {
                0 => 0,
                1 => a,
                2 => up,
                3 => (a + up) / 2,
                4 => {
                    let p = a + up - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - up).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        up
                    } else {
                        c
                    }
                }
                f => panic!("filter {f}"),
            };
            cur[i] = (cur[i] as i16 + add) as u8;
        }
        for px in cur.chunks(bpp) {
            let rgb = u32::from_be_bytes([0, px[0], px[1], px[2]]);
            *counts.entry(rgb).or_default() += 1;
        }
        prev = cur;
    }
    let background = counts.values().copied().max().unwrap_or(0);
    let total = w * h;
    let distinct: HashSet<u32> = counts.keys().copied().collect();
    (w, h, distinct.len(), 1.0 - background as f64 / total as f64)
}
