//! The HTTP side: one `reqwest` client (rustls, certificate verification
//! on unless `tls.verify = false`), the three HEC endpoints, and what a
//! transport failure means for delivery.

use std::error::Error as _;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Url;

use super::classify;
use super::config::{Compression, SplunkHecConfig, ACK_PATH, EVENT_PATH, HEALTH_PATH};
use crate::secret::Secret;

const CHANNEL: &str = "x-splunk-request-channel";

/// A response, whatever its status.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
    pub retry_after: Option<Duration>,
}

/// Why no response came back, sorted by what it means for the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Nothing reached the server (refused, DNS, connect timeout): resend.
    NotSent(String),
    /// The request may have been processed (reset, timeout after sending):
    /// resend, duplicates possible.
    Unknown(String),
    /// TLS handshake or certificate verification failed: configuration.
    Tls(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NotSent(m) | Failure::Unknown(m) | Failure::Tls(m) => f.write_str(m),
        }
    }
}

/// Why the HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("`endpoint`: {0}")]
    Endpoint(String),
    #[error("`tls`: {0}")]
    Tls(#[from] crate::tls::TlsError),
    #[error("`token`: {0}")]
    Token(String),
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// The client and the endpoints of one sink.
pub struct Http {
    client: reqwest::Client,
    event_url: Url,
    ack_url: Url,
    health_url: Url,
    auth: HeaderValue,
    gzip: bool,
}

impl Http {
    pub fn new(c: &SplunkHecConfig, token: &Secret) -> Result<Http, HttpError> {
        let event_url = c.url(EVENT_PATH).map_err(HttpError::Endpoint)?;
        let mut builder = reqwest::Client::builder()
            .timeout(c.request_timeout())
            .connect_timeout(c.connect_timeout())
            .user_agent(concat!("siem-bridge/", env!("CARGO_PKG_VERSION")))
            .http1_only();
        if event_url.scheme() == "https" {
            builder = builder.use_preconfigured_tls(c.tls.client_config()?);
        }
        let mut auth =
            HeaderValue::from_str(&format!("Splunk {}", token.expose())).map_err(|_| {
                HttpError::Token("contains characters not allowed in a header".to_owned())
            })?;
        auth.set_sensitive(true);
        Ok(Http {
            client: builder.build()?,
            ack_url: c.url(ACK_PATH).map_err(HttpError::Endpoint)?,
            health_url: c.url(HEALTH_PATH).map_err(HttpError::Endpoint)?,
            event_url,
            auth,
            gzip: c.compression == Compression::Gzip,
        })
    }

    /// `POST /services/collector/event` with a prepared body.
    pub async fn post_events(&self, channel: &str, body: Vec<u8>) -> Result<Answer, Failure> {
        let mut req = self
            .client
            .post(self.event_url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header(CHANNEL, channel)
            .header(CONTENT_TYPE, "application/json");
        if self.gzip {
            req = req.header(CONTENT_ENCODING, "gzip");
        }
        answer(req.body(body)).await
    }

    /// `POST /services/collector/ack` for `ids` on `channel`.
    pub async fn post_acks(&self, channel: &str, ids: &[u64]) -> Result<Answer, Failure> {
        let body = serde_json::json!({ "acks": ids }).to_string();
        let req = self
            .client
            .post(self.ack_url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header(CHANNEL, channel)
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        answer(req).await
    }

    /// `GET /services/collector/health`.
    pub async fn get_health(&self) -> Result<Answer, Failure> {
        answer(self.client.get(self.health_url.clone())).await
    }
}

async fn answer(req: reqwest::RequestBuilder) -> Result<Answer, Failure> {
    let resp = req.send().await.map_err(|e| failure(&e))?;
    let status = resp.status().as_u16();
    let retry_after = classify::retry_after(
        resp.headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
    );
    let body = resp.bytes().await.map_err(|e| failure(&e))?;
    Ok(Answer {
        status,
        body,
        retry_after,
    })
}

/// Sorts a reqwest error by what it means for the request.
fn failure(e: &reqwest::Error) -> Failure {
    let text = chain(e);
    if is_tls(e) {
        return Failure::Tls(format!("TLS with Splunk HEC failed: {text}"));
    }
    if e.is_connect() {
        Failure::NotSent(format!("cannot connect to Splunk HEC: {text}"))
    } else if e.is_timeout() {
        Failure::Unknown(format!("no answer from Splunk HEC in time: {text}"))
    } else {
        Failure::Unknown(format!("request to Splunk HEC broke off: {text}"))
    }
}

/// The error and its causes on one line.
fn chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// rustls errors arrive wrapped in (nested) `io::Error`s, whose `source()`
/// skips the wrapped error itself: look inside each `io::Error` too.
fn is_tls(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(s) = source {
        let mut inner = Some(s);
        while let Some(err) = inner {
            if err.is::<rustls::Error>() {
                return true;
            }
            inner = err
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .map(|i| i as &(dyn std::error::Error + 'static));
        }
        source = s.source();
    }
    false
}
