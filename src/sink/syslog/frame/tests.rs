use super::*;

/// What an RFC 6587 receiver does with octet-counted frames.
fn parse_octet_counted(mut b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let sp = b.iter().position(|&c| c == b' ').unwrap();
        let n: usize = std::str::from_utf8(&b[..sp]).unwrap().parse().unwrap();
        out.push(&b[sp + 1..sp + 1 + n]);
        b = &b[sp + 1 + n..];
    }
    out
}

#[test]
fn octet_counting_counts_bytes_and_keeps_line_feeds() {
    // S2: a message with `\n` and multibyte characters.
    let msgs: [&[u8]; 3] = [
        b"<134>1 - - - - - - a\nb",
        "<134>1 - - - - - - é€😀".as_bytes(),
        b"",
    ];
    let mut wire = Vec::new();
    for m in msgs {
        frame(&mut wire, m, Framing::OctetCounting);
    }
    assert!(wire.starts_with(b"22 <134>1 - - - - - - a\nb"));
    let second = "28 <134>1 - - - - - - é€😀".as_bytes();
    assert_eq!(&wire[25..25 + second.len()], second);
    assert_eq!(parse_octet_counted(&wire), msgs);
}

#[test]
fn lf_framing_escapes_embedded_line_feeds() {
    // S3: the receiver splits on LF only at the trailer.
    let mut wire = Vec::new();
    frame(&mut wire, b"one\ntwo\n", Framing::Lf);
    frame(&mut wire, b"three", Framing::Lf);
    assert_eq!(wire, b"one\\ntwo\\n\nthree\n");
    assert_eq!(
        wire.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count(),
        2
    );
}

#[test]
fn parts_frame_as_their_concatenation() {
    // The encoder frames head and body without joining them first.
    for framing in [Framing::OctetCounting, Framing::Lf] {
        for parts in [
            [&b"<134>1 head "[..], &b"{\"a\":\"b\\nc\"}"[..]],
            [&b"line\nbreak "[..], "é\n€".as_bytes()],
            [&b""[..], &b""[..]],
        ] {
            let (mut joined, mut split) = (Vec::new(), Vec::new());
            frame(&mut joined, &parts.concat(), framing);
            frame_parts(&mut split, &parts, framing);
            assert_eq!(split, joined, "{framing:?} {parts:?}");
        }
    }
}
