//! A flood of first steps stays bounded and still completes.

use crate::detect::tests::authn;
use crate::detect::{DetectConfig, Detector, Emit};
use crate::process::Processor;

#[test]
fn a_flood_of_failed_logins_keeps_at_most_max_a_and_the_success_still_fires() {
    const T0: i64 = 1_741_078_800;
    let mut d = Detector::new(&DetectConfig::default(), Emit::OnClose).unwrap();
    let p = Processor::default();
    let mut out = Vec::new();
    let flood = 5_000;
    // 5,000 failures from one address within 50 s (the rule's window is
    // 60 s), then a success from it.
    let mut lines: Vec<String> = (0..flood)
        .map(|i| {
            authn(
                &format!("f{i}"),
                T0 + i as i64 / 100,
                "203.0.113.9",
                "admin",
                false,
            )
        })
        .collect();
    lines.push(authn("ok", T0 + 51, "203.0.113.9", "admin", true));
    for l in &lines {
        let (_, e) = p.enrich(l.as_bytes(), None, 0).unwrap();
        d.observe(&e, l.as_bytes(), &mut out);
    }
    let evicted = d.stats().evictions;
    d.finish(&mut out);
    let fired: Vec<_> = out
        .iter()
        .filter(|a| a.rule == "failed_logins_then_success")
        .collect();
    assert_eq!(fired.len(), 1, "{fired:#?}");
    let a = fired[0];
    // Completed by the success (the ids listed are the first 100).
    assert_eq!(a.last_time, (T0 + 51) * 1_000_000_000);
    // The failures it counts: the latest ones kept, at most MAX_A and a
    // quarter, and together with those forgotten, every failure.
    let fails = a.event_count as usize - 1;
    assert!(
        (super::MAX_A..=super::MAX_A * 5 / 4).contains(&fails),
        "{fails} failures counted"
    );
    assert!(evicted >= (flood - fails) as u64, "{evicted} evicted");
}
