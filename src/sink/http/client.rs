//! The one `reqwest` client builder: rustls with the sink's `tls.*`
//! (certificate verification on unless `tls.verify = false`), timeouts,
//! the user agent, headers sent on every request.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};

use crate::sink::SinkError;
use crate::tls::TlsConfig;

/// How a sink wants its client.
#[derive(Debug, Clone)]
pub(crate) struct ClientOptions<'a> {
    /// The whole request, answer included.
    pub timeout: Duration,
    /// Setting up the connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// The sink's `tls` table; used when the endpoint is `https`.
    pub tls: &'a TlsConfig,
    /// The endpoint's scheme is `https`.
    pub https: bool,
    /// Sent on every request (credentials: mark them sensitive).
    pub headers: HeaderMap,
    /// Speak HTTP/1.1 only (HEC: some proxies mishandle HTTP/2).
    pub http1_only: bool,
    /// Follow redirects. Off: a redirected POST turns into a GET, better
    /// to see the 3xx (`Misconfigured`).
    pub follow_redirects: bool,
}

/// Builds the client of sink `sink`; reads the TLS files, no network.
pub(crate) fn client(sink: &str, o: ClientOptions<'_>) -> Result<reqwest::Client, SinkError> {
    let mut builder = reqwest::Client::builder()
        .default_headers(o.headers)
        .user_agent(concat!("siem-bridge/", env!("CARGO_PKG_VERSION")))
        .timeout(o.timeout)
        .connect_timeout(o.connect_timeout);
    if o.http1_only {
        builder = builder.http1_only();
    }
    if !o.follow_redirects {
        builder = builder.redirect(reqwest::redirect::Policy::none());
    }
    if o.https {
        let tls = o.tls.client_config().map_err(|error| SinkError::Tls {
            sink: sink.to_owned(),
            error,
        })?;
        builder = builder.use_preconfigured_tls(tls);
    }
    builder.build().map_err(|error| SinkError::HttpClient {
        sink: sink.to_owned(),
        error,
    })
}

/// `value` as a sensitive header value; `key` names the config key the
/// credential came from, for the error.
pub(crate) fn secret_header(
    sink: &str,
    key: &'static str,
    value: &str,
) -> Result<HeaderValue, SinkError> {
    let mut v = HeaderValue::from_str(value).map_err(|error| SinkError::Header {
        sink: sink.to_owned(),
        key,
        error,
    })?;
    v.set_sensitive(true);
    Ok(v)
}
