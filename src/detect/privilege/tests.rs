//! The runs of a burst's denials a change is checked against.

use super::*;
use crate::detect::book::Emit;

/// Runs split at gaps longer than the window; a time belongs to the
/// run it falls in, from its first denial to a window after its last.
#[test]
fn a_time_falls_in_the_run_of_denials_around_it() {
    let at = |t: i64| {
        let e = Arc::new(EventRef::sample(&format!("d{t}"), t, None, None));
        (e, OnceCell::new())
    };
    let denials: Vec<Denial> = [0, 5, 10, 100, 104, 300].map(at).into();
    let run = |t| segment(&denials, t, 50);
    assert_eq!(run(-1), None, "before the first");
    assert_eq!(run(0), Some(0..3));
    assert_eq!(run(60), Some(0..3), "a window after the run's last");
    assert_eq!(run(61), None, "in the gap");
    assert_eq!(run(100), Some(3..5));
    assert_eq!(run(154), Some(3..5));
    assert_eq!(run(155), None);
    assert_eq!(run(300), Some(5..6));
    assert_eq!(run(351), None);
}

#[test]
fn bursts_of_one_instant_are_shed_first_made_first_whatever_the_map_order() {
    // Each rule's map is seeded at random: ties met in its order
    // would shed different bursts from one run to the next.
    for _ in 0..20 {
        let mut rule = PrivilegeRule::new(Severity::Critical, 300);
        let mut book = Book::new(Emit::OnClose);
        for p in 0..50 {
            let d = Arc::new(EventRef::sample(&format!("d{p}"), 1_000, None, None));
            rule.on_burst(&format!("principal=User:p{p}"), &[d], &mut book);
        }
        let one = rule.bytes() / 50;
        assert!(rule.shed(one * 10, 0, &mut book) >= 10);
        let mut left: Vec<u64> = rule.bursts.values().map(|b| b.serial).collect();
        left.sort_unstable();
        let first = 51 - left.len() as u64;
        assert_eq!(left, (first..=50).collect::<Vec<_>>());
    }
}
