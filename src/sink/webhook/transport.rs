//! `POST {url}` over the shared HTTP client ([`crate::sink::http`]), with
//! the `Authorization` header and the extra `headers`. PagerDuty carries
//! its routing key in the body, not in a header.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Url;

use super::config::{Format, WebhookConfig};
use crate::sink::http::{self, client::secret_header, Answer, ClientOptions, Failure};
use crate::sink::SinkError;

/// The client and the URL of one sink.
pub(crate) struct Transport {
    client: reqwest::Client,
    url: Url,
    peer: &'static str,
}

impl Transport {
    /// Builds the client; reads secret and certificate files, no network.
    pub(crate) fn new(config: &WebhookConfig, sink: &str) -> Result<Transport, SinkError> {
        let url = config.url().map_err(|p| p.for_sink(sink))?;
        let mut headers = HeaderMap::new();
        if let Some(auth) = config.auth_header().map_err(|p| p.for_sink(sink))? {
            headers.insert(
                AUTHORIZATION,
                secret_header(sink, "auth_header", auth.expose())?,
            );
        }
        for (name, value) in &config.headers {
            let key = format!("headers.{name}");
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| SinkError::config(sink, &key, "not a valid HTTP header name"))?;
            // Values may come from ${ENV}: treat each as a credential.
            headers.insert(name, secret_header(sink, "headers", value.expose())?);
        }
        let timeout = Duration::from_secs(config.timeout_secs);
        let client = http::client(
            sink,
            ClientOptions {
                timeout,
                connect_timeout: timeout.min(Duration::from_secs(10)),
                tls: &config.tls,
                https: url.scheme() == "https",
                headers,
                http1_only: false,
                follow_redirects: false,
            },
        )?;
        let peer = match config.format {
            Format::Generic => "the webhook receiver",
            Format::Pagerduty => "PagerDuty",
        };
        Ok(Transport { client, url, peer })
    }

    /// The URL alerts go to (no credentials in it).
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// `POST` one JSON body.
    pub(crate) async fn post(&self, body: Vec<u8>) -> Result<Answer, Failure> {
        let req = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        http::exchange(req, self.peer).await
    }
}
