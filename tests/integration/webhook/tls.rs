//! HTTPS: a self-signed (private CA) receiver is refused without its CA,
//! as a misconfiguration (nothing dead-lettered), and accepted with it.

use siem_bridge::sink::webhook::Format;
use siem_bridge::sink::Sink;

use super::{alerts, classes, events, ids, sink};
use crate::support::pki::Pki;
use crate::support::webhook::{FakeReceiver, ReceiverOptions};

#[tokio::test]
async fn a_private_ca_is_refused_unless_configured() {
    let pki = Pki::new();
    let hook = FakeReceiver::start(ReceiverOptions {
        tls: Some(pki.server_config(false)),
        ..ReceiverOptions::default()
    })
    .await;
    let a = alerts(2);
    let untrusted = sink(Format::Generic, &hook.url(), |_| {});
    let report = untrusted.send(&events(&a)).await;
    assert_eq!(
        classes(&report.outcomes),
        ["misconfigured"; 2],
        "{report:?}"
    );
    assert!(hook.received().is_empty(), "nothing crossed the handshake");

    let trusted = sink(Format::Generic, &hook.url(), |c| {
        c.tls.ca_file = pki.key_value("ca.pem")
    });
    let report = trusted.send(&events(&a)).await;
    assert_eq!(classes(&report.outcomes), ["accepted"; 2], "{report:?}");
    assert_eq!(hook.accepted_ids(), ids(&a));
}
