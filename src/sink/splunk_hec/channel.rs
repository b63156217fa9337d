//! The request channel (`X-Splunk-Request-Channel`): one random GUID per
//! sink, sent on every request, replaced only when Splunk says it no
//! longer knows it. Indexer ackIds are numbered per channel, so each
//! channel has a generation: an ackId from an older generation means
//! nothing any more.

use std::sync::Mutex;

/// A random (version 4) GUID, as Splunk expects for a channel.
pub fn guid() -> String {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).expect("the OS random source is available");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The current channel and its generation.
#[derive(Debug)]
pub struct Channel {
    state: Mutex<(String, u64)>,
}

impl Default for Channel {
    fn default() -> Self {
        Channel {
            state: Mutex::new((guid(), 0)),
        }
    }
}

impl Channel {
    /// `(guid, generation)`.
    pub fn current(&self) -> (String, u64) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The current generation alone.
    pub fn generation(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).1
    }

    /// Moves to a new GUID if the channel is still at `seen` (several
    /// requests may report the same lost channel); true if it moved.
    pub fn rotate(&self, seen: u64) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.1 != seen {
            return false;
        }
        *s = (guid(), seen + 1);
        true
    }
}

#[cfg(test)]
mod tests;
