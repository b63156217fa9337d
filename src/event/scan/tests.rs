//! The scanner against serde_json: whenever the scanner answers, serde_json
//! must accept the record and build the same view.

use super::envelope;
use crate::event::view::Envelope;

fn fixture_lines() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/audit-events/sample.jsonl"
    );
    std::fs::read_to_string(path)
        .expect("shared fixtures")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Checks the one-sided contract on `text`; returns whether the fast path
/// answered.
fn agrees(text: &str) -> bool {
    let Some(fast) = envelope(text) else {
        return false;
    };
    match serde_json::from_str::<Envelope>(text) {
        Ok(slow) => assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{text}"),
        Err(e) => panic!("scanner accepted what serde_json rejects ({e}): {text}"),
    }
    true
}

#[test]
fn fixtures_give_the_same_view() {
    let lines = fixture_lines();
    let fast = lines.iter().filter(|l| agrees(l)).count();
    // Nearly every fixture is plain; the rest (escapes in kept strings,
    // duplicate keys, invalid JSON) go to serde_json.
    assert!(fast * 10 >= lines.len() * 7, "{fast} of {}", lines.len());
}

#[test]
fn plain_authorization_event_takes_the_fast_path() {
    let e = r#"{"specversion":"1.0","id":"a","source":"crn://confluent.cloud/","type":"io.confluent.kafka.server/authorization","time":"2025-01-15T10:31:00Z","data":{"methodName":"kafka.Produce","authenticationInfo":{"principal":"User:sa-1"},"authorizationInfo":{"granted":false,"rbacAuthorization":{"actingPrincipal":{"x":[1,2.5,-3e9]}}},"cloudResources":[{"scope":{"resources":[{"type":"ORGANIZATION","resourceId":"o1"},7]},"resource":null}],"requestMetadata":{"clientAddress":[{"ip":"1.2.3.4"}]},"result":{"status":"SUCCESS"},"big":12345678901234567890123,"s":"a\"b\u00e9\n"}}"#;
    assert!(agrees(e));
}

#[test]
fn odd_records_fall_back() {
    for text in [
        // Escapes in a key or a kept string: serde_json decodes them.
        r#"{"i\u0064":"1"}"#,
        r#"{"id":"\u0031"}"#,
        // Duplicate known keys are a shape error in serde.
        r#"{"id":"1","id":"2"}"#,
        r#"{"data":{"methodName":"a","method_name":"b"}}"#,
        // Numbers serde_json range-checks where it reads them.
        r#"{"id":1e400}"#,
        // Syntax errors.
        r#"{"id":"1",}"#,
        r#"{"id":01}"#,
        r#"{"id":"1"} x"#,
        "{\"id\":\"a\u{1}b\"}",
        r#"{"x":"\q"}"#,
        r#"{"x":"\u12"}"#,
        r#"{"x":[1,]}"#,
        r#"{"x":-}"#,
        r#"{"x":1.}"#,
        r#"{"x":tru}"#,
        r#"{"x""#,
    ] {
        assert!(envelope(text).is_none(), "{text}");
    }
}

#[test]
fn depth_is_bounded_like_the_pre_check() {
    let nest = |n: usize| {
        format!(
            r#"{{"id":"1","data":{}{}}}"#,
            "{\"a\":".repeat(n - 2) + "[]",
            "}".repeat(n - 2)
        )
    };
    // The top object, n - 2 objects from `data` down, then an array: n levels.
    assert!(agrees(&nest(127)));
    assert!(agrees(&nest(128)));
    assert!(envelope(&nest(129)).is_none());
    assert!(envelope(&"[".repeat(100_000)).is_none());
}

/// Every record one edit away from a fixture: the scanner either answers
/// like serde_json or leaves the record to it.
#[test]
fn mutated_fixtures_agree() {
    const INSERTS: &[&str] = &[
        "\"",
        "\\",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "0",
        "1",
        "e",
        "-",
        ".",
        " ",
        "n",
        "\u{1}",
        "\\u0041",
        "\"id\":\"x\",",
        "null",
        "\"\":1,",
    ];
    let mut fast = 0;
    for line in fixture_lines().iter().filter(|l| l.len() < 20_000) {
        let step = (line.len() / 300).max(1);
        for at in (0..line.len()).step_by(step) {
            if !line.is_char_boundary(at) {
                continue;
            }
            let next = line[at..].chars().next().map_or(at, |c| at + c.len_utf8());
            let deleted = format!("{}{}", &line[..at], &line[next..]);
            fast += usize::from(agrees(&deleted));
            for ins in INSERTS {
                let inserted = format!("{}{ins}{}", &line[..at], &line[at..]);
                fast += usize::from(agrees(&inserted));
            }
        }
    }
    // Many edits stay valid (inside strings, whitespace): the fast path
    // was exercised, not only the fallback.
    assert!(fast > 10_000, "{fast}");
}
