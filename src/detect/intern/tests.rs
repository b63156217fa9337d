use super::*;

#[test]
fn one_text_is_held_once_and_counted_once() {
    let ledger = Ledger::default();
    let i = Interner::new(ledger.clone());
    let a = i.get("User:alice");
    let b = i.get(&String::from("User:alice"));
    assert!(Arc::ptr_eq(&a, &b), "the same text, the same allocation");
    assert_eq!(i.len(), 1);
    let c = i.get("crn://confluent.cloud/organization=o/kafka=k/topic=sensitive-pii");
    assert_eq!(i.len(), 2);
    let texts = arc_str_bytes(&a) + arc_str_bytes(&c);
    let table = table_bytes::<Slot>(i.full.get());
    assert!(table > 0);
    assert_eq!(ledger.bytes(), texts + table);
    assert_eq!(i.bytes(), ledger.bytes());
}

#[test]
fn purge_lets_go_of_text_no_copy_holds() {
    let ledger = Ledger::default();
    let i = Interner::new(ledger.clone());
    let kept = i.get("User:alice");
    drop(i.get("User:bob"));
    let before = ledger.bytes();
    i.purge();
    assert_eq!(i.len(), 1, "bob's text went, alice's stays");
    assert_eq!(ledger.bytes(), before - arc_str_bytes("User:bob"));
    // Asked again, the kept text is the same allocation.
    assert!(Arc::ptr_eq(&kept, &i.get("User:alice")));
    drop(kept);
    i.purge();
    assert!(i.is_empty());
    assert_eq!(ledger.bytes(), 0, "an empty set is let go, table and all");
}

#[test]
fn a_set_emptied_by_purges_is_made_smaller_and_counted_so() {
    let ledger = Ledger::default();
    let i = Interner::new(ledger.clone());
    let texts: Vec<Arc<str>> = (0..1000).map(|n| i.get(&format!("User:u{n}"))).collect();
    let big = i.full.get();
    let keep: Vec<Arc<str>> = texts[..10].to_vec();
    drop(texts);
    i.purge();
    assert_eq!(i.len(), 10);
    assert!(i.full.get() < big / 4, "{} of {big}", i.full.get());
    let held: usize = keep.iter().map(|a| arc_str_bytes(a)).sum();
    assert_eq!(ledger.bytes(), held + table_bytes::<Slot>(i.full.get()));
}

#[test]
fn dropped_it_takes_its_bytes_off_the_ledger() {
    let ledger = Ledger::default();
    let i = Interner::new(ledger.clone());
    let a = i.get("User:alice");
    drop(i);
    assert_eq!(ledger.bytes(), 0);
    assert_eq!(&*a, "User:alice", "a copy's text outlives the interner");
}

#[test]
fn a_text_whose_hash_is_taken_is_held_apart_and_counted() {
    let ledger = Ledger::default();
    let i = Interner::new(ledger.clone());
    let a = i.get("User:alice");
    // Another text under alice's hash, as a collision would put it.
    let h = i.hasher.hash_str("User:bob");
    let alice = i
        .map
        .borrow_mut()
        .remove(&i.hasher.hash_str("User:alice"))
        .unwrap();
    i.map.borrow_mut().insert(h, alice);
    let b = i.get("User:bob");
    assert_eq!(&*b, "User:bob", "never another text");
    assert!(!Arc::ptr_eq(&a, &b));
    assert_eq!(i.len(), 2);
    drop(b);
    let before = ledger.bytes();
    i.purge();
    assert_eq!(ledger.bytes(), before - arc_str_bytes("User:bob"));
    assert_eq!(i.len(), 1);
}

#[test]
fn the_last_text_of_a_place_is_the_same_allocation() {
    let ledger = Ledger::default();
    let i = Interner::new(ledger.clone());
    let a = i.get_in(0, "User:alice");
    let r = i.get_in(1, "crn://x/topic=sensitive-pii");
    assert!(Arc::ptr_eq(&a, &i.get_in(0, "User:alice")));
    assert!(Arc::ptr_eq(&r, &i.get_in(1, "crn://x/topic=sensitive-pii")));
    // Another text in the place, then the first again: from the map.
    let b = i.get_in(0, "User:bob");
    assert!(Arc::ptr_eq(&a, &i.get_in(0, "User:alice")));
    assert_eq!(i.len(), 3);
    // A purge forgets the last texts with the rest: nothing pins them.
    drop((a, r, b));
    i.purge();
    assert!(i.is_empty());
    assert_eq!(ledger.bytes(), 0);
}
