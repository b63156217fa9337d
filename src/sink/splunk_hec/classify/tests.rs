use super::*;

fn v(status: u16, body: &str) -> Verdict<Hec> {
    event_response(status, body.as_bytes())
}

fn is_misconfigured(v: &Verdict<Hec>) -> bool {
    matches!(v, Verdict::All(Outcome::Misconfigured(_)))
}

#[test]
fn code_table() {
    assert_eq!(
        v(200, r#"{"text":"Success","code":0}"#),
        Verdict::Protocol(Hec::Accepted { ack_id: None })
    );
    assert_eq!(
        v(200, r#"{"text":"Success","code":0,"ackId":7}"#),
        Verdict::Protocol(Hec::Accepted { ack_id: Some(7) })
    );
    assert!(matches!(
        v(503, r#"{"text":"Server is busy","code":9}"#),
        Verdict::All(Outcome::Retryable(_))
    ));
    assert!(matches!(
        v(429, r#"{"text":"HEC queue at capacity","code":26}"#),
        Verdict::All(Outcome::Retryable(_))
    ));
    assert!(matches!(
        v(500, r#"{"text":"Internal server error","code":8}"#),
        Verdict::All(Outcome::Retryable(_))
    ));
    assert!(matches!(
        v(502, "<html><body>Bad Gateway</body></html>"),
        Verdict::All(Outcome::Retryable(_))
    ));
    assert!(matches!(v(408, ""), Verdict::All(Outcome::Retryable(_))));
    for (status, code) in [
        (403, 1),
        (401, 2),
        (401, 3),
        (403, 4),
        (400, 7),
        (400, 14),
        (400, 16),
    ] {
        let body = format!(r#"{{"text":"x","code":{code}}}"#);
        let verdict = v(status, &body);
        assert!(is_misconfigured(&verdict), "{status}/{code}: {verdict:?}");
    }
    assert!(matches!(
        v(400, r#"{"text":"Invalid data channel","code":11}"#),
        Verdict::Protocol(Hec::ChannelLost(_))
    ));
    assert!(matches!(
        v(413, "<html>too big</html>"),
        Verdict::TooLarge(_)
    ));
    assert!(is_misconfigured(&v(
        404,
        r#"{"text":"The requested URL was not found on this server.","code":404}"#
    )));
    assert!(
        is_misconfigured(&v(200, "<html>welcome</html>")),
        "200 that is not HEC"
    );
    // Decided once for every HTTP sink (`sink::http`): HEC used to retry
    // a 501; the endpoint does not implement the call, so it pauses.
    assert!(is_misconfigured(&v(501, "<html>Not Implemented</html>")));
}

#[test]
fn bad_event_carries_splunks_text_and_number() {
    match v(
        400,
        r#"{"text":"Invalid data format","code":6,"invalid-event-number":3}"#,
    ) {
        Verdict::Protocol(Hec::BadEvent {
            index,
            reason,
            status,
        }) => {
            assert_eq!(index, Some(3));
            assert!(reason.contains("Invalid data format"), "{reason}");
            assert_eq!(status, "400 code 6");
        }
        other => panic!("{other:?}"),
    }
    for code in [12, 13, 15] {
        let body = format!(r#"{{"text":"x","code":{code}}}"#);
        assert!(matches!(
            v(400, &body),
            Verdict::Protocol(Hec::BadEvent { index: None, .. })
        ));
    }
}

#[test]
fn ack_replies() {
    let mut ids = match ack_response(200, br#"{"acks":{"0":true,"1":false,"2":true}}"#) {
        AckReply::Status(ids) => ids,
        other => panic!("{other:?}"),
    };
    ids.sort();
    assert_eq!(ids, [0, 2]);
    assert!(matches!(
        ack_response(400, br#"{"text":"ACK is disabled","code":14}"#),
        AckReply::Disabled(_)
    ));
    assert!(matches!(
        ack_response(400, br#"{"text":"Invalid data channel","code":11}"#),
        AckReply::ChannelLost(_)
    ));
    assert!(matches!(
        ack_response(403, br#"{"text":"Invalid token","code":4}"#),
        AckReply::Refused(_)
    ));
    assert!(matches!(
        ack_response(503, b"<html/>"),
        AckReply::Unclear(_)
    ));
    assert!(matches!(
        ack_response(200, b"garbage"),
        AckReply::Unclear(_)
    ));
}

#[test]
fn health_is_reported() {
    assert!(health_response(200, br#"{"text":"HEC is healthy","code":17}"#).is_ok());
    let e = health_response(
        503,
        br#"{"text":"HEC is unhealthy, queues are full","code":18}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("queues are full"), "{e}");
    assert!(health_response(404, b"").is_ok());
}
