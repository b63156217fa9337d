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
        *k.entry(format!("g{i:03}"), 5, 0, || i) += 0;
    }
    // Every group's key holds as many bytes: a tenth of them.
    let gone = k.shed((k.bytes() - k.table_bytes()) / 10, 0);
    assert_eq!(gone, 100);
    let mut left: Vec<u64> = k.values().copied().collect();
    left.sort_unstable();
    assert_eq!(
        left,
        (100..1_000).collect::<Vec<_>>(),
        "the first made went"
    );
}

/// A flood's churn (groups made and dropped, again and again) leaves
/// the table at the size its groups need: tombstones do not double it.
/// The estimate counts every slot of it; emptied, it lets it go.
#[test]
fn churn_does_not_grow_the_table_and_its_slots_are_counted() {
    let mut k: Keyed<u64, u64> = Keyed::new(usize::MAX);
    let mut next = 0u64;
    for _ in 0..16_000 {
        *k.entry(next, next as i64, 0, || 0) += 0;
        next += 1;
    }
    assert_eq!(k.full, 28_672, "32,768 slots");
    for _ in 0..300 {
        for _ in 0..2_000 {
            *k.entry(next, next as i64, 0, || 0) += 0;
            next += 1;
        }
        k.expire(next as i64 - 16_000);
        assert_eq!(k.full, 28_672, "{} groups", k.size().keys);
    }
    let slot = std::mem::size_of::<(u64, (super::Stamp, u64))>() + 1;
    assert_eq!(k.bytes(), 32_768 * slot + 16);
    // Shed to a tenth: the table is made smaller.
    k.shed(k.bytes() * 9 / 10, 0);
    assert!(k.full < 28_672 / 8, "{}", k.full);
    assert!(k.size().keys > 0);
    k.expire(i64::MAX);
    assert_eq!((k.size().keys, k.bytes()), (0, 0));
}
