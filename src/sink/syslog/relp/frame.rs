//! RELP framing, as the librelp project specifies it (`doc/relp.md` in
//! the librelp repository, not this one):
//! `TXNR SP COMMAND SP DATALEN [SP DATA] LF`, TXNR 1–999,999,999 (0 is
//! reserved for server hints such as `serverclose`), COMMAND 1–32
//! letters, DATALEN the octets of DATA (no SP and no DATA when 0).
//! A `rsp` carries `CODE [SP HUMAN-TEXT] [LF CMDDATA]`; 200 is OK.

/// The largest TXNR; the next one is 1.
pub(crate) const MAX_TXNR: u32 = 999_999_999;
/// DATALEN above this is a framing error (rsyslog's maxDataSize is far
/// below it; it only bounds what a broken peer can make us buffer).
const MAX_DATALEN: usize = 64 << 20;

/// Appends one command frame.
pub(crate) fn command(out: &mut Vec<u8>, txnr: u32, command: &str, data: &[u8]) {
    let mut n = itoa::Buffer::new();
    out.extend_from_slice(n.format(txnr).as_bytes());
    out.push(b' ');
    out.extend_from_slice(command.as_bytes());
    out.push(b' ');
    out.extend_from_slice(n.format(data.len()).as_bytes());
    if !data.is_empty() {
        out.push(b' ');
        out.extend_from_slice(data);
    }
    out.push(b'\n');
}

/// The TXNR after `t`.
pub(crate) fn next_txnr(t: u32) -> u32 {
    if t >= MAX_TXNR {
        1
    } else {
        t + 1
    }
}

/// One frame received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    pub txnr: u32,
    pub command: String,
    pub data: Vec<u8>,
}

impl Frame {
    /// A `rsp`'s status code and the rest of its data.
    pub fn rsp(&self) -> Option<(u16, &[u8])> {
        let code = self.data.get(..3)?;
        let code: u16 = std::str::from_utf8(code).ok()?.parse().ok()?;
        Some((code, self.data.get(3..).unwrap_or_default()))
    }
}

/// `buf` does not start with a RELP frame: the peer does not speak RELP
/// (or the stream is corrupt). The connection is closed; its unanswered
/// messages are resent on a new one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FrameError {
    #[error("RELP frame: no space after TXNR")]
    NoSpaceAfterTxnr,
    #[error("RELP command longer than 32 letters")]
    CommandTooLong,
    #[error("bad RELP command {0:?}")]
    BadCommand(String),
    #[error("RELP DATALEN {0} too large")]
    DataTooLarge(usize),
    #[error("RELP frame: no space before DATA")]
    NoSpaceBeforeData,
    #[error("RELP frame does not end with LF")]
    NoFinalLf,
    #[error("RELP frame: bad number")]
    BadNumber,
    #[error("RELP frame: bad delimiter after a number")]
    BadDelimiter,
}

/// Takes one frame off the front of `buf`: `Ok(None)` when incomplete,
/// `Err` when `buf` does not start with a frame (close the connection).
pub(crate) fn parse(buf: &mut Vec<u8>) -> Result<Option<Frame>, FrameError> {
    let Some((txnr, at)) = number(buf, 0, 9)? else {
        return Ok(None);
    };
    if buf[at] != b' ' {
        return Err(FrameError::NoSpaceAfterTxnr);
    }
    let at = at + 1;
    let Some(sp) = buf[at..].iter().position(|&b| b == b' ') else {
        return if buf.len() - at > 32 {
            Err(FrameError::CommandTooLong)
        } else {
            Ok(None)
        };
    };
    let command = &buf[at..at + sp];
    if command.is_empty() || command.len() > 32 || !command.iter().all(u8::is_ascii_alphabetic) {
        return Err(FrameError::BadCommand(
            String::from_utf8_lossy(command).into_owned(),
        ));
    }
    let command = String::from_utf8_lossy(command).into_owned();
    let Some((len, at)) = number(buf, at + sp + 1, 9)? else {
        return Ok(None);
    };
    let len = len as usize;
    if len > MAX_DATALEN {
        return Err(FrameError::DataTooLarge(len));
    }
    // DATA follows a space; without DATA the LF may follow at once.
    let at = match buf[at] {
        b' ' => at + 1,
        _ if len == 0 => at,
        _ => return Err(FrameError::NoSpaceBeforeData),
    };
    let Some(&trailer) = buf.get(at + len) else {
        return Ok(None);
    };
    if trailer != b'\n' {
        return Err(FrameError::NoFinalLf);
    }
    let data = buf[at..at + len].to_vec();
    buf.drain(..at + len + 1);
    Ok(Some(Frame {
        txnr,
        command,
        data,
    }))
}

/// Digits at `buf[from..]` up to a space or LF: `(value, index of the
/// delimiter)`.
fn number(buf: &[u8], from: usize, max_digits: usize) -> Result<Option<(u32, usize)>, FrameError> {
    let rest = buf.get(from..).unwrap_or_default();
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits > max_digits || (digits == 0 && !rest.is_empty()) {
        return Err(FrameError::BadNumber);
    }
    let Some(&delim) = rest.get(digits) else {
        return Ok(None);
    };
    let value: u32 = std::str::from_utf8(&rest[..digits])
        .expect("digits")
        .parse()
        .expect("at most 9 digits");
    match delim {
        b' ' | b'\n' => Ok(Some((value, from + digits))),
        _ => Err(FrameError::BadDelimiter),
    }
}

/// The offers of an `open` (LF-separated `name[=value]`), as pairs.
pub(crate) fn offers(data: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(data)
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (l.to_owned(), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests;
