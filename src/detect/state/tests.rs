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

/// A map keyed by rule hashes taken as they are ([`super::ByHash`])
/// keeps, evicts, sheds and weighs exactly as the map that hashes them
/// again: the same operations, the same groups and bytes after each.
#[test]
fn a_map_by_hash_is_the_map_that_hashes_again() {
    use std::hash::BuildHasher;
    let s = crate::detect::hash::FastState::default();
    let mut by_hash: super::ByHash<String> = Keyed::new(300);
    let mut rehashed: Keyed<u64, String> = Keyed::new(300);
    let mut x = 7u64;
    for step in 0..20_000i64 {
        // A small generator: keys from a few hundred principals.
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let key = s.hash_one(format!("User:{}", (x >> 33) % 400));
        let (t, horizon) = (step / 10, step / 10 - 500);
        let grow = (x >> 20) as usize % 5;
        by_hash
            .entry(key, t, horizon, String::new)
            .push_str(&"x".repeat(grow));
        rehashed
            .entry(key, t, horizon, String::new)
            .push_str(&"x".repeat(grow));
        if step % 997 == 0 {
            assert_eq!(by_hash.shed(2_000, 0), rehashed.shed(2_000, 0));
        }
        if step % 1_499 == 0 {
            by_hash.expire(horizon);
            rehashed.expire(horizon);
        }
        assert_eq!(by_hash.size().keys, rehashed.size().keys, "{step}");
        assert_eq!(by_hash.evictions, rehashed.evictions, "{step}");
        assert_eq!(by_hash.bytes(), rehashed.bytes(), "{step}");
        assert_eq!(
            by_hash.touch(&key, t).map(|v| v.len()),
            rehashed.touch(&key, t).map(|v| v.len())
        );
    }
    let mut a: Vec<String> = by_hash.values().cloned().collect();
    let mut b: Vec<String> = rehashed.values().cloned().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

/// The id set, made at its full size, never grows, and answers as a
/// plain record of the last `cap` ids does.
#[test]
fn recent_ids_made_at_full_size_dedupe_the_last_cap() {
    let cap = 1_000;
    let mut seen = super::Seen::new(cap);
    let (set_cap, order_cap) = (seen.set.capacity(), seen.order.capacity());
    assert!(set_cap >= cap && order_cap > cap);
    let mut model: std::collections::VecDeque<String> = Default::default();
    let mut x = 3u64;
    for _ in 0..20_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let id = format!("id-{}", (x >> 33) % 3_000);
        let first = !model.contains(&id);
        if first {
            model.push_back(id.clone());
            if model.len() > cap {
                model.pop_front();
            }
        }
        assert_eq!(seen.first(&id), first, "{id}");
    }
    assert_eq!(seen.len(), cap);
    // Removals leave tombstones, which lower what `capacity` says; a
    // growth would raise it.
    assert!(seen.set.capacity() <= set_cap, "not grown");
    assert_eq!(seen.order.capacity(), order_cap, "not grown");
}
