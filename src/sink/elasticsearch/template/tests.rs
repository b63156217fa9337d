use super::*;
use crate::event::Disposition;
use crate::process::Processor;

fn props(raw: &str) -> Value {
    let t: Value = serde_json::from_str(raw).unwrap();
    t["template"]["mappings"]["properties"].clone()
}

/// Walks a JSON value and the mapping side by side; returns the paths
/// the mapping does not cover.
fn uncovered(v: &Value, mapping: &Value, path: &str, out: &mut Vec<String>) {
    if mapping.get("enabled") == Some(&Value::Bool(false)) {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{path}.{k}");
                match mapping["properties"].get(k) {
                    Some(sub) => uncovered(x, sub, &p, out),
                    None => out.push(p),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| uncovered(x, mapping, path, out)),
        Value::Null => {}
        _ if mapping.get("type").is_none() => {
            out.push(format!("{path} (object mapping, scalar value)"))
        }
        _ => {}
    }
}

#[test]
fn every_enrichment_field_of_the_fixtures_is_mapped() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/audit-events/sample.jsonl"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let p = Processor {
        filtering: false,
        ..Processor::default()
    };
    let root = json!({ "properties": props(INDEX_TEMPLATE) });
    let mut missing = Vec::new();
    let mut n = 0;
    for line in text.lines() {
        if let Disposition::Forward(e) = p.process(line.as_bytes(), None, 0) {
            let v: Value = serde_json::to_value(&e.enrichment).unwrap();
            uncovered(
                &v,
                &root["properties"]["enrichment"],
                "enrichment",
                &mut missing,
            );
            n += 1;
        }
    }
    assert!(n > 60, "{n} events");
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "not in the template: {missing:?}");
    let e = &root["properties"]["enrichment"]["properties"];
    assert_eq!(e["time"]["type"], "date");
    assert_eq!(e["source_ip"]["type"], "ip");
    assert_eq!(e["event_id"]["type"], "keyword");
}

#[test]
fn ecs_template_holds_the_same_mapping_under_confluent() {
    let base = props(INDEX_TEMPLATE);
    let ecs = props(INDEX_TEMPLATE_ECS);
    let mut plain = base.as_object().unwrap().clone();
    plain.remove("@timestamp");
    assert_eq!(ecs["confluent"]["properties"], Value::Object(plain));
    assert_eq!(ecs["source"]["properties"]["ip"]["type"], "ip");
    assert_eq!(ecs["@timestamp"]["type"], "date");
}

#[test]
fn options_from_config() {
    let mut c = ElasticsearchConfig::new("http://x");
    let t: Value =
        serde_json::from_str(&index_template(&TemplateOptions::for_config(&c).unwrap())).unwrap();
    assert_eq!(t["index_patterns"], json!(["confluent-audit-*"]));
    assert!(t.get("data_stream").is_none());
    c.data_stream = Some("logs-confluent.audit-default".into());
    c.ecs = true;
    let t: Value =
        serde_json::from_str(&index_template(&TemplateOptions::for_config(&c).unwrap())).unwrap();
    assert_eq!(t["index_patterns"], json!(["logs-confluent.audit-default"]));
    assert_eq!(t["data_stream"], json!({}));
    assert!(t["template"]["mappings"]["properties"]["confluent"].is_object());
}
