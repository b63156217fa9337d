//! What the rules' state weighs: an estimate in bytes, for `[detect]
//! max_state_bytes`. Each rule keeps it as running counters, updated as
//! groups are made, changed and dropped (never a walk over its groups), and
//! the detector's upkeep sums them and, over the bound, has each rule shed
//! its least recently touched groups (`Detector::keep_to_budget`).
//!
//! The estimate counts what the state owns: a hash table's slot per group
//! (with its control byte, over the table's 7/8 load), the heap text of
//! keys and kept values, each group vector's *capacity* times its element
//! size, and every kept event copy in full. It does not count the
//! allocator's rounding, nor a table's spare buckets: right after it grew,
//! and after groups went (a table keeps the buckets it grew to; shrinking
//! it after each expiry raised the peak, the tables being regrown), up to
//! twice the slots counted, more after a shed. An event that several
//! rules keep (a failed login is kept by both `auth_bruteforce` counts and
//! `failed_logins_then_success`) is counted by each: there the estimate
//! is above what the process holds.

use std::mem::size_of;

use super::alert::EventRef;
use super::book::Book;

/// Bytes a value owns on the heap beyond its own size (which its container
/// counts). Cheap: lengths and capacities, or a counter kept up to date.
pub trait Weigh {
    fn heap_bytes(&self) -> usize;
}

impl Weigh for String {
    fn heap_bytes(&self) -> usize {
        self.capacity()
    }
}

impl Weigh for u64 {
    fn heap_bytes(&self) -> usize {
        0
    }
}

/// A hash table's cost per entry of type `T`: its slot and control byte,
/// at the table's highest load (7/8).
pub const fn entry_bytes<T>() -> usize {
    (size_of::<T>() + 1) * 8 / 7
}

/// An event copy behind an `Arc`: the block (two counts and the
/// [`EventRef`]) and its text.
pub fn event_bytes(e: &EventRef) -> usize {
    let text = [
        &e.principal,
        &e.source_ip,
        &e.resource,
        &e.client_id,
        &e.connection_id,
        &e.correlation_id,
        &e.identifier,
    ]
    .into_iter()
    .map(|f| f.as_deref().map_or(0, str::len))
    .sum::<usize>();
    2 * size_of::<usize>() + size_of::<EventRef>() + e.id.len() + text
}

/// `*x -= by`, never below zero (a counter that drifted must not wrap
/// round and make the state look full forever).
pub fn less(x: &mut usize, by: usize) {
    debug_assert!(*x >= by, "byte counter below zero: {x} - {by}");
    *x = x.saturating_sub(by);
}

/// A group's running count of bytes, in 32 bits (a group holds at most a
/// few thousand events; the field fits where its struct had padding).
/// Saturates at both ends.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally(u32);

impl Tally {
    pub fn of(bytes: usize) -> Tally {
        Tally(u32::try_from(bytes).unwrap_or(u32::MAX))
    }
    pub fn add(&mut self, bytes: usize) {
        self.0 = self.0.saturating_add(Tally::of(bytes).0);
    }
    pub fn sub(&mut self, bytes: usize) {
        let by = Tally::of(bytes).0;
        debug_assert!(self.0 >= by, "byte tally below zero: {} - {by}", self.0);
        self.0 = self.0.saturating_sub(by);
    }
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// How much state a rule holds in groups (its bytes: [`Shed::bytes`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub keys: u64,
    pub evictions: u64,
}

impl std::ops::Add for Size {
    type Output = Size;
    fn add(self, o: Size) -> Size {
        Size {
            keys: self.keys + o.keys,
            evictions: self.evictions + o.evictions,
        }
    }
}

/// A rule's state as the upkeep and the byte budget see it.
pub trait Shed {
    /// Groups held and evicted so far.
    fn size(&self) -> Size;
    /// The estimate of the bytes it holds.
    fn bytes(&self) -> usize;
    /// Drops least recently touched state worth at least `bytes` (or all
    /// of it); returns how many groups went (evictions).
    /// Alerts that this decides go to `book`.
    fn shed(&mut self, bytes: usize, book: &mut Book) -> u64;
}

/// Which of `items` — (last touched, bytes) — to drop so that at least
/// `bytes` go, least recently touched first: every item touched before
/// the returned time, and the returned number of those touched at it
/// (ties go in whatever order the caller meets them). `None`: nothing to
/// drop.
pub fn oldest_worth(mut items: Vec<(i64, usize)>, bytes: usize) -> Option<(i64, usize)> {
    if bytes == 0 {
        return None;
    }
    items.sort_unstable_by_key(|i| i.0);
    let (mut freed, mut count) = (0usize, 0usize);
    for i in &items {
        if freed >= bytes {
            break;
        }
        freed += i.1;
        count += 1;
    }
    let last = items.get(count.checked_sub(1)?)?.0;
    Some((last, count - items.partition_point(|i| i.0 < last)))
}

/// The picker for [`oldest_worth`]'s answer: true for each item to drop,
/// given its last touch.
pub fn dropper((last, mut at_last): (i64, usize)) -> impl FnMut(i64) -> bool {
    move |t| {
        t < last
            || (t == last && at_last > 0 && {
                at_last -= 1;
                true
            })
    }
}
