//! Safe defaults: TLS verification on for every TLS client, the
//! endpoints on loopback, secrets redacted in `Debug` (what a panic or an
//! `{:?}` in a log would print).
//!
//! Already covered elsewhere, not repeated here: a private-CA receiver
//! refused with the default TLS settings (`webhook/tls.rs`), a server
//! signed by another CA refused (`splunk_hec/tls.rs`,
//! `elasticsearch/tls.rs`, and against rsyslog in
//! `syslog/real_receiver.rs`), and the observability default
//! (`src/observe/mod.rs`, `defaults_listen_on_loopback_with_seven_days`).
//! Added here: HEC, Elasticsearch and syslog TLS with no `[tls]` section
//! at all against a self-signed server, and the Kafka client's settings.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use siem_bridge::config;
use siem_bridge::kafka::KafkaConfig;
use siem_bridge::sink::{Outcome, Sink, SinkConfig};
use tokio::io::AsyncReadExt;

use super::{assert_clean, secret_env};
use crate::support::es::FakeEs;
use crate::support::events;
use crate::support::hec::{FakeHec, HecOptions};
use crate::support::pki::Pki;

fn sink_from(toml_text: &str) -> Arc<dyn Sink> {
    let c: SinkConfig = toml::from_str(toml_text).unwrap();
    c.build().unwrap()
}

fn misconfigured(outcomes: &[Outcome]) -> bool {
    !outcomes.is_empty()
        && outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Misconfigured(_)))
}

#[tokio::test]
async fn https_sinks_refuse_a_self_signed_server_by_default() {
    let pki = Pki::new();
    let hec = FakeHec::start(HecOptions {
        tls: Some(pki.server_config(false)),
        ..HecOptions::default()
    })
    .await;
    let s = sink_from(&format!(
        "type = \"splunk_hec\"\nname = \"h\"\nendpoint = \"{}\"\ntoken = \"t\"",
        hec.url()
    ));
    let r = s.send(&events(2)).await;
    assert!(misconfigured(&r.outcomes), "{:?}", r.outcomes);
    assert!(hec.indexed_ids().is_empty());

    let es = FakeEs::start_tls(pki.server_config(false)).await;
    let s = sink_from(&format!(
        "type = \"elasticsearch\"\nname = \"e\"\nendpoint = \"{}\"",
        es.url
    ));
    let r = s.send(&events(2)).await;
    assert!(misconfigured(&r.outcomes), "{:?}", r.outcomes);
    assert_eq!(es.stored_count(), 0);
}

#[tokio::test]
async fn syslog_over_tls_refuses_a_self_signed_receiver_by_default() {
    let pki = Pki::new();
    let acceptor = tokio_rustls::TlsAcceptor::from(pki.server_config(false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(AtomicUsize::new(0));
    let got = received.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let got = got.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut buf = vec![0; 4096];
                    while let Ok(n) = tls.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        got.fetch_add(n, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    let s = sink_from(&format!(
        "type = \"syslog\"\nname = \"s\"\naddress = \"localhost:{port}\"\nprotocol = \"tls\""
    ));
    let r = s.send(&events(2)).await;
    assert!(misconfigured(&r.outcomes), "{:?}", r.outcomes);
    assert_eq!(
        received.load(Ordering::SeqCst),
        0,
        "nothing crossed the handshake"
    );
}

#[test]
fn kafka_tls_verification_is_not_turned_off() {
    let k = KafkaConfig {
        bootstrap_servers: "b:9092".into(),
        ..Default::default()
    };
    let c = k.client_config().unwrap();
    // librdkafka verifies by default; the bridge must not switch it off.
    assert_ne!(c.get("enable.ssl.certificate.verification"), Some("false"));
    assert_ne!(c.get("ssl.endpoint.identification.algorithm"), Some("none"));
}

#[test]
fn the_endpoints_default_to_loopback_and_secrets_stay_out_of_debug() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        r#"
[kafka]
bootstrap_servers = "b:9092"
security_protocol = "sasl_ssl"
sasl_mechanism = "PLAIN"
sasl_username = "AKEY"
sasl_password = "${SB_TEST_KAFKA_SECRET}"
[kafka.librdkafka_options]
"ssl.key.password" = "${SB_TEST_TLS_PASS}"
[observability]
enabled = true
[[sinks]]
type = "splunk_hec"
endpoint = "https://hec:8088"
token = "${SB_TEST_HEC_TOKEN}"
[[sinks]]
type = "elasticsearch"
endpoint = "https://es:9200"
user = "elastic"
password = "${SB_TEST_ES_PASSWORD}"
[[sinks]]
type = "elasticsearch"
name = "es2"
endpoint = "https://es:9200"
api_key = "${SB_TEST_ES_API_KEY}"
"#,
    )
    .unwrap();
    let env: Vec<(&str, &str)> = secret_env();
    let lookup = |name: &str| {
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let c = config::load(Some(&path), &lookup).unwrap();
    let listen: std::net::SocketAddr = c.observability.listen.parse().unwrap();
    assert!(listen.ip().is_loopback(), "{listen}");
    assert_clean("Debug of the loaded config", &format!("{c:?} {c:#?}"));
}
