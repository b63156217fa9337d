//! The event scanner (`src/event/scan`) against serde_json.
//!
//! The scanner's contract is one-sided: when it answers, serde_json accepts
//! the record and builds the same view; when it refuses, `validate::parse`
//! falls back to serde_json, which decides. Checked three ways on every
//! input: scanner view == serde's `Envelope` view; the attributes read off
//! a `serde_json::Value` (an independent reading) agree; and whatever
//! `validate::parse` answers, serde_json agrees the text is JSON with that
//! view.

use proptest::prelude::*;
use serde_json::Value;
use siem_bridge::event::scan;
use siem_bridge::event::validate::{self, MAX_DEPTH};
use siem_bridge::event::view::{Envelope, Field};
use siem_bridge::event::Disposition;
use siem_bridge::process::Processor;

use crate::gen::{self, config, json_string, mutated_fixture, nasty_string};
use crate::json;

/// Errors of serde_json's `Value` reader on text the JSON grammar (RFC 8259)
/// allows: lone surrogate escapes, numbers beyond f64, and 128 levels.
fn serde_strict(e: &serde_json::Error) -> bool {
    let m = e.to_string();
    [
        "surrogate",
        "unexpected end of hex escape",
        "number out of range",
        "recursion limit",
    ]
    .iter()
    .any(|s| m.contains(s))
}

/// `f` agrees with what `v` (the same key read by serde_json::Value) holds.
fn agrees_with_value(name: &str, f: &Field, v: Option<&Value>) {
    let ok = match (f, v) {
        (Field::Absent, None) => true,
        (Field::Null, Some(Value::Null)) => true,
        (Field::Bool(b), Some(Value::Bool(c))) => b == c,
        (Field::Str(s), Some(Value::String(t))) => s == t,
        (Field::Number, Some(Value::Number(_))) => true,
        (Field::Array, Some(Value::Array(_))) => true,
        (Field::Object, Some(Value::Object(_))) => true,
        _ => false,
    };
    assert!(
        ok,
        "`{name}`: scanner read {f:?}, serde_json::Value has {v:?}"
    );
}

/// Every property on one input.
pub fn check(raw: &[u8]) {
    // The ASCII fast check answers like std's UTF-8 validation.
    let text = scan::text(raw);
    let std = std::str::from_utf8(raw);
    assert_eq!(
        text.map_err(|e| e.valid_up_to()),
        std.map_err(|e| e.valid_up_to())
    );
    let Ok(text) = text else {
        let r = validate::parse(raw, usize::MAX).map(|_| ()).unwrap_err();
        assert_eq!(r.code(), "not_utf8");
        return;
    };

    let mut fast = scan::empty();
    if scan::read(text, &mut fast) {
        let slow: Envelope = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("scanner accepted what serde_json refuses ({e}): {text}"));
        // The detector's ranges are the scanner's alone: when they answer,
        // they answer like the typed parse they stand in for.
        if let Some(x) = siem_bridge::detect::extras::Extras::from_spans(raw, &fast.extras) {
            let typed = siem_bridge::detect::extras::Extras::read(raw);
            assert_eq!(format!("{x:?}"), format!("{typed:?}"), "{text}");
        }
        fast.extras = Default::default();
        assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{text}");
        // An independent reading: serde_json's Value (which keeps the last
        // of duplicate keys, but the scanner refuses duplicates of the
        // keys it reads).
        let v: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            // Valid by the JSON grammar, refused by serde_json's Value only:
            // see docs/fuzzing.md, finding 2.
            Err(e) if serde_strict(&e) => {
                assert!(json::valid(text), "scanner accepted invalid JSON: {text}");
                return;
            }
            Err(e) => panic!("scanner accepted what serde_json::Value refuses ({e}): {text}"),
        };
        agrees_with_value("id", &fast.id, v.get("id"));
        agrees_with_value("source", &fast.source, v.get("source"));
        agrees_with_value("specversion", &fast.specversion, v.get("specversion"));
        agrees_with_value("type", &fast.event_type, v.get("type"));
        agrees_with_value("subject", &fast.subject, v.get("subject"));
        agrees_with_value("time", &fast.time, v.get("time"));
        if let Some(d) = fast.data.get() {
            let vd = &v["data"];
            agrees_with_value("data.methodName", &d.method_name, vd.get("methodName"));
            agrees_with_value(
                "data.resourceName",
                &d.resource_name,
                vd.get("resourceName"),
            );
            if let Some(a) = d.authentication_info.get() {
                let va = vd
                    .get("authenticationInfo")
                    .or(vd.get("authentication_info"));
                if let (Some(p), Some(va)) = (a.principal, va) {
                    let pv: Value = serde_json::from_str(p.get()).expect("raw principal");
                    let want = va.get("principal");
                    assert_eq!(Some(&pv), want, "principal: {text}");
                }
            }
            if let Some(z) = d.authorization_info.get() {
                if let Some(vz) = vd.get("authorizationInfo") {
                    agrees_with_value("granted", &z.granted, vz.get("granted"));
                }
            }
        }
    }

    // Whatever path decides, a record that passes is JSON that serde
    // reads to the same view; a refused one has a reason.
    match validate::parse(raw, usize::MAX) {
        Ok((t, view)) => {
            assert_eq!(t, text);
            let slow: Envelope = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("parse passed what serde_json refuses ({e}): {text}"));
            assert_eq!(format!("{view:?}"), format!("{slow:?}"), "{text}");
        }
        Err(r) => {
            assert!(!r.to_string().is_empty());
            // Refused as not JSON only when serde_json refuses it too.
            // (Not IgnoredAny: it skips strings without checking their
            // escapes and numbers without checking their range.)
            if r.code() == "not_json" {
                assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
            }
            if r.code() == "too_deep" {
                assert!(raw.iter().filter(|b| matches!(b, b'{' | b'[')).count() > MAX_DEPTH);
            }
        }
    }

    // The whole core: forwarded output is one line of JSON with our id.
    if let Disposition::Forward(e) = Processor::default().process(raw, None, 0) {
        assert!(
            json::valid(&e.json),
            "forwarded output is not JSON: {}",
            e.json
        );
        assert!(!e.json.contains('\n'));
        match serde_json::from_str::<Value>(&e.json) {
            Ok(out) => assert_eq!(out["enrichment"]["event_id"].as_str(), Some(e.id())),
            Err(err) => assert!(serde_strict(&err), "{err}: {}", e.json),
        }
    }
}

/// A plausible authorization event whose kept strings are `values`, each
/// written with `\u` escapes where `esc` says, with `ws` around tokens.
fn envelope(values: &[String], esc: &[bool], ws: &str) -> String {
    let s = |i: usize| json_string(&values[i % values.len()], esc);
    format!(
        r#"{{{ws}"specversion":{ws}"1.0",{ws}"id":{},"source":{},"type":{ws}{},"time":{},"subject":{},"data":{ws}{{"methodName":{},"resourceName":{},"authenticationInfo":{{"principal":{}{ws}}},"authorizationInfo":{{"granted":false,"operation":{},"rbacAuthorization":{{"actingPrincipal":{}}}}},"requestMetadata":{{"clientAddress":[{{"ip":{}}}]}},"result":{{"status":{}}},"extra":[{},1e5,-0.5,null]}}{ws}}}{ws}"#,
        s(0),
        s(1),
        s(2),
        s(3),
        s(4),
        s(5),
        s(6),
        s(7),
        s(8),
        s(9),
        s(10),
        s(11),
        s(12),
    )
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn mutated_fixtures_agree_with_serde(raw in mutated_fixture(4)) {
        check(&raw);
    }

    #[test]
    fn escaped_strings_agree_with_serde(
        values in prop::collection::vec(nasty_string(), 1..13),
        esc in prop::collection::vec(any::<bool>(), 1..8),
        ws in prop_oneof![Just(""), Just(" "), Just("\n\t "), Just("\r\n")],
        edits in prop::collection::vec(gen::edit(), 0..3),
    ) {
        let text = envelope(&values, &esc, ws);
        check(text.as_bytes());
        check(&gen::apply(&text, &edits));
    }

    #[test]
    fn pretty_printed_fixtures_agree_with_serde(raw in gen::pretty_fixture(2)) {
        check(&raw);
    }

    #[test]
    fn random_bytes_agree_with_serde(raw in prop::collection::vec(any::<u8>(), 0..256)) {
        check(&raw);
    }

    #[test]
    fn json_shaped_bytes_agree_with_serde(
        raw in prop::collection::vec(prop::sample::select(b"{}[]\":,0123456789.eE+-\\u tfnrlasx ".to_vec()), 0..96)
    ) {
        let mut v = b"{\"id\":".to_vec();
        v.extend(raw);
        check(&v);
    }
}

/// Nesting right at and past the depth limit, in every container kind.
#[test]
fn nesting_around_the_depth_limit() {
    for n in [
        MAX_DEPTH - 2,
        MAX_DEPTH - 1,
        MAX_DEPTH,
        MAX_DEPTH + 1,
        10_000,
    ] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let text = format!(
                r#"{{"id":"1","source":"s","type":"io.confluent.x","data":{{"x":{}0{}}}}}"#,
                open.repeat(n),
                close.repeat(n)
            );
            check(text.as_bytes());
        }
    }
}

/// Found by the long run: an object principal with a line break between
/// its tokens (a pretty-printed record) was copied into
/// `enrichment.principal.raw` as it was, so the forwarded event spanned
/// two lines (NDJSON framing of the file sink and of `_bulk` broken).
#[test]
fn a_pretty_printed_principal_object_is_forwarded_on_one_line() {
    let raw = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"io.confluent.kafka.server/authentication\",\"data\":{\"authenticationInfo\":{\"principal\":{\"email\"\r\n:\"bob@example.org\",\n\"confluentUser\":{\"resourceId\":\"u-1\"}}}}}";
    let Disposition::Forward(e) = Processor::default().process(raw.as_bytes(), None, 0) else {
        panic!("not forwarded");
    };
    assert!(
        !e.json.contains('\n') && !e.json.contains('\r'),
        "{}",
        e.json
    );
    let v: Value = serde_json::from_str(&e.json).unwrap();
    assert_eq!(v["enrichment"]["principal"]["normalized"], "User:u-1");
    assert_eq!(
        v["enrichment"]["principal"]["raw"],
        serde_json::json!({"email": "bob@example.org", "confluentUser": {"resourceId": "u-1"}})
    );
    check(raw.as_bytes());
}
