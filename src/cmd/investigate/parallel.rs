//! The report over a large input on every core: the reading thread
//! validates and enriches, and hands each batch of events to two threads
//! at once — the detection rules on one, the report's aggregation on the
//! other. Each part costs about a third of the CPU (BENCHMARKS.md,
//! "investigate"); with two cores the scheduler shares them out, so the
//! wall time follows the total CPU rather than the busiest part.
//!
//! A batch is shared (`Arc`), not copied: the events are moved into it
//! once. Whichever thread is done with it last gives it back to the
//! reader to be filled again. The channels are bounded: at most
//! `IN_FLIGHT` batches wait for each thread, so memory does not grow with
//! the input.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::event::Enrichment;

use super::aggregate::Investigation;
use super::detect_stage::{Alerts, Batch, Rules, BATCH};
use super::input::Feed;

/// Batches waiting for each thread.
const IN_FLIGHT: usize = 8;

/// One consumer of the batches: its channel and its thread.
struct Worker<S> {
    tx: SyncSender<Arc<Batch>>,
    handle: JoinHandle<S>,
}

impl<S: Send + 'static> Worker<S> {
    /// Runs `each` over every event of every batch received, on a thread
    /// named `name`; the thread returns `state` when the channel closes.
    fn start(
        name: &str,
        mut state: S,
        give_back: SyncSender<Batch>,
        each: impl Fn(&mut S, &Enrichment, &[u8]) + Send + 'static,
    ) -> Worker<S> {
        let (tx, rx) = sync_channel::<Arc<Batch>>(IN_FLIGHT);
        let handle = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                for batch in rx {
                    batch.each(|e, raw| each(&mut state, e, raw));
                    // The last holder gets it; the reader may have enough
                    // spare batches (then it is dropped).
                    if let Some(mut b) = Arc::into_inner(batch) {
                        b.clear();
                        let _ = give_back.try_send(b);
                    }
                }
                state
            })
            .expect("a thread can be started");
        Worker { tx, handle }
    }

    fn join(self) -> S {
        drop(self.tx);
        self.handle
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    }
}

/// The investigation with its rules and its aggregation on two threads,
/// fed by the caller's.
pub struct Parallel {
    batch: Batch,
    /// Invalid records, added to the report at the end.
    invalid: u64,
    spent: Receiver<Batch>,
    rules: Worker<Rules>,
    report: Worker<Investigation>,
}

impl Parallel {
    /// `inv` should have no rules of its own
    /// ([`Investigation::without_rules`]): `detector` runs beside it.
    pub fn start(inv: Investigation, rules: Rules) -> Parallel {
        let (give_back, spent) = sync_channel::<Batch>(2 * IN_FLIGHT + 2);
        let rules = Worker::start(
            "investigate-detect",
            rules,
            give_back.clone(),
            |r: &mut Rules, e, raw| r.observe(e, raw),
        );
        let report = Worker::start(
            "investigate-report",
            inv,
            give_back,
            |inv: &mut Investigation, e, raw| inv.observe(e, raw),
        );
        Parallel {
            batch: Batch::new(),
            invalid: 0,
            spent,
            rules,
            report,
        }
    }

    fn send(&mut self) {
        let next = self.spent.try_recv().unwrap_or_default();
        let full = Arc::new(std::mem::replace(&mut self.batch, next));
        // A send fails only if the thread died; `finish` says so (its
        // panic is resumed there).
        let _ = self.rules.tx.send(Arc::clone(&full));
        let _ = self.report.tx.send(full);
    }

    /// The aggregation (every event and invalid record counted) and the
    /// rules' alerts, the open ones closed: for [`Investigation::report`].
    pub fn finish(mut self) -> (Investigation, Alerts) {
        if !self.batch.is_empty() {
            self.send();
        }
        let Parallel {
            invalid,
            rules,
            report,
            ..
        } = self;
        let alerts = rules.join().finish();
        let mut inv = report.join();
        inv.invalid_records(invalid);
        (inv, alerts)
    }
}

impl Feed for Parallel {
    fn event(&mut self, e: Enrichment, raw: &[u8]) {
        self.batch.push(e, raw);
        if self.batch.len() >= BATCH {
            self.send();
        }
    }

    fn invalid(&mut self) {
        self.invalid += 1;
    }
}
