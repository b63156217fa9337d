//! The resend window: frames already reported delivered whose arrival
//! plain TCP cannot confirm.
//!
//! A flush only means the kernel took the bytes. If the connection breaks
//! later, whatever sat in our send buffer, in flight, or in the receiver's
//! socket buffer unread is gone, and nothing says how much. So the most
//! recent frames are kept, up to a byte budget, and written again first
//! on the next connection: duplicates instead of loss. A graceful close
//! that the receiver answers with its own close proves it read everything,
//! and empties the window.

use std::collections::VecDeque;

use bytes::Bytes;

#[derive(Debug)]
pub struct Window {
    frames: VecDeque<Bytes>,
    bytes: usize,
    max_bytes: usize,
}

impl Window {
    pub fn new(max_bytes: usize) -> Window {
        Window {
            frames: VecDeque::new(),
            bytes: 0,
            max_bytes,
        }
    }

    /// Keeps `frame`, dropping the oldest frames beyond the budget.
    pub fn push(&mut self, frame: Bytes) {
        self.bytes += frame.len();
        self.frames.push_back(frame);
        while self.bytes > self.max_bytes {
            match self.frames.pop_front() {
                Some(old) => self.bytes -= old.len(),
                None => break,
            }
        }
    }

    /// Keeps the newest of `frames` (ranges of `batch`) that fit the
    /// budget, copied out so the window never pins a whole batch buffer;
    /// the same frames [`Window::push`] one by one would keep. With no
    /// budget (the default) it does nothing.
    pub fn keep(&mut self, batch: &[u8], frames: &[std::ops::Range<usize>]) {
        let mut fit = 0;
        let mut from = frames.len();
        for (i, r) in frames.iter().enumerate().rev() {
            if fit + r.len() > self.max_bytes {
                break;
            }
            fit += r.len();
            from = i;
        }
        for r in &frames[from..] {
            self.push(Bytes::copy_from_slice(&batch[r.clone()]));
        }
    }

    /// The frames, oldest first, as one buffer to write.
    pub fn concat(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.bytes);
        for f in &self.frames {
            out.extend_from_slice(f);
        }
        out
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn clear(&mut self) {
        self.frames.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests;
