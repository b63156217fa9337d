//! The soak (`scripts/soak.sh`): one `run` for `SOAK_SECS` (default 1800)
//! at `CHAOS_RATE` records/s with intermittent sink faults, RSS sampled
//! every `SOAK_SAMPLE_SECS` into a CSV (`SOAK_CSV`, default
//! `target/chaos/soak-rss.csv`). Reports RSS growth after warm-up (the
//! first fifth) as a figure; asserts only that nothing was lost.

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::json;

use super::faults::{storm, Storm, STORMS};
use super::load::Load;
use super::procs::Bridge;
use super::verify::{assert_nothing_lost, committed_but_missing, drain, report, tally};
use super::world::{World, PARTITIONS};
use super::{param, rate, sleep_ms, ONE_AT_A_TIME};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "30 minutes: scripts/soak.sh"]
async fn soak() {
    let _one = ONE_AT_A_TIME.lock().await;
    let secs = param("SOAK_SECS", 1800);
    let every = param("SOAK_SAMPLE_SECS", 5);
    let csv = std::env::var("SOAK_CSV").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/chaos/soak-rss.csv").to_owned()
    });
    if let Some(d) = std::path::Path::new(&csv).parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    let mut out = std::fs::File::create(&csv).unwrap();
    writeln!(out, "seconds,rss_kb,produced,hec_indexed,fault").unwrap();
    let mut w = World::start(false).await;
    let load = Load::start(w.kafka.bootstrap(), PARTITIONS, rate(), None);
    let mut members = vec![w.spawn(None)];
    let (start, mut samples, mut violations, mut rss) = (Instant::now(), Vec::new(), Vec::new(), 0);
    let mut cycle = 0usize;
    while start.elapsed() < Duration::from_secs(secs) {
        // Every minute-ish: 10 s of one storm (in turn), then quiet.
        let fault: Option<Storm> = (cycle % 6 == 5).then(|| STORMS[(cycle / 6) % STORMS.len()]);
        match fault {
            Some(s) => violations.extend(storm(&w, &load, &members, s, every, &mut rss).await),
            None => sleep_ms(every * 1000).await,
        }
        cycle += 1;
        let kb = members[0].rss_kb().unwrap_or(0);
        let t = start.elapsed().as_secs_f64();
        samples.push((t, kb));
        let label = fault.map_or("none".to_owned(), |s| format!("{s:?}"));
        let line = format!(
            "{t:.1},{kb},{},{},{label}",
            load.count(),
            w.hec.indexed_ids().len()
        );
        writeln!(out, "{line}").unwrap();
        if cycle % 12 == 0 {
            violations.extend(committed_but_missing(&w, &load.snapshot(PARTITIONS)).await);
        }
    }
    let p = load.stop(PARTITIONS).await;
    let drained = drain(&mut w, &p, &mut members).await;
    violations.extend(committed_but_missing(&w, &p).await);
    let alive = members[0].alive();
    let clean = members.iter_mut().all(Bridge::term);
    let t = tally(&w, &p).await;
    // Growth after warm-up: mean of the last fifth against the second fifth.
    let fifth = (samples.len() / 5).max(1);
    let mean = |s: &[(f64, u64)]| s.iter().map(|x| x.1).sum::<u64>() as f64 / s.len().max(1) as f64;
    let warm = mean(&samples[fifth.min(samples.len())..(2 * fifth).min(samples.len())]);
    let last = mean(&samples[samples.len().saturating_sub(fifth)..]);
    let extra = json!({"secs": secs, "rate": rate(), "samples": samples.len(), "csv": csv,
        "rss_kb_after_warmup": warm.round(), "rss_kb_last_fifth": last.round(),
        "growth_pct": ((last - warm) / warm.max(1.0) * 1000.0).round() / 10.0,
        "bridge_alive_at_end": alive, "drained": drained, "clean_exit": clean});
    report("soak", &p, &t, violations.len(), rss, extra);
    assert_nothing_lost("soak", &t, &violations);
}
