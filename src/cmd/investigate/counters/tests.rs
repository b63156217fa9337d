use super::*;

#[test]
fn top_k_is_exact_under_its_cap_and_bounded_over_it() {
    let mut t = TopK::new(4);
    for (v, n) in [("a", 5), ("b", 3), ("c", 1)] {
        t.add_n(v, n);
    }
    t.add("a");
    assert_eq!(t.error(), 0);
    let top = t.top(2);
    assert_eq!((top[0].value.as_str(), top[0].count), ("a", 6));
    assert_eq!((top[1].value.as_str(), top[1].count), ("b", 3));
    // A heavy value survives a flood of distinct ones; its count
    // is never inflated.
    t.add_n("a", 94);
    for i in 0..100 {
        t.add(&format!("x{i}"));
    }
    assert!(t.len() <= 4);
    assert_eq!((t.top(1)[0].value.as_str(), t.top(1)[0].count), ("a", 100));
    assert!(t.error() > 0);
}

#[test]
fn distinct_counts_exactly_then_marks_a_lower_bound() {
    let mut d = Distinct::new(3);
    for v in ["a", "b", "a", "c"] {
        d.add(v);
    }
    assert_eq!((d.count(), d.exact()), (3, true));
    d.add("c");
    assert!(d.exact());
    d.add("z");
    assert_eq!((d.count(), d.exact()), (3, false));
}

#[test]
fn timeline_fills_gaps_and_widens_to_fit() {
    let min = 60_000_000_000;
    let one = Tally {
        events: 1,
        ..Tally::default()
    };
    let mut t = TimeBuckets::new(4);
    t.add(0, one);
    t.add(3 * min + 5, one);
    let all = t.all();
    assert_eq!(all.len(), 4);
    assert_eq!(all[1].1.events, 0);
    t.add(7 * min, one);
    assert_eq!(t.width(), 120);
    assert_eq!(t.all().iter().map(|b| b.1.events).sum::<u64>(), 3);
    assert!(t.all().len() <= 4);
}
