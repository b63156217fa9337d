//! HTTPS: verification on by default, a CA file, client certificates.
//! Certificates come from `support::pki`.

use siem_bridge::sink::Sink;

use super::{classes, sink};
use crate::support::es::FakeEs;
use crate::support::events;
use crate::support::pki::Pki;

#[tokio::test]
async fn https_with_a_ca_file_and_verification_on() {
    let pki = Pki::new();
    let es = FakeEs::start_tls(pki.server_config(false)).await;
    let trusted = sink(&es.url, |c| c.tls.ca_file = pki.key_value("ca.pem"));
    assert_eq!(
        classes(&trusted.send(&events(3)).await.outcomes),
        ["accepted"; 3]
    );
    // Not signed by a CA we trust: the sink is misconfigured, the events
    // are fine (never dead-lettered).
    let untrusted = sink(&es.url, |c| c.tls.ca_file = pki.key_value("other-ca.pem"));
    let report = untrusted.send(&events(2)).await;
    assert_eq!(
        classes(&report.outcomes),
        ["misconfigured"; 2],
        "{report:?}"
    );
    let unverified = sink(&es.url, |c| c.tls.verify = false);
    assert_eq!(
        classes(&unverified.send(&events(4)).await.outcomes),
        ["accepted"; 4]
    );
    assert_eq!(
        es.writes().len(),
        4,
        "nothing stored through the untrusted connection"
    );
}

#[tokio::test]
async fn mutual_tls_needs_the_client_certificate() {
    let pki = Pki::new();
    let es = FakeEs::start_tls(pki.server_config(true)).await;
    let with_cert = sink(&es.url, |c| {
        c.tls.ca_file = pki.key_value("ca.pem");
        c.tls.cert_file = pki.key_value("client.pem");
        c.tls.key_file = pki.key_value("client-key.pem");
    });
    assert_eq!(
        classes(&with_cert.send(&events(3)).await.outcomes),
        ["accepted"; 3]
    );
    let without = sink(&es.url, |c| c.tls.ca_file = pki.key_value("ca.pem"));
    let report = without.send(&events(2)).await;
    assert_eq!(
        classes(&report.outcomes),
        ["misconfigured"; 2],
        "{report:?}"
    );
    assert_eq!(es.writes().len(), 3);
}
