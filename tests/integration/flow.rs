//! Backpressure at the in-flight bound (`src/pipeline/flow.rs`) on the mock
//! cluster: a tiny `max_in_flight_bytes` and a slow sink make the loop hold
//! again and again; every id still arrives, the committed offsets only move
//! forward and never pass an id the sink has not accepted, and the bytes in
//! flight (records, and the events of batches being delivered) stay at the
//! bound.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use siem_bridge::sink::Sink;

use crate::support::kafka::Sending::Pipelined;
use crate::support::kafka::*;
use crate::support::pipeline::Running;
use crate::support::sinks::MemorySink;

const N: usize = 1200;
const MAX: usize = 16_000;
const BATCH_BYTES: usize = 4_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holds_at_a_tiny_bound_with_a_slow_sink_and_loses_nothing() {
    let kafka = siem_bridge::mock::MockKafka::start(1).unwrap();
    kafka.create_topic(TOPIC, 2).unwrap();
    let bs = kafka.bootstrap_servers();
    // evt-n is on partition n % 2 at offset n / 2.
    produce(&bs, TOPIC, &round_robin(2, &records(0..N)), Pipelined).await;
    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dl.ndjson").to_string_lossy().into_owned();
    let mut cfg = config(&bs, "g-flow", &dl);
    cfg.pipeline.max_in_flight_bytes = MAX;
    cfg.pipeline.batch_max_bytes = BATCH_BYTES;
    let sink = MemorySink::new("mem");
    *sink.delay.lock().unwrap() = Duration::from_millis(15);
    let run = Running::start(cfg, vec![sink.clone() as Arc<dyn Sink>]);
    let record = records(N - 1..N)[0].len();

    let mut last: BTreeMap<i32, i64> = BTreeMap::new();
    let (mut peak, mut moves) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        assert!(
            Instant::now() < deadline,
            "stalled: {} of {N}",
            sink.ids().len()
        );
        if run.handle.lock().unwrap().is_some() {
            peak = peak.max(run.with(|h| h.tracker.pending_bytes()));
        }
        // Committed first, accepted ids after: anything committed must
        // already be there.
        let committed = committed(&bs, "g-flow", TOPIC, 2);
        let ids = sink.ids();
        for (p, o) in committed {
            let o = o.unwrap_or(0);
            let before = last.insert(p, o).unwrap_or(0);
            assert!(o >= before, "partition {p}: committed {o} after {before}");
            moves += usize::from(o > before);
            for k in 0..o as usize {
                let id = format!("evt-{}", 2 * k + p as usize);
                assert!(
                    ids.contains(&id),
                    "{id} committed (p{p} < {o}) but not delivered"
                );
            }
        }
        if last.values().sum::<i64>() == N as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let summary = run.stop().await;
    assert_eq!(
        sink.ids(),
        (0..N).map(|n| format!("evt-{n}")).collect(),
        "0 missing"
    );
    assert_eq!(summary.unresolved, 0);
    assert!(moves >= 4, "offsets committed step by step ({moves} moves)");
    // One record may cross the bound (the check is before each take), with
    // its rendered event; the batches that close later add nothing (their
    // events count from the moment they join a batch), even a linger flush
    // while intake is held.
    let rendered = *sink.largest.lock().unwrap();
    assert!(
        peak <= MAX + record + rendered,
        "in flight peaked at {peak} B (bound {MAX}, record {record} B, event {rendered} B)"
    );
    assert!(peak > MAX / 2, "the bound was reached ({peak} B)");
}
