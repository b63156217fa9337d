//! The one throw-away PKI for TLS tests, made with the `openssl` command
//! (installed by `scripts/setup.sh`): a CA, a server certificate and a
//! client certificate signed by it, and a second, unrelated CA. Files:
//! `ca.pem`, `server.pem`, `client.pem`, `other-ca.pem`, each key beside
//! its certificate as `<name>-key.pem`. Self-contained: the benches include
//! it by `#[path]` (the rsyslogd launcher uses it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The server certificate's names for the in-process fakes: connecting to
/// 127.0.0.1 or `localhost` verifies.
pub const LOOPBACK: &str = "DNS:localhost,IP:127.0.0.1";

/// `localhost` only: connecting to 127.0.0.1 is a name mismatch (rsyslogd
/// tests use that).
pub const LOCALHOST_ONLY: &str = "DNS:localhost";

/// A PKI in its own temporary directory.
pub struct Pki {
    pub dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed (scripts/setup.sh)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ca(dir: &Path, name: &str, cn: &str) {
    let key = format!("{name}-key.pem");
    let pem = format!("{name}.pem");
    let subj = format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &pem,
            "-days",
            "2",
            "-subj",
            &subj,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

fn leaf(dir: &Path, name: &str, ext: &str) {
    let key = format!("{name}-key.pem");
    let csr = format!("{name}.csr");
    let pem = format!("{name}.pem");
    let ext_file = format!("{name}.ext");
    std::fs::write(dir.join(&ext_file), ext).unwrap();
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &format!("/CN={name}"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-out",
            &pem,
            "-days",
            "2",
            "-extfile",
            &ext_file,
        ],
    );
}

/// Writes the whole PKI into `dir` (created if missing); the server
/// certificate holds `server_names` (e.g. [`LOOPBACK`]).
pub fn write(dir: &Path, server_names: &str) {
    std::fs::create_dir_all(dir).unwrap();
    ca(dir, "ca", "siem-bridge test CA");
    ca(dir, "other-ca", "unrelated CA");
    leaf(
        dir,
        "server",
        &format!("subjectAltName={server_names}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"),
    );
    leaf(
        dir,
        "client",
        "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n",
    );
}

impl Pki {
    /// A fresh PKI whose server certificate is for [`LOOPBACK`].
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), LOOPBACK);
        Pki { dir }
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// `path(file)` as the `Option<String>` of a sink's `tls.*_file` key.
    pub fn key_value(&self, file: &str) -> Option<String> {
        Some(self.path(file).to_str().unwrap().to_owned())
    }

    fn certs(&self, file: &str) -> Vec<CertificateDer<'static>> {
        let pem = std::fs::read(self.path(file)).unwrap();
        rustls_pemfile::certs(&mut pem.as_slice())
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn key(&self, file: &str) -> PrivateKeyDer<'static> {
        let pem = std::fs::read(self.path(file)).unwrap();
        rustls_pemfile::private_key(&mut pem.as_slice())
            .unwrap()
            .unwrap()
    }

    /// The server side; with `require_client`, only clients holding a
    /// certificate from this CA get through the handshake.
    pub fn server_config(&self, require_client: bool) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if require_client {
            let mut roots = rustls::RootCertStore::empty();
            for c in self.certs("ca.pem") {
                roots.add(c).unwrap();
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        Arc::new(
            builder
                .with_single_cert(self.certs("server.pem"), self.key("server-key.pem"))
                .unwrap(),
        )
    }
}
