use proptest::prelude::*;
use serde_json::Value;

use super::*;

fn fixture_line(n: usize) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/audit-events/sample.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("shared fixtures");
    text.lines().nth(n - 1).expect("line exists").to_owned()
}

fn enriched(raw: &str) -> String {
    match crate::process::Processor::default().process(raw.as_bytes(), None, 0) {
        crate::event::Disposition::Forward(e) => e.json,
        other => panic!("not forwarded: {}", other.label()),
    }
}

#[test]
fn fitting_json_is_untouched() {
    let j = r#"{"a":"xyz","enrichment":{"k":1}}"#;
    let f = fit(j, j.len()).unwrap();
    assert!(matches!(f.json, Cow::Borrowed(_)));
    assert!(f.cut.is_empty());
}

#[test]
fn fixture_line_83_is_cut_and_marked() {
    let json = enriched(&fixture_line(83));
    assert!(json.len() > 300_000);
    let f = fit(&json, 8000).unwrap();
    assert!(f.json.len() <= 8000, "{}", f.json.len());
    assert_eq!(f.cut, ["data.request.data.config.transforms.mask.spec"]);
    let v: Value = serde_json::from_str(&f.json).unwrap();
    assert_eq!(
        v["enrichment"]["truncated"],
        serde_json::json!(["data.request.data.config.transforms.mask.spec"])
    );
    let orig: Value = serde_json::from_str(&json).unwrap();
    let spec = v["data"]["request"]["data"]["config"]["transforms.mask.spec"]
        .as_str()
        .unwrap();
    let full = orig["data"]["request"]["data"]["config"]["transforms.mask.spec"]
        .as_str()
        .unwrap();
    assert!(
        full.starts_with(spec) && spec.len() > 1000,
        "{}",
        spec.len()
    );
    // Everything else is unchanged.
    let mut a = v.clone();
    let mut b = orig.clone();
    a["data"]["request"]["data"]["config"]["transforms.mask.spec"] = Value::Null;
    b["data"]["request"]["data"]["config"]["transforms.mask.spec"] = Value::Null;
    a["enrichment"].as_object_mut().unwrap().remove("truncated");
    assert_eq!(a, b);
}

#[test]
fn largest_fields_go_first_and_paths_name_arrays() {
    let j = format!(
        r#"{{"id":"keep-me","list":["{}","short"],"obj":{{"k\"q":"{}"}},"enrichment":{{"event_id":"keep-me"}}}}"#,
        "a".repeat(500),
        "b".repeat(300)
    );
    let f = fit(&j, 300).unwrap();
    assert!(f.json.len() <= 300);
    assert_eq!(f.cut, ["list[0]", "obj.k\"q"]);
    let v: Value = serde_json::from_str(&f.json).unwrap();
    assert_eq!(v["id"], "keep-me");
    assert_eq!(v["list"][1], "short");
    assert_eq!(
        v["enrichment"]["truncated"],
        serde_json::json!(["list[0]", "obj.k\"q"])
    );
    // Both long fields were cut to the same length.
    let l0 = v["list"][0].as_str().unwrap().len();
    let l1 = v["obj"]["k\"q"].as_str().unwrap().len();
    assert!(l0.abs_diff(l1) <= 1, "{l0} {l1}");
}

#[test]
fn never_splits_a_character_or_an_escape() {
    // 2-, 3- and 4-byte characters, escapes and a surrogate pair at every
    // possible cut position.
    let unit = r#"é€😀\"\\\u00e9\ud83d\ude00x"#;
    for budget in 60..200 {
        let j = format!(r#"{{"s":"{}","enrichment":{{}}}}"#, unit.repeat(20));
        let f = fit(&j, budget).unwrap();
        assert!(f.json.len() <= budget);
        let v: Value = serde_json::from_str(&f.json)
            .unwrap_or_else(|e| panic!("budget {budget}: {e}: {}", f.json));
        assert_eq!(v["enrichment"]["truncated"], serde_json::json!(["s"]));
        let full: Value = serde_json::from_str(&j).unwrap();
        assert!(full["s"]
            .as_str()
            .unwrap()
            .starts_with(v["s"].as_str().unwrap()));
    }
}

#[test]
fn without_enrichment_the_marker_goes_top_level() {
    let j = format!(r#"{{"s":"{}"}}"#, "x".repeat(100));
    let f = fit(&j, 60).unwrap();
    let v: Value = serde_json::from_str(&f.json).unwrap();
    assert_eq!(v["_truncated"], serde_json::json!(["s"]));
}

#[test]
fn structure_alone_too_large_is_an_error() {
    let j = format!(
        r#"{{"n":[{}],"enrichment":{{}}}}"#,
        vec!["1"; 200].join(",")
    );
    assert_eq!(fit(&j, 100).unwrap_err(), TooLarge { budget: 100 });
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::from),
        "[a-z\u{e9}\u{20ac}\u{1F600}\"\\\\\n\t ]{0,80}".prop_map(Value::from),
        Just(Value::Null),
    ];
    leaf.prop_recursive(3, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-z.]{1,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn result_fits_and_parses(body in arb_json(), budget in 40usize..2000) {
        let j = serde_json::to_string(&serde_json::json!({"body": body, "enrichment": {"id": "x"}})).unwrap();
        match fit(&j, budget) {
            Ok(f) => {
                prop_assert!(f.json.len() <= budget);
                let v: Value = serde_json::from_str(&f.json).unwrap();
                if f.cut.is_empty() {
                    prop_assert_eq!(f.json.as_ref(), j.as_str());
                } else {
                    prop_assert_eq!(v["enrichment"]["truncated"].as_array().unwrap().len(), f.cut.len());
                }
            }
            Err(TooLarge { .. }) => {
                // Only when the structure plus the list of cut paths does not fit.
                let v: Value = serde_json::from_str(&j).unwrap();
                let stripped = serde_json::to_string(&strip_strings(&v)).unwrap().len();
                prop_assert!(stripped + 20 + 64 * nonempty_strings(&v) > budget);
            }
        }
    }
}

fn strip_strings(v: &Value) -> Value {
    match v {
        Value::String(_) => Value::String(String::new()),
        Value::Array(a) => Value::Array(a.iter().map(strip_strings).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), strip_strings(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn nonempty_strings(v: &Value) -> usize {
    match v {
        Value::String(s) => usize::from(!s.is_empty()),
        Value::Array(a) => a.iter().map(nonempty_strings).sum(),
        Value::Object(o) => o.values().map(nonempty_strings).sum(),
        _ => 0,
    }
}
