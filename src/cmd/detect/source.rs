//! Where `detect` reads its lines: a file, read as fast as it goes, or
//! standard input, read by a thread of its own so that `detect` can tell
//! when the input has gone quiet (a live `kafkacat -C …` without `-e`) and
//! give the rules what it holds instead of waiting for more.

use std::io::{self, BufRead};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::time::Duration;

/// What a read gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Got {
    /// A line is in the buffer.
    Line,
    /// A live input sent nothing for its idle time.
    Idle,
    /// The input is over.
    End,
}

pub enum Source {
    File(Box<dyn BufRead + Send>),
    Live {
        lines: Receiver<io::Result<Vec<u8>>>,
        idle: Duration,
    },
}

impl Source {
    /// `reader` read on a thread of its own; quiet for `idle`, it answers
    /// [`Got::Idle`].
    pub fn live(mut reader: Box<dyn BufRead + Send>, idle: Duration) -> Source {
        let (tx, lines) = sync_channel(1024);
        std::thread::spawn(move || loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {
                    if tx.send(Ok(line)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    break;
                }
            }
        });
        Source::Live { lines, idle }
    }

    /// The next line into `buf` (cleared first). With `wait`, a live input
    /// is waited for however long it is quiet.
    pub fn next_line(&mut self, buf: &mut Vec<u8>, wait: bool) -> io::Result<Got> {
        buf.clear();
        let got = match self {
            Source::File(reader) => {
                return Ok(match reader.read_until(b'\n', buf)? {
                    0 => Got::End,
                    _ => Got::Line,
                })
            }
            Source::Live { lines, .. } if wait => {
                lines.recv().map_err(|_| RecvTimeoutError::Disconnected)
            }
            Source::Live { lines, idle } => lines.recv_timeout(*idle),
        };
        match got {
            Ok(Ok(line)) => {
                *buf = line;
                Ok(Got::Line)
            }
            Ok(Err(e)) => Err(e),
            Err(RecvTimeoutError::Timeout) => Ok(Got::Idle),
            Err(RecvTimeoutError::Disconnected) => Ok(Got::End),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that gives its first line, then waits before the second.
    struct Slow {
        parts: Vec<(&'static [u8], Duration)>,
    }

    impl io::Read for Slow {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.parts.is_empty() {
                return Ok(0);
            }
            let (bytes, pause) = self.parts.remove(0);
            std::thread::sleep(pause);
            out[..bytes.len()].copy_from_slice(bytes);
            Ok(bytes.len())
        }
    }

    #[test]
    fn a_quiet_live_input_is_idle_then_gives_its_next_line() {
        let slow = Slow {
            parts: vec![
                (b"one\n", Duration::ZERO),
                (b"two\n", Duration::from_millis(300)),
            ],
        };
        let mut s = Source::live(
            Box::new(io::BufReader::new(slow)),
            Duration::from_millis(50),
        );
        let mut buf = Vec::new();
        assert_eq!(s.next_line(&mut buf, false).unwrap(), Got::Line);
        assert_eq!(buf, b"one\n");
        assert_eq!(s.next_line(&mut buf, false).unwrap(), Got::Idle);
        assert_eq!(s.next_line(&mut buf, true).unwrap(), Got::Line);
        assert_eq!(buf, b"two\n");
        assert_eq!(s.next_line(&mut buf, true).unwrap(), Got::End);
    }

    #[test]
    fn a_file_is_read_to_its_end() {
        let mut s = Source::File(Box::new(io::Cursor::new(b"a\nb".to_vec())));
        let mut buf = Vec::new();
        assert_eq!(s.next_line(&mut buf, false).unwrap(), Got::Line);
        assert_eq!(s.next_line(&mut buf, false).unwrap(), Got::Line);
        assert_eq!(buf, b"b");
        assert_eq!(s.next_line(&mut buf, false).unwrap(), Got::End);
    }
}
