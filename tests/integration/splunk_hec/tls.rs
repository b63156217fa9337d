//! HTTPS: certificate verification on by default, a CA file, and a
//! client certificate for mutual TLS.

use siem_bridge::sink::{Outcome, Sink};

use super::{all_accepted, sink};
use crate::support::events;
use crate::support::hec::{FakeHec, HecOptions};
use crate::support::pki::Pki;

async fn tls_hec(pki: &Pki, require_client: bool) -> FakeHec {
    FakeHec::start(HecOptions {
        tls: Some(pki.server_config(require_client)),
        ..HecOptions::default()
    })
    .await
}

fn tls_keys(pki: &Pki, client: bool) -> String {
    let mut s = format!("[tls]\nca_file = \"{}\"\n", pki.path("ca.pem").display());
    if client {
        s.push_str(&format!(
            "cert_file = \"{}\"\nkey_file = \"{}\"\n",
            pki.path("client.pem").display(),
            pki.path("client-key.pem").display()
        ));
    }
    s
}

fn is_tls_misconfigured(o: &Outcome) -> bool {
    matches!(o, Outcome::Misconfigured(m) if m.contains("TLS"))
}

#[tokio::test]
async fn tls_with_ca_file_delivers_and_unknown_ca_is_misconfigured() {
    let pki = Pki::new();
    let hec = tls_hec(&pki, false).await;
    let evs = events(3);
    assert!(all_accepted(
        &sink(&hec, &tls_keys(&pki, false)).send(&evs).await.outcomes
    ));
    let other = Pki::new();
    let r = sink(&hec, &tls_keys(&other, false)).send(&evs).await;
    assert!(is_tls_misconfigured(&r.outcomes[0]), "{:?}", r.outcomes[0]);
    assert_eq!(hec.indexed_ids().len(), 3);
}

#[tokio::test]
async fn tls_client_certificate_for_mutual_tls() {
    let pki = Pki::new();
    let hec = tls_hec(&pki, true).await;
    let evs = events(3);
    let r = sink(&hec, &tls_keys(&pki, false)).send(&evs).await;
    assert!(is_tls_misconfigured(&r.outcomes[0]), "{:?}", r.outcomes[0]);
    assert!(all_accepted(
        &sink(&hec, &tls_keys(&pki, true)).send(&evs).await.outcomes
    ));
    assert_eq!(hec.indexed_ids().len(), 3);
}
