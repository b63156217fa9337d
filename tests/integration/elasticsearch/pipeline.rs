//! End to end: MockCluster → pipeline → Elasticsearch sink → osmem-server.
//! The same topic is consumed twice by two consumer groups (a replay):
//! every id is indexed exactly once, and the replay is all 409s.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use siem_bridge::event::Disposition;
use siem_bridge::mock::MockKafka;
use siem_bridge::process::Processor;
use siem_bridge::sink::elasticsearch::template::{index_template, TemplateOptions};
use siem_bridge::sink::elasticsearch::Flavor;
use siem_bridge::sink::Sink;

use super::sink;
use crate::support::kafka::Sending::Pipelined;
use crate::support::kafka::{committed_total, config, produce, round_robin, TOPIC};
use crate::support::osmem::Osmem;
use crate::support::pipeline::Running;
use crate::support::sample_lines;
use crate::support::wait::{secs, wait_until, KAFKA_POLL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_replayed_with_a_new_group_indexes_every_id_exactly_once() {
    let kafka = MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 3).unwrap();
    let bs = kafka.bootstrap_servers();
    let lines = sample_lines();
    produce(&bs, TOPIC, &round_robin(3, &lines), Pipelined).await;
    let expected: HashSet<String> = lines
        .iter()
        .filter_map(|l| match Processor::default().process(l, None, 0) {
            Disposition::Forward(e) => Some(e.id().to_owned()),
            _ => None,
        })
        .collect();
    assert!(expected.len() > 60);

    let os = Osmem::start();
    let ack = os
        .put(
            "/_index_template/confluent-audit",
            &index_template(&TemplateOptions::default()),
        )
        .await;
    assert_eq!(ack["acknowledged"], true);
    let es = Arc::new(sink(&os.url, |c| c.flavor = Flavor::Opensearch));
    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dl.ndjson").to_string_lossy().into_owned();
    for group in ["g-es-first", "g-es-replay"] {
        let run = Running::start(config(&bs, group, &dl), vec![es.clone() as Arc<dyn Sink>]);
        let all = lines.len() as i64;
        let done = async || committed_total(&bs, group, TOPIC, 3) == all;
        assert!(
            wait_until(secs(60), KAFKA_POLL, done).await,
            "{group}: every offset committed"
        );
        let summary = run.stop().await;
        assert_eq!(summary.unresolved, 0, "{group}");
    }

    let docs = os.documents("confluent-audit-*").await;
    let mut per_id: HashMap<&str, usize> = HashMap::new();
    for (_, id, source) in &docs {
        *per_id.entry(id).or_default() += 1;
        assert_eq!(
            source["enrichment"]["kafka"]["topic"], TOPIC,
            "Kafka coordinates kept"
        );
    }
    assert_eq!(
        per_id.keys().map(|k| k.to_string()).collect::<HashSet<_>>(),
        expected
    );
    assert!(per_id.values().all(|&n| n == 1), "{per_id:?}");
    // The replay was refused id by id and counted as delivered.
    assert!(
        es.stats().duplicates >= expected.len() as u64,
        "{:?}",
        es.stats()
    );
}
