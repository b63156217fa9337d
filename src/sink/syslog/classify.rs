//! Failures → outcome classes. A receiver that is down or unreachable is
//! temporary (`Retryable`); a certificate or TLS setup that cannot work
//! until someone changes configuration is `Misconfigured` (the pipeline
//! pauses the sink, and never falls back to plaintext or dead-letters).

use std::io;

use crate::sink::Outcome;

/// Why a connection could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// Try again later: refused, unreachable, timed out, name not resolved.
    #[error("{0}")]
    Retryable(String),
    /// Fix the configuration: certificate, CA, host name, client cert.
    #[error("{0}")]
    Misconfigured(String),
}

impl ConnectError {
    pub fn outcome(&self) -> Outcome {
        match self {
            ConnectError::Retryable(m) => Outcome::Retryable(m.clone()),
            ConnectError::Misconfigured(m) => Outcome::Misconfigured(m.clone()),
        }
    }
}

/// The TLS error inside an I/O error from tokio-rustls, if any.
pub fn tls_error(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref()?.downcast_ref::<rustls::Error>()
}

/// A TLS handshake (or the moments after it) failed.
pub fn handshake(e: &io::Error, address: &str) -> ConnectError {
    match tls_error(e) {
        Some(rustls::Error::InvalidCertificate(why)) => ConnectError::Misconfigured(format!(
            "TLS: the certificate of {address} was rejected ({why:?}); check tls.ca_file and that the host in `address` is a name in the certificate"
        )),
        Some(rustls::Error::AlertReceived(alert)) => ConnectError::Misconfigured(format!(
            "TLS: {address} refused the handshake ({alert:?}); if it requires a client certificate, set tls.cert_file and tls.key_file"
        )),
        Some(rustls::Error::InvalidMessage(_)) | Some(rustls::Error::InappropriateMessage { .. }) => {
            ConnectError::Misconfigured(format!(
                "TLS: {address} does not speak TLS; is this its TLS port?"
            ))
        }
        Some(other @ (rustls::Error::PeerIncompatible(_) | rustls::Error::NoCertificatesPresented)) => {
            ConnectError::Misconfigured(format!("TLS with {address}: {other}"))
        }
        Some(other) => ConnectError::Retryable(format!("TLS with {address}: {other}")),
        None => ConnectError::Retryable(format!("TLS handshake with {address}: {e}")),
    }
}

/// How the receiver's side of a connection ended, as seen by the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerEnd {
    /// It closed its side after reading everything we sent before (EOF;
    /// for TLS also EOF without close_notify, which rsyslog does).
    Clean,
    /// Reset or failed: it may not have read what we sent.
    Broken(String),
    /// A TLS alert after the handshake: TLS 1.3 servers reject a client
    /// certificate only after the client thinks the handshake succeeded.
    Refused(String),
}

pub fn peer_read_error(e: &io::Error) -> PeerEnd {
    match tls_error(e) {
        Some(rustls::Error::AlertReceived(alert)) => PeerEnd::Refused(format!(
            "TLS: the receiver refused the connection ({alert:?}); if it requires a client certificate, set tls.cert_file and tls.key_file"
        )),
        Some(other) => PeerEnd::Broken(format!("TLS: {other}")),
        None if e.kind() == io::ErrorKind::UnexpectedEof => PeerEnd::Clean,
        None => PeerEnd::Broken(e.to_string()),
    }
}

#[cfg(test)]
mod tests;
