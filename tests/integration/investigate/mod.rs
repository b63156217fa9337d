//! `siem-bridge investigate` run as a user runs it, on the incident of
//! `tests/data/detect/` (made by its `make_incident.py`): the text report,
//! `--json`, compressed files and standard input, the focus flags and
//! `--alert`; the HTML report in headless Chromium ([`html`]); a Kafka
//! range on the mock cluster and on tansu ([`kafka`]).

mod html;
mod kafka;

use std::io::Write;
use std::process::Command;

use serde_json::Value;

pub fn incident() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/detect/incident.jsonl"
    )
    .to_owned()
}

/// The binary with a clean environment: `(exit code, stdout, stderr)`.
pub fn investigate(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut all = vec!["investigate"];
    all.extend_from_slice(args);
    crate::support::cli::siem_bridge(&all, stdin)
}

pub fn json(args: &[&str], stdin: Option<&[u8]>) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = investigate(&all, stdin);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("one JSON document")
}

#[test]
fn text_report_tells_the_incident() {
    let (code, out, err) = investigate(&[&incident()], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    for line in [
        "472 events, 7 principals, 7 source addresses",
        "authorizations: 15 denied, 406 granted",
        "authentications: 10 failed, 41 succeeded",
        "alerts: 8",
        "chain-1  203.0.113.50 / exfil  2025-06-10 14:05:00 → 2025-06-10 14:11:40",
        "24 events: 14 denied, 3 granted, 6 failed logins, 1 logins (7 authentications from the same address merged in)",
        "User:svc-reporting  58 events: 14 denied (14 sensitive), 23 granted",
        "new addresses: 203.0.113.50",
        "addresses   203.0.113.50 ×20, 198.51.100.23 ×4, 10.20.30.41 ×1",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    // The timeline places the burst's alert at 14:07.
    let burst = out
        .lines()
        .find(|l| l.starts_with("  2025-06-10 14:07:00"))
        .unwrap();
    assert!(
        burst.contains("denied 8") && burst.contains("! denial_burst"),
        "{burst}"
    );
    // The chain lists the denials in request order (correlation ids).
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s}"));
    assert!(at("corr 100") < at("corr 101") && at("corr 113") < at("corr 200"));
}

#[test]
fn json_of_files_gz_zst_and_stdin_agree() {
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(incident()).unwrap();
    let gz = dir.path().join("incident.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&raw).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let zst = dir.path().join("incident.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(&raw[..], 3).unwrap()).unwrap();
    let plain = json(&[&incident()], None);
    let strip = |mut v: Value| {
        v["generated_at"] = Value::Null;
        v["input"]["sources"] = Value::Null;
        v
    };
    assert_eq!(plain["totals"]["events"], 472);
    assert_eq!(plain["chains"][0]["client"]["client_id"], "exfil");
    assert_eq!(plain["schema"], "siem-bridge.investigate/1");
    for other in [
        json(&[gz.to_str().unwrap()], None),
        json(&[zst.to_str().unwrap()], None),
        json(&["-"], Some(&raw)),
        json(&[], Some(&raw)),
    ] {
        assert_eq!(strip(other), strip(plain.clone()));
    }
}

#[test]
fn focus_flags_narrow_the_report() {
    let v = json(&["--principal", "User:svc-*", &incident()], None);
    assert_eq!(v["totals"]["events"], 58);
    assert_eq!(v["input"]["outside_focus"], 414);
    assert_eq!(v["focus"]["principals"][0], "User:svc-*");
    let v = json(
        &[
            "--ip",
            "203.0.113.50",
            "--resource",
            "sensitive-pii-*",
            &incident(),
        ],
        None,
    );
    assert_eq!(
        (
            v["totals"]["denied"].as_u64(),
            v["totals"]["granted"].as_u64()
        ),
        (Some(10), Some(2))
    );
    let v = json(&["--client-id", "cli", &incident()], None);
    assert_eq!(v["principals"][0]["principal"], "User:bob");
    assert_eq!(v["chains"].as_array().unwrap().len(), 1);
}

#[test]
fn alert_flag_starts_from_a_detectors_alert() {
    let out = Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .args(["detect", &incident()])
        .output()
        .unwrap();
    let burst: Value = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|a| a["rule"] == "denial_burst")
        .unwrap();
    let id = burst["id"].as_str().unwrap();
    let v = json(&["--alert", id, &incident()], None);
    assert_eq!(v["focus"]["alert"], id);
    // The principal's events and the address's (its failed logins too).
    assert_eq!(v["totals"]["events"], 58 + 6);
    assert_eq!(v["chains"][0]["client"]["source_ip"], "203.0.113.50");
    assert!(v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == id));

    let (code, _, err) = investigate(&["--alert", "sb-nope", &incident()], None);
    assert_eq!(code, 1);
    assert!(
        err.contains("no alert sb-nope") && err.contains("8 alerts raised"),
        "{err}"
    );
    let (code, _, err) = investigate(&["--alert", id, "-"], Some(b""));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("standard input"), "{err}");
}

#[test]
fn usage_and_input_errors_say_what_to_do() {
    let (code, _, err) = investigate(&["--ip", "10.0.0.0/99", &incident()], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--ip"), "{err}");
    let (code, _, err) = investigate(&["--baseline", "2 hours", &incident()], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--baseline"), "{err}");
    let (code, _, err) = investigate(&["/nonexistent/audit.jsonl"], None);
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot read /nonexistent/audit.jsonl") && err.contains("check the path"),
        "{err}"
    );
    let (code, out, err) = investigate(&["--json", "-"], Some(b"not json\n\n"));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("-:1: skipped"), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            v["input"]["records"].as_u64(),
            v["input"]["invalid"].as_u64()
        ),
        (Some(1), Some(1))
    );
}
