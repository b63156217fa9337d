//! Golden messages for every format (S1, S9) and the size limit.

use serde_json::Value;

use super::*;
use crate::event::{Disposition, Severity};
use crate::process::Processor;

fn event(json: &str) -> Event {
    match Processor::default().process(json.as_bytes(), None, 0) {
        Disposition::Forward(e) => e,
        other => panic!("not forwarded: {}", other.label()),
    }
}

fn config(extra: &str) -> SyslogConfig {
    toml::from_str(&format!(
        "address = \"h:514\"\nhostname = \"bridge-1\"\n{extra}"
    ))
    .unwrap()
}

fn encoder(extra: &str) -> Encoder {
    Encoder::new(&config(extra), "unused")
}

fn text(e: &Encoder, ev: &Event) -> String {
    String::from_utf8(e.encode(ev).unwrap().message).unwrap()
}

/// Splits a message at the start of the event JSON: (head, json).
fn split_at_json<'a>(msg: &'a str, marker: &str) -> (&'a str, &'a str) {
    let i = msg.find(marker).expect("marker") + marker.len();
    (&msg[..i], &msg[i..])
}

fn fixture_line(n: usize) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/audit-events/sample.jsonl"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .nth(n - 1)
        .unwrap()
        .to_owned()
}

/// A denied topic creation by `User:sa-1` from 192.0.2.7.
const DENIED: &str = r#"{"id":"e-1","source":"crn://confluent.cloud/organization=o-1/environment=env-1/cloud-cluster=lkc-1","specversion":"1.0","type":"io.confluent.kafka.server/authorization","time":"2026-01-01T12:34:56.789Z","data":{"methodName":"kafka.CreateTopics","resourceName":"crn://confluent.cloud/organization=o-1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1/topic=t1","authenticationInfo":{"principal":"User:sa-1"},"authorizationInfo":{"granted":false,"operation":"Create","resourceType":"Topic","resourceName":"t1"},"requestMetadata":{"client_address":"/192.0.2.7"}}}"#;

fn denied_with(from: &str, to: &str) -> Event {
    assert!(DENIED.contains(from));
    event(&DENIED.replacen(from, to, 1))
}

#[test]
fn rfc5424_golden() {
    let ev = event(DENIED);
    let msg = text(&encoder(""), &ev);
    let (head, json) = split_at_json(&msg, "] ");
    assert_eq!(
        head,
        r#"<132>1 2026-01-01T12:34:56.789000Z bridge-1 siem-bridge - kafka.CreateTopics [audit@32473 id="e-1" type="io.confluent.kafka.server/authorization" principal="User:sa-1" verdict="denied" severity="medium" organization="o-1" environment="env-1" cluster="lkc-1" resourceType="topic" resourceName="t1" sourceIp="192.0.2.7"] "#
    );
    assert_eq!(json, ev.json, "MSG is the enriched event, unchanged");
}

#[test]
fn pri_is_facility_times_eight_plus_severity() {
    let mut ev = event(DENIED);
    let cases = [
        ("kern", Severity::Info, "<6>1 "),
        ("audit", Severity::Critical, "<106>1 "),
        ("local0", Severity::High, "<131>1 "),
        ("local5", Severity::Low, "<173>1 "), // S1: local5/notice
        ("local7", Severity::Medium, "<188>1 "),
        ("23", Severity::Info, "<190>1 "),
    ];
    for (facility, severity, pri) in cases {
        ev.enrichment.severity = severity;
        let f = if facility.parse::<u8>().is_ok() {
            facility.to_owned()
        } else {
            format!("\"{facility}\"")
        };
        let msg = text(&encoder(&format!("facility = {f}")), &ev);
        assert!(msg.starts_with(pri), "{facility}/{severity:?}: {msg:.20}");
    }
}

#[test]
fn timestamps_have_zero_or_six_fraction_digits() {
    let whole = denied_with("12:34:56.789Z", "12:34:56Z");
    assert!(text(&encoder(""), &whole).starts_with("<132>1 2026-01-01T12:34:56Z bridge-1 "));
    let nanos = denied_with("12:34:56.789Z", "12:34:56.123456789+02:00");
    assert!(text(&encoder(""), &nanos).starts_with("<132>1 2026-01-01T10:34:56.123456Z bridge-1 "));
}

#[test]
fn sd_values_escape_quote_backslash_bracket() {
    // S1: a"b\c]d is sent as a\"b\\c\]d.
    let ev = denied_with(r#""User:sa-1""#, r#""User:a\"b\\c]d""#);
    let msg = text(&encoder(""), &ev);
    assert!(
        msg.contains(r#" principal="User:a\"b\\c\]d" "#),
        "{msg:.400}"
    );
}

#[test]
fn sd_values_with_only_a_bracket_are_escaped_when_the_strings_are_clean() {
    // No `"` or `\` anywhere: the strings are clean, and `]` alone must
    // still be escaped.
    let ev = denied_with(r#""User:sa-1""#, r#""User:a]b]""#);
    assert!(ev.enrichment.strings_clean());
    let msg = text(&encoder(""), &ev);
    assert!(msg.contains(r#" principal="User:a\]b\]" "#), "{msg:.400}");
    assert!(msg.contains(" id=\""), "{msg:.400}");
}

#[test]
fn header_fields_are_printable_ascii_within_limits() {
    // MSGID: at most 32 characters, multibyte characters replaced whole.
    let ev = denied_with("kafka.CreateTopics", &"ñ".repeat(40));
    let msg = text(&encoder(""), &ev);
    assert!(
        msg.contains(&format!(" siem-bridge - {} [", "_".repeat(32))),
        "{msg:.120}"
    );
    // No method: NILVALUE; no host name: NILVALUE.
    let ev = denied_with(r#""methodName":"kafka.CreateTopics","#, "");
    let c = toml::from_str::<SyslogConfig>("address = \"h:1\"").unwrap();
    let msg = text(&Encoder::new(&c, ""), &ev);
    assert!(
        msg.starts_with("<132>1 2026-01-01T12:34:56.789000Z - siem-bridge - - [audit@32473 "),
        "{msg:.100}"
    );
    // A mapped value is capped on a character boundary.
    let long = format!("User:{}", "é".repeat(400));
    let ev = denied_with(r#""User:sa-1""#, &format!("\"{long}\""));
    let msg = text(&encoder(""), &ev);
    let capped = fields::cap(&long, fields::FIELD_CAP_BYTES);
    assert_eq!(capped.len(), 511);
    assert!(msg.contains(&format!(" principal=\"{capped}\" ")));
}

#[test]
fn bom_starts_msg_when_asked() {
    let ev = event(DENIED);
    let msg = encoder("utf8_bom = true").encode(&ev).unwrap().message;
    let at = msg.windows(3).position(|w| w == b"\xEF\xBB\xBF").unwrap();
    assert_eq!(&msg[at - 2..at], b"] ");
    assert_eq!(&msg[at + 3..], ev.json.as_bytes());
}

#[test]
fn rfc3164_golden() {
    let ev = event(DENIED);
    let msg = text(&encoder("format = \"rfc3164\""), &ev);
    assert_eq!(
        msg,
        format!("<132>Jan  1 12:34:56 bridge-1 siem-bridge: {}", ev.json)
    );
    let ev = denied_with("2026-01-01T12:34:56.789Z", "2025-12-31T23:59:59Z");
    assert!(text(&encoder("format = \"rfc3164\""), &ev)
        .starts_with("<132>Dec 31 23:59:59 bridge-1 siem-bridge: {"));
}

fn cef_unescape(v: &str) -> String {
    let mut out = String::new();
    let mut it = v.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(c) => out.push(c),
            None => {}
        }
    }
    out
}

#[test]
fn cef_golden() {
    let ev = event(DENIED);
    let msg = text(&encoder("format = \"cef\""), &ev);
    let (head, json) = split_at_json(&msg, " msg=");
    assert_eq!(
        head,
        r"<132>Jan  1 12:34:56 bridge-1 CEF:0|Confluent|Audit Log|1|kafka.CreateTopics|kafka.CreateTopics denied|5|rt=1767270896789 externalId=e-1 cat=io.confluent.kafka.server/authorization act=kafka.CreateTopics outcome=denied suser=User:sa-1 src=192.0.2.7 cs1=crn://confluent.cloud/organization\=o-1/environment\=env-1/cloud-cluster\=lkc-1/kafka\=lkc-1/topic\=t1 cs1Label=crn cs2=o-1 cs2Label=organization cs3=env-1 cs3Label=environment cs4=lkc-1 cs4Label=cluster cs5=topic cs5Label=resourceType cs6=t1 cs6Label=resourceName msg="
    );
    assert_eq!(cef_unescape(json), ev.json);
}

#[test]
fn cef_escaping() {
    // S9: header `|` and `\` escaped; extension `=` and `\` escaped, line
    // breaks as \n and \r; `|` left alone in the extension.
    let ev = denied_with("kafka.CreateTopics", r"kafka.Create|Topics\\x");
    let ev2 = event(&DENIED.replace(r#""User:sa-1""#, r#""User:a=b\\c|d\ne\rf""#));
    let msg = text(&encoder("format = \"cef\""), &ev);
    assert!(
        msg.contains(r"|1|kafka.Create\|Topics\\x|kafka.Create\|Topics\\x denied|5|"),
        "{msg:.200}"
    );
    assert!(msg.contains(r" act=kafka.Create|Topics\\x "), "{msg:.400}");
    let msg = text(&encoder("format = \"cef\""), &ev2);
    assert!(msg.contains(r" suser=User:a\=b\\c|d\ne\rf "), "{msg:.400}");
    assert!(!msg.contains('\n') && !msg.contains('\r'));
    // Severity always within 0–10.
    let mut ev = event(DENIED);
    for (s, n) in [
        (Severity::Info, 1),
        (Severity::Low, 3),
        (Severity::Medium, 5),
        (Severity::High, 8),
        (Severity::Critical, 10),
    ] {
        ev.enrichment.severity = s;
        let msg = text(&encoder("format = \"cef\""), &ev);
        assert!(msg.contains(&format!(" denied|{n}|rt=")), "{s:?}");
    }
    // IPv6 and non-IP sources.
    let v6 = denied_with("/192.0.2.7", "/2001:db8::7");
    assert!(text(&encoder("format = \"cef\""), &v6)
        .contains(" c6a2=2001:db8::7 c6a2Label=Source IPv6 Address "));
    let host = denied_with("/192.0.2.7", "gateway.internal");
    assert!(text(&encoder("format = \"cef\""), &host).contains(" shost=gateway.internal "));
}

#[test]
fn leef_golden() {
    let ev = event(DENIED);
    let msg = text(&encoder("format = \"leef\""), &ev);
    let (head, json) = split_at_json(&msg, "^msg=");
    assert_eq!(
        head,
        "<132>Jan  1 12:34:56 bridge-1 LEEF:2.0|Confluent|Audit Log|1|kafka.CreateTopics|^|devTime=2026-01-01T12:34:56.789+0000^devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ^cat=io.confluent.kafka.server/authorization^sev=5^usrName=User:sa-1^src=192.0.2.7^eventId=e-1^action=kafka.CreateTopics^outcome=denied^crn=crn://confluent.cloud/organization=o-1/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1/topic=t1^organization=o-1^environment=env-1^cluster=lkc-1^resourceType=topic^resourceName=t1^msg="
    );
    assert_eq!(json, ev.json);
}

#[test]
fn leef_delimiter_in_values() {
    // S9: `^` cannot appear in a value. In the JSON it becomes the JSON
    // escape \u005e (same string); elsewhere the same six characters.
    let ev = event(
        &DENIED
            .replace("User:sa-1", "User:a^b")
            .replace("t1\"}", "t^1\"}"),
    );
    let msg = text(&encoder("format = \"leef\""), &ev);
    assert!(msg.contains(r"^usrName=User:a\u005eb^"), "{msg:.500}");
    let (_, json) = split_at_json(&msg, "^msg=");
    assert!(!json.contains('^'));
    let sent: Value = serde_json::from_str(json).unwrap();
    let orig: Value = serde_json::from_str(&ev.json).unwrap();
    assert_eq!(sent, orig);
    assert_eq!(sent["data"]["authenticationInfo"]["principal"], "User:a^b");
    assert_eq!(msg.matches('^').count(), 16, "delimiters only: {msg:.600}");
}

#[test]
fn every_format_fits_the_300kb_fixture_line() {
    let ev = event(&fixture_line(83));
    for (format, protocol, max) in [
        ("rfc5424", "tcp", 8192),
        ("rfc3164", "tcp", 8192),
        ("cef", "tls", 8192),
        ("leef", "tcp", 8192),
        ("rfc5424", "udp", 4096),
        ("cef", "udp", 3072),
    ] {
        let enc = encoder(&format!(
            "format = \"{format}\"\nprotocol = \"{protocol}\"\nmax_message_bytes = {max}"
        ));
        let out = enc
            .encode(&ev)
            .unwrap_or_else(|e| panic!("{format}/{protocol}: {e}"));
        assert!(
            out.message.len() <= max && out.message.len() > max - 64,
            "{format}/{protocol}: {}",
            out.message.len()
        );
        let spec = "data.request.data.config.transforms.mask.spec";
        if max >= 4096 {
            assert_eq!(out.cut, [spec], "{format}/{protocol}");
        } else {
            // Tighter: the next longest fields (the CRNs) are cut as well.
            assert!(
                out.cut.len() > 1 && out.cut.iter().any(|c| c == spec),
                "{:?}",
                out.cut
            );
        }
        let msg = String::from_utf8(out.message).unwrap();
        let json = match format {
            "cef" => cef_unescape(split_at_json(&msg, " msg=").1),
            "leef" => split_at_json(&msg, "^msg=").1.to_owned(),
            "rfc3164" => split_at_json(&msg, "siem-bridge: ").1.to_owned(),
            _ => split_at_json(&msg, "] ").1.to_owned(),
        };
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["enrichment"]["truncated"], serde_json::json!(out.cut));
        assert_eq!(v["id"], ev.enrichment.event_id());
    }
}

#[tokio::test]
async fn an_event_that_cannot_fit_is_rejected_without_network() {
    let numbers = vec!["1"; 400].join(",");
    let big = event(&DENIED.replace(
        r#""operation":"Create""#,
        &format!(r#""operation":"Create","n":[{numbers}]"#),
    ));
    let small = event(DENIED);
    // Port 9 on a documentation address: nothing listens, and nothing is tried.
    let c: SyslogConfig =
        toml::from_str("address = \"192.0.2.1:9\"\nmax_message_bytes = 480").unwrap();
    let sink = SyslogSink::new(&c, "s".into()).unwrap();
    let report = sink.send(&[Arc::new(big)]).await;
    assert!(
        matches!(&report.outcomes[0], Outcome::Rejected { status: Some(s), .. } if s == "message_too_large")
    );
    assert_eq!(sink.stats().too_large_events, 1);
    assert_eq!(sink.stats().connects, 0);
    assert!(
        sink.encoder().encode(&small).is_err(),
        "480 bytes cannot hold even the SD of this one"
    );
}

/// The example in `docs/syslog.md` (the block starting `# --- Syslog`)
/// uses only real keys.
#[test]
fn documented_example_parses() {
    #[derive(serde::Deserialize)]
    struct File {
        sinks: Vec<crate::sink::SinkConfig>,
    }
    let doc = include_str!("../../../docs/syslog.md");
    let start = doc.find("```toml\n# --- Syslog").expect("snippet") + "```toml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let file: File = toml::from_str(&doc[start..end]).unwrap();
    let crate::sink::SinkConfig::Syslog(c) = &file.sinks[0] else {
        panic!("not a syslog sink");
    };
    assert_eq!(c.protocol, config::Protocol::Tls);
    // Only the CA file (absent on this machine) is flagged.
    let keys: Vec<String> = c.check().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["tls.ca_file"]);
}
