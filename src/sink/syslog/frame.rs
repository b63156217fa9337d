//! Stream framing (RFC 6587). UDP needs none: one datagram, one message.

use super::config::Framing;

/// Appends `message` framed for a TCP or TLS stream.
pub fn frame(out: &mut Vec<u8>, message: &[u8], framing: Framing) {
    match framing {
        Framing::OctetCounting => {
            // MSG-LEN counts octets, not characters.
            out.extend_from_slice(message.len().to_string().as_bytes());
            out.push(b' ');
            out.extend_from_slice(message);
        }
        Framing::Lf => {
            // The trailer is the only LF the receiver may see; an LF inside
            // the message becomes the two characters `\n`.
            let mut rest = message;
            while let Some(i) = memchr::memchr(b'\n', rest) {
                out.extend_from_slice(&rest[..i]);
                out.extend_from_slice(b"\\n");
                rest = &rest[i + 1..];
            }
            out.extend_from_slice(rest);
            out.push(b'\n');
        }
    }
}

#[cfg(test)]
mod tests;
