//! The catching-up bar: records read vs the backlog between the start
//! offsets and the high watermarks at start. On stderr, only on a
//! terminal, gone once every partition has caught up.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::consume::Part;

/// The catching-up bar on stderr (none when stderr is not a terminal).
pub struct Bar(Option<ProgressBar>);

impl Bar {
    /// A bar when `wanted`, stderr is a terminal and there is a backlog.
    pub fn new(wanted: bool, parts: &[Part]) -> Bar {
        let total: u64 = parts.iter().map(Part::backlog).sum();
        if !wanted || total == 0 || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "catching up {bar:40} {pos}/{len} records, {per_sec}, {eta} left",
            )
            .expect("a valid template"),
        );
        Bar(Some(bar))
    }

    /// Moves the bar to where the partitions' positions are.
    pub fn update(&self, parts: &[Part]) {
        if let Some(bar) = &self.0 {
            if bar.is_finished() {
                return;
            }
            let done: u64 = parts.iter().map(Part::caught_up).sum();
            bar.set_position(done);
            if done >= bar.length().unwrap_or(0) {
                bar.finish_and_clear();
            }
        }
    }

    /// Runs `f` (which prints a line) with the bar hidden.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            Some(bar) if !bar.is_finished() => bar.suspend(f),
            _ => f(),
        }
    }

    /// Removes the bar (caught up or stopped).
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
