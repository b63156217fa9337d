//! HTTPS: verification on by default, a CA file, client certificates.
//! Certificates come from the `openssl` command (`scripts/setup.sh`).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use siem_bridge::sink::Sink;

use super::{classes, events, sink};
use crate::support::es::FakeEs;

fn openssl(dir: &Path, args: &str) {
    let out = Command::new("openssl")
        .args(args.split_whitespace())
        .current_dir(dir)
        .output()
        .expect("openssl is installed (scripts/setup.sh)");
    assert!(
        out.status.success(),
        "openssl {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate.
fn pki() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    openssl(
        d,
        &format!("req -x509 {ec} -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca"),
    );
    std::fs::write(
        d.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    std::fs::write(d.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for name in ["server", "client"] {
        openssl(
            d,
            &format!("req {ec} -keyout {name}.key -out {name}.csr -subj /CN={name}"),
        );
        openssl(
            d,
            &format!("x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out {name}.pem -days 2 -extfile {name}.ext"),
        );
    }
    dir
}

fn certs(path: &Path) -> Vec<CertificateDer<'static>> {
    rustls_pemfile::certs(&mut std::fs::read(path).unwrap().as_slice())
        .collect::<Result<_, _>>()
        .unwrap()
}

fn server_config(d: &Path, client_auth: bool) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if client_auth {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(certs(&d.join("ca.pem")).remove(0)).unwrap();
        builder.with_client_cert_verifier(
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap(),
        )
    } else {
        builder.with_no_client_auth()
    };
    let key: PrivateKeyDer =
        rustls_pemfile::private_key(&mut std::fs::read(d.join("server.key")).unwrap().as_slice())
            .unwrap()
            .unwrap();
    Arc::new(
        builder
            .with_single_cert(certs(&d.join("server.pem")), key)
            .unwrap(),
    )
}

fn path(d: &Path, f: &str) -> Option<String> {
    Some(d.join(f).to_str().unwrap().to_owned())
}

#[tokio::test]
async fn https_with_a_ca_file_and_verification_on() {
    let pki = pki();
    let d = pki.path();
    let es = FakeEs::start_tls(server_config(d, false)).await;
    let trusted = sink(&es.url, |c| c.tls.ca_file = path(d, "ca.pem"));
    assert_eq!(
        classes(&trusted.send(&events(3)).await.outcomes),
        ["accepted"; 3]
    );
    // Not signed by a CA we trust: the sink is misconfigured, the events
    // are fine (never dead-lettered).
    let stranger = tempfile::NamedTempFile::new().unwrap();
    std::fs::copy(pki_other_ca().path().join("ca.pem"), stranger.path()).unwrap();
    let untrusted = sink(&es.url, |c| {
        c.tls.ca_file = Some(stranger.path().to_str().unwrap().into())
    });
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

/// A second, unrelated CA.
fn pki_other_ca() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    openssl(
        dir.path(),
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=other-ca",
    );
    dir
}

#[tokio::test]
async fn mutual_tls_needs_the_client_certificate() {
    let pki = pki();
    let d = pki.path();
    let es = FakeEs::start_tls(server_config(d, true)).await;
    let with_cert = sink(&es.url, |c| {
        c.tls.ca_file = path(d, "ca.pem");
        c.tls.cert_file = path(d, "client.pem");
        c.tls.key_file = path(d, "client.key");
    });
    assert_eq!(
        classes(&with_cert.send(&events(3)).await.outcomes),
        ["accepted"; 3]
    );
    let without = sink(&es.url, |c| c.tls.ca_file = path(d, "ca.pem"));
    let report = without.send(&events(2)).await;
    assert_eq!(
        classes(&report.outcomes),
        ["misconfigured"; 2],
        "{report:?}"
    );
    assert_eq!(es.writes().len(), 3);
}
