use super::*;

#[test]
fn commands_and_responses_round_trip() {
    let mut out = Vec::new();
    command(&mut out, 7, "syslog", b"<14>1 - - - - - - hi");
    command(&mut out, 8, "close", b"");
    assert_eq!(out, b"7 syslog 20 <14>1 - - - - - - hi\n8 close 0\n");

    let mut buf = b"1 rsp 6 200 OK\n3 rsp 0\n0 serverclose 0\n2 rsp 1".to_vec();
    let f = parse(&mut buf).unwrap().unwrap();
    assert_eq!((f.txnr, f.command.as_str()), (1, "rsp"));
    assert_eq!(f.rsp(), Some((200, &b" OK"[..])));
    // rsyslog answers `close` with an empty rsp.
    let f = parse(&mut buf).unwrap().unwrap();
    assert_eq!((f.txnr, f.command.as_str(), f.rsp()), (3, "rsp", None));
    let f = parse(&mut buf).unwrap().unwrap();
    assert_eq!(
        (f.txnr, f.command.as_str(), f.data.len()),
        (0, "serverclose", 0)
    );
    assert_eq!(parse(&mut buf), Ok(None), "incomplete");
    buf.extend_from_slice(b"0 500 not ok\n");
    let f = parse(&mut buf).unwrap().unwrap();
    assert_eq!((f.txnr, f.rsp()), (2, Some((500, &b" not ok"[..]))));
    assert!(buf.is_empty());
}

#[test]
fn framing_errors_are_errors_and_partial_frames_wait() {
    for bad in [
        &b"x rsp 0\n"[..],
        b"1 rs!p 0\n",
        b"1 rsp 3 abcd\n",
        b"1234567890 rsp 0\n",
    ] {
        assert!(
            parse(&mut bad.to_vec()).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    let whole = b"12 rsp 14 200 OK\nrelp_ve\n".to_vec();
    for cut in 0..whole.len() {
        assert_eq!(parse(&mut whole[..cut].to_vec()), Ok(None), "cut at {cut}");
    }
    let f = parse(&mut whole.clone()).unwrap().unwrap();
    assert_eq!(f.rsp(), Some((200, &b" OK\nrelp_ve"[..])));
    assert_eq!(next_txnr(MAX_TXNR), 1);
    assert_eq!(
        offers(b"relp_version=0\nrelp_software=librelp,1.11\ncommands=syslog"),
        [
            ("relp_version", "0"),
            ("relp_software", "librelp,1.11"),
            ("commands", "syslog")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}
