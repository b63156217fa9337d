use super::Keyed;

#[test]
fn a_full_map_of_one_time_loses_a_tenth_not_everything() {
    let mut k: Keyed<u64, u64> = Keyed::new(100);
    for i in 0..100 {
        *k.entry(i, 7, 0, || i) += 0;
    }
    // Full, every group touched at the same time, none past the horizon.
    *k.entry(1_000, 7, 0, || 0) += 0;
    assert_eq!(k.size().keys, 90, "11 went, the new one came");
    assert_eq!(k.evictions, 11);
    // Older groups still go first.
    let mut k: Keyed<u64, u64> = Keyed::new(20);
    for i in 0..20 {
        *k.entry(i, if i < 5 { 1 } else { 9 }, 0, || i) += 0;
    }
    *k.entry(99, 9, 0, || 0) += 0;
    assert_eq!(k.evictions, 3);
    // The oldest, the first made first (not the map's order).
    assert!((0..3).all(|i| k.touch(&i, 9).is_none()));
    let old_left = (0..5).filter(|i| k.touch(i, 9).is_some()).count();
    let new_left = (5..20).filter(|i| k.touch(i, 9).is_some()).count();
    assert_eq!((old_left, new_left), (2, 15), "three of the oldest went");
}

/// Groups alike go in the order they were made, whatever the hash
/// keys' order: the same input sheds the same groups.
#[test]
fn groups_alike_are_shed_in_the_order_they_were_made() {
    let mut k: Keyed<String, u64> = Keyed::new(10_000);
    for i in 0..1_000u64 {
        *k.entry(format!("g{i}"), 5, 0, || i) += 0;
    }
    let per = k.bytes() / 1_000;
    let gone = k.shed(per * 100, 0);
    assert!((100..=102).contains(&gone), "{gone}");
    let left: Vec<u64> = {
        let mut v: Vec<u64> = k.values().copied().collect();
        v.sort_unstable();
        v
    };
    assert_eq!(
        left,
        (gone..1_000).collect::<Vec<_>>(),
        "the first made went"
    );
}

/// A flood's churn (groups made, a tenth shed, again and again)
/// leaves the table at the size its groups need: tombstones do not
/// double it. Its bytes count every slot.
#[test]
fn churn_does_not_grow_the_table_and_its_slots_are_counted() {
    let mut k: Keyed<u64, u64> = Keyed::new(usize::MAX);
    let mut next = 0u64;
    for _ in 0..15_000 {
        *k.entry(next, next as i64, 0, || 0) += 0;
        next += 1;
    }
    let full = k.full;
    assert_eq!(full, 28_672, "32,768 slots");
    for _ in 0..300 {
        for _ in 0..2_000 {
            *k.entry(next, next as i64, 0, || 0) += 0;
            next += 1;
        }
        let bytes = k.bytes() / 8;
        k.shed(bytes, 0);
        assert!(
            k.full <= full,
            "grew to {} for {} groups",
            k.full,
            k.size().keys
        );
    }
    let slot = std::mem::size_of::<(u64, (super::Stamp, u64))>() + 1;
    assert_eq!(k.table_bytes(), 32_768 * slot + 16);
    assert!(
        k.table_bytes() > k.bytes(),
        "the estimate counts a slot per group"
    );
    // Emptied, it lets its table go.
    k.expire(i64::MAX);
    assert_eq!((k.size().keys, k.bytes(), k.table_bytes()), (0, 0, 0));
}
