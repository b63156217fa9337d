//! `new_source_ip`'s and `new_value`'s state as the byte budget sees it
//! ([`super::super::budget`]).

use super::super::book::Book;
use super::super::weigh::{Ledger, Shed};
use super::{NoveltyRule, Size};

impl Shed for NoveltyRule {
    fn size(&self) -> Size {
        NoveltyRule::size(self)
    }
    fn bytes(&self) -> usize {
        self.groups.bytes() + self.waiting_held
    }
    fn held(&self) -> usize {
        self.groups.held() + self.waiting_held
    }
    /// The events waiting for the watermark decided now, oldest first,
    /// for up to `bytes` (as a shed does): only an event of the same
    /// group and value older than them, still to come, would have been
    /// decided otherwise.
    fn trim(&mut self, bytes: usize, book: &mut Book) {
        let target = self.waiting_held.saturating_sub(bytes);
        while self.waiting_held > target && self.decide_oldest(book) {}
    }
    fn ledger(&mut self) -> Option<&mut Ledger> {
        Some(&mut self.ledger)
    }
    fn events(&self) -> usize {
        self.waiting.len()
    }
    /// The least recently touched groups, and the oldest waiting events
    /// decided now rather than at the watermark, each for its share.
    fn shed(&mut self, bytes: usize, per_event: usize, book: &mut Book) -> u64 {
        let total = self.bytes().max(1);
        let from_waiting = (bytes as u128 * self.waiting_held as u128 / total as u128) as usize;
        let target = self.waiting_held.saturating_sub(from_waiting);
        while self.waiting_held > target && self.decide_oldest(book) {}
        self.groups
            .shed(bytes.saturating_sub(from_waiting), per_event)
    }
}
