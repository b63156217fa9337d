use super::*;

fn wrap(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

#[test]
fn certificate_problems_are_misconfiguration() {
    let bad = wrap(rustls::Error::InvalidCertificate(
        rustls::CertificateError::UnknownIssuer,
    ));
    assert!(
        matches!(handshake(&bad, "h:1"), ConnectError::Misconfigured(m) if m.contains("tls.ca_file"))
    );
    let alert = wrap(rustls::Error::AlertReceived(
        rustls::AlertDescription::CertificateRequired,
    ));
    assert!(
        matches!(handshake(&alert, "h:1"), ConnectError::Misconfigured(m) if m.contains("tls.cert_file"))
    );
    assert!(matches!(peer_read_error(&alert), PeerEnd::Refused(_)));
    let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
    assert!(matches!(handshake(&eof, "h:1"), ConnectError::Retryable(_)));
    assert_eq!(peer_read_error(&eof), PeerEnd::Clean);
    let reset = io::Error::from(io::ErrorKind::ConnectionReset);
    assert!(matches!(peer_read_error(&reset), PeerEnd::Broken(_)));
    assert_eq!(
        ConnectError::Retryable("x".into()).outcome(),
        Outcome::Retryable("x".into())
    );
}
