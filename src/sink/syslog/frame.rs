//! Stream framing (RFC 6587). UDP needs none: one datagram, one message.

use super::config::Framing;

/// Appends `message` framed for a TCP or TLS stream (the tests' form of
/// [`frame_parts`]).
#[cfg(test)]
pub fn frame(out: &mut Vec<u8>, message: &[u8], framing: Framing) {
    frame_parts(out, &[message], framing);
}

/// Appends the message made of `parts` (concatenated) framed for a TCP or
/// TLS stream: the encoder's head and body go to the wire without being
/// joined first.
pub fn frame_parts(out: &mut Vec<u8>, parts: &[&[u8]], framing: Framing) {
    match framing {
        Framing::OctetCounting => {
            // MSG-LEN counts octets, not characters.
            let len: usize = parts.iter().map(|p| p.len()).sum();
            out.extend_from_slice(itoa::Buffer::new().format(len).as_bytes());
            out.push(b' ');
            for p in parts {
                out.extend_from_slice(p);
            }
        }
        Framing::Lf => {
            // The trailer is the only LF the receiver may see; an LF inside
            // the message becomes the two characters `\n`.
            for &p in parts {
                let mut rest = p;
                while let Some(i) = memchr::memchr(b'\n', rest) {
                    out.extend_from_slice(&rest[..i]);
                    out.extend_from_slice(b"\\n");
                    rest = &rest[i + 1..];
                }
                out.extend_from_slice(rest);
            }
            out.push(b'\n');
        }
    }
}

#[cfg(test)]
mod tests;
