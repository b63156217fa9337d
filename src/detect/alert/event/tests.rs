use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use super::super::super::intern::Interner;
use super::*;

/// The test binary's allocator: the system's, counting what this thread
/// asks for, so that [`EventRef::bytes`] can be held to what is really
/// allocated.
struct Counting;

thread_local! {
    /// Allocations and their bytes, on this thread.
    static ASKED: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = ASKED.try_with(|a| {
            let (n, bytes) = a.get();
            a.set((n + 1, bytes + l.size()));
        });
        // SAFETY: the caller's layout, passed on unchanged.
        unsafe { System.alloc(l) }
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: `p` came from `alloc` above, i.e. from `System`.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The allocations and bytes `make` asks for on this thread, and what it
/// made (other modules' tests hold their counts to it too).
pub(crate) fn asked<T>(make: impl FnOnce() -> T) -> (usize, usize, T) {
    let (n0, b0) = ASKED.with(Cell::get);
    let made = make();
    let (n1, b1) = ASKED.with(Cell::get);
    (n1 - n0, b1 - b0, made)
}

/// Field `i`'s sample text: short, or long enough that four fields
/// take more than 16-bit ends.
fn text(i: usize, long: bool) -> String {
    let mut s = format!("f{i}-é");
    if long {
        s.push_str(&"x".repeat(20_000 + i));
    }
    s
}

/// The fields of mask `m` (bit `i`: field `i` present).
fn fields(m: u32, texts: &[String]) -> [Option<&str>; FIELDS] {
    std::array::from_fn(|i| (m & (1 << i) != 0).then(|| texts[i].as_str()))
}

#[test]
fn every_field_reads_back_present_or_absent() {
    for long in [false, true] {
        let texts: Vec<String> = (0..FIELDS).map(|i| text(i, long)).collect();
        for m in 0..1u32 << FIELDS {
            let want = fields(m, &texts);
            let e = EventRef::new(-7, want);
            assert_eq!(e.time, -7);
            let named = [
                Some(e.id()),
                e.principal(),
                e.source_ip(),
                e.resource(),
                e.client_id(),
                e.connection_id(),
                e.correlation_id(),
                e.identifier(),
            ];
            // An absent id reads as empty, as the event's copy always had.
            let id = want[0].or(Some(""));
            assert_eq!(named[0], id, "{m:#b}");
            assert_eq!(named[1..], want[1..], "{m:#b} long {long}");
            assert_eq!(e.fields()[1..], want[1..]);
            assert_eq!(e, EventRef::new(-7, e.fields()));
            // The principal and resource are not in the text.
            let in_text = |(i, v): (usize, &Option<&str>)| {
                if SHARED.contains(&i) {
                    0
                } else {
                    v.map_or(0, str::len)
                }
            };
            let len: usize = want.iter().enumerate().map(in_text).sum();
            let wide = len > usize::from(u16::MAX);
            assert_eq!(matches!(e.text, Text::Wide(_)), wide, "{m:#b}");
        }
    }
    // Same fields, same copy; a field moved to another place is not.
    let a = EventRef::sample("a", 1, Some("p"), None);
    assert_eq!(a, a.clone());
    assert_ne!(a, EventRef::sample("a", 1, None, Some("p")));
    assert_ne!(a, EventRef::sample("a", 2, Some("p"), None));
    assert_ne!(a, EventRef::sample("a", 1, Some("q"), None));
}

#[test]
fn bytes_is_what_a_shared_copy_allocates() {
    for long in [false, true] {
        let texts: Vec<String> = (0..FIELDS).map(|i| text(i, long)).collect();
        for m in [0, 1, 0b1010_0110, 0xff] {
            let f = fields(m, &texts);
            let (n, bytes, e) = asked(|| Arc::new(EventRef::new(5, f)));
            let in_text = |(i, v): (usize, &Option<&str>)| {
                (!SHARED.contains(&i)).then(|| v.map_or(0, str::len))
            };
            let text: usize = f.iter().enumerate().filter_map(in_text).sum();
            assert_eq!(bytes, e.bytes(), "{m:#b} long {long}");
            // The `Arc`'s block, with any text one buffer for it (a long
            // one also boxes its ends), and its own principal and resource.
            let boxes = usize::from(text > 0) + usize::from(text > usize::from(u16::MAX));
            let own = SHARED.iter().filter(|&&i| f[i].is_some()).count();
            assert_eq!(n, 1 + boxes + own, "{m:#b} long {long}");
            // Interned, the principal and resource are the interner's.
            let interner = Interner::new(Ledger::default());
            let (n, bytes, e) = asked(|| Arc::new(EventRef::interned(5, f, &interner)));
            let (n_shared, shared_bytes) = (own, interner.bytes());
            assert_eq!(bytes, e.bytes() + shared_bytes, "{m:#b} long {long}");
            // Each text once, and the interner's table when it has any.
            let table = usize::from(own > 0);
            assert_eq!(n, 1 + boxes + n_shared + table, "{m:#b} long {long}");
            assert_eq!(e.fields(), EventRef::new(5, f).fields());
        }
    }
}

#[test]
fn a_copy_is_small() {
    // Two pointers' worth of text, 16-bit ends, the mask, the time, the
    // principal's and resource's shared text and the ledger's cell: the
    // size `bytes` charges per copy before text.
    assert!(size_of::<EventRef>() <= 96, "{}", size_of::<EventRef>());
}

#[test]
fn the_ledger_counts_a_copy_once_and_a_clone_apart() {
    let ledger = Ledger::default();
    let e = EventRef::sample("a", 1, Some("User:alice"), None);
    e.count_in(&ledger);
    e.count_in(&ledger);
    assert_eq!(ledger.bytes(), e.bytes());
    let c = e.clone();
    assert_eq!(ledger.bytes(), e.bytes(), "a clone is not counted");
    c.count_in(&ledger);
    assert_eq!(ledger.bytes(), 2 * e.bytes());
    drop(e);
    drop(c);
    assert_eq!(ledger.bytes(), 0);
}
