//! Against osmem-server, an OpenSearch emulator with the real `_bulk`
//! behaviour: the happy path with the shipped template, 409 dedup on
//! replay, mapping errors, and the OpenSearch profile (E1, E4, E6, E16 of
//! `docs/sinks.md` §6.3).

use std::collections::{HashMap, HashSet};
use std::process::Command;

use siem_bridge::sink::elasticsearch::template::{index_template, TemplateOptions};
use siem_bridge::sink::elasticsearch::Flavor;
use siem_bridge::sink::{Outcome, Sink};

use super::{classes, fixture_events, sink};
use crate::support::osmem::Osmem;

fn unique_ids(evs: &[std::sync::Arc<siem_bridge::event::Event>]) -> HashSet<String> {
    evs.iter().map(|e| e.id().to_owned()).collect()
}

#[tokio::test]
async fn e1_fixture_indexed_once_per_id_with_the_template_then_replay_is_all_409() {
    let os = Osmem::start();
    let ack = os
        .put(
            "/_index_template/confluent-audit",
            &index_template(&TemplateOptions::default()),
        )
        .await;
    assert_eq!(ack["acknowledged"], true, "{ack}");
    let evs = fixture_events();
    let s = sink(&os.url, |c| c.flavor = Flavor::Opensearch);
    let report = s.send(&evs).await;
    assert!(
        report.outcomes.iter().all(|o| *o == Outcome::Accepted),
        "{report:?}"
    );
    // Line 82 repeats line 1: the server refused it with a 409 already.
    assert_eq!(s.stats().duplicates, 1);

    let docs = os.documents("confluent-audit-*").await;
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for (index, id, source) in &docs {
        *per_id.entry(id.clone()).or_default() += 1;
        let e = evs.iter().find(|e| e.id() == id).unwrap();
        let day = &e.enrichment.time.to_string()[..10].replace('-', ".");
        assert_eq!(
            index,
            &format!("confluent-audit-{day}"),
            "index from the event time"
        );
        assert_eq!(source["enrichment"]["event_id"], id.as_str());
        assert!(source["data"].is_object(), "original payload kept");
    }
    assert_eq!(
        per_id.keys().cloned().collect::<HashSet<_>>(),
        unique_ids(&evs)
    );
    assert!(per_id.values().all(|&n| n == 1), "{per_id:?}");
    let index = &docs[0].0;
    let mapping = os.get(&format!("/{index}/_mapping")).await;
    let e = &mapping[index]["mappings"]["properties"]["enrichment"]["properties"];
    assert_eq!(e["source_ip"]["type"], "ip", "{mapping}");
    assert_eq!(e["time"]["type"], "date");

    // Replay the whole topic (a new consumer group): nothing new stored.
    let again = s.send(&evs).await;
    assert!(again.outcomes.iter().all(|o| *o == Outcome::Accepted));
    assert_eq!(s.stats().duplicates, 1 + evs.len() as u64);
    assert_eq!(os.documents("confluent-audit-*").await.len(), docs.len());
}

#[tokio::test]
async fn e6_mapping_errors_without_the_template_are_dead_lettered_with_type_and_reason() {
    let os = Osmem::start();
    let evs = fixture_events();
    let s = sink(&os.url, |c| c.flavor = Flavor::Opensearch);
    let report = s.send(&evs).await;
    let rejected: Vec<(usize, &String)> = report
        .outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| match o {
            Outcome::Rejected { reason, status } => {
                assert_eq!(status.as_deref(), Some("400"));
                Some((i, reason))
            }
            Outcome::Accepted => None,
            other => panic!("event {i}: {other:?}"),
        })
        .collect();
    // Dynamic mapping meets `principal` as a string first, then as an
    // object: the object-shaped events cannot be indexed as they are.
    assert!(!rejected.is_empty());
    for (_, reason) in &rejected {
        assert!(reason.starts_with("mapper_parsing_exception: "), "{reason}");
    }
    let stored: HashSet<String> = os
        .documents("confluent-audit-*")
        .await
        .into_iter()
        .map(|d| d.1)
        .collect();
    for (i, o) in report.outcomes.iter().enumerate() {
        assert_eq!(
            stored.contains(evs[i].id()),
            *o == Outcome::Accepted,
            "event {i}"
        );
    }
}

#[tokio::test]
async fn ecs_layout_with_the_ecs_template() {
    let os = Osmem::start();
    let opts = TemplateOptions {
        ecs: true,
        ..TemplateOptions::default()
    };
    assert_eq!(
        os.put("/_index_template/confluent-audit", &index_template(&opts))
            .await["acknowledged"],
        true
    );
    let evs = fixture_events();
    let s = sink(&os.url, |c| {
        c.flavor = Flavor::Opensearch;
        c.ecs = true;
    });
    assert!(s
        .send(&evs)
        .await
        .outcomes
        .iter()
        .all(|o| *o == Outcome::Accepted));
    let docs = os.documents("confluent-audit-*").await;
    assert_eq!(docs.len(), unique_ids(&evs).len());
    let with_ip = docs
        .iter()
        .find(|d| d.2["source"]["ip"].is_string())
        .expect("some events carry an IP");
    assert_eq!(
        with_ip.2["confluent"]["enrichment"]["source_ip"],
        with_ip.2["source"]["ip"]
    );
    assert!(docs
        .iter()
        .all(|d| d.2["event"]["action"].is_string() && d.2["confluent"]["data"].is_object()));
    let m = os.get(&format!("/{}/_mapping", docs[0].0)).await;
    assert_eq!(
        m[&docs[0].0]["mappings"]["properties"]["source"]["properties"]["ip"]["type"],
        "ip"
    );
}

#[tokio::test]
async fn e16_opensearch_profile_sends_no_elasticsearch_only_parameters() {
    let os = Osmem::start();
    let evs = &fixture_events()[..5];
    let es_flavor = sink(&os.url, |c| c.include_source_on_error = Some(false));
    let report = es_flavor.send(evs).await;
    assert_eq!(
        classes(&report.outcomes),
        ["misconfigured"; 5],
        "OpenSearch refuses the parameter"
    );
    assert!(es_flavor
        .healthcheck()
        .await
        .unwrap_err()
        .to_string()
        .contains("OpenSearch"));
    let os_flavor = sink(&os.url, |c| {
        c.flavor = Flavor::Opensearch;
        c.compression = siem_bridge::sink::elasticsearch::Compression::Gzip;
    });
    assert_eq!(
        classes(&os_flavor.send(evs).await.outcomes),
        ["accepted"; 5]
    );
    assert_eq!(os_flavor.healthcheck().await, Ok(()));
}

#[tokio::test]
async fn es_template_command_output_installs() {
    let out = Command::new(env!("CARGO_BIN_EXE_siem-bridge"))
        .args(["es-template", "--index-pattern", "audit-*"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let os = Osmem::start();
    assert_eq!(
        os.put("/_index_template/confluent-audit", &text).await["acknowledged"],
        true
    );
    let got = os.get("/_index_template/confluent-audit").await;
    assert_eq!(
        got["index_templates"][0]["index_template"]["index_patterns"][0],
        "audit-*"
    );
}

#[tokio::test]
async fn missing_ingest_pipeline_pauses_the_sink_instead_of_dead_lettering() {
    let os = Osmem::start();
    let s = sink(&os.url, |c| {
        c.flavor = Flavor::Opensearch;
        c.pipeline = Some("no-such-pipeline".into());
    });
    let report = s.send(&fixture_events()[..4]).await;
    assert_eq!(
        classes(&report.outcomes),
        ["misconfigured"; 4],
        "{report:?}"
    );
    assert!(
        matches!(&report.outcomes[0], Outcome::Misconfigured(m) if m.contains("check `pipeline`"))
    );
}
