//! The three HEC endpoints over the shared HTTP client
//! ([`crate::sink::http`]): `/event`, `/ack`, `/health`.

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::Url;

use super::config::{Compression, SplunkHecConfig, ACK_PATH, EVENT_PATH, HEALTH_PATH};
use crate::secret::Secret;
use crate::sink::http::{self, client::secret_header, Answer, ClientOptions, Failure};
use crate::sink::SinkError;

const CHANNEL: &str = "x-splunk-request-channel";
const PEER: &str = "Splunk HEC";

/// The client and the endpoints of one sink.
pub(crate) struct Transport {
    client: reqwest::Client,
    event_url: Url,
    ack_url: Url,
    health_url: Url,
    auth: HeaderValue,
    gzip: bool,
}

impl Transport {
    /// Builds the client; reads the TLS files, no network.
    pub(crate) fn new(
        c: &SplunkHecConfig,
        sink: &str,
        token: &Secret,
    ) -> Result<Transport, SinkError> {
        let url = |path| c.url(path).map_err(|p| p.for_sink(sink));
        let event_url = url(EVENT_PATH)?;
        let client = http::client(
            sink,
            ClientOptions {
                timeout: c.request_timeout(),
                connect_timeout: c.connect_timeout(),
                tls: &c.tls,
                https: event_url.scheme() == "https",
                // Sent per request: `/health` goes without the token.
                headers: HeaderMap::new(),
                http1_only: true,
                follow_redirects: true,
            },
        )?;
        Ok(Transport {
            client,
            ack_url: url(ACK_PATH)?,
            health_url: url(HEALTH_PATH)?,
            event_url,
            auth: secret_header(sink, "token", &format!("Splunk {}", token.expose()))?,
            gzip: c.compression == Compression::Gzip,
        })
    }

    /// `POST /services/collector/event` with a prepared body.
    pub(crate) async fn post_events(
        &self,
        channel: &str,
        body: bytes::Bytes,
    ) -> Result<Answer, Failure> {
        let mut req = self
            .client
            .post(self.event_url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header(CHANNEL, channel)
            .header(CONTENT_TYPE, "application/json");
        if self.gzip {
            req = req.header(CONTENT_ENCODING, "gzip");
        }
        http::exchange(req.body(body), PEER).await
    }

    /// `POST /services/collector/ack` for `ids` on `channel`.
    pub(crate) async fn post_acks(&self, channel: &str, ids: &[u64]) -> Result<Answer, Failure> {
        let body = serde_json::json!({ "acks": ids }).to_string();
        let req = self
            .client
            .post(self.ack_url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header(CHANNEL, channel)
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        http::exchange(req, PEER).await
    }

    /// `GET /services/collector/health`.
    pub(crate) async fn get_health(&self) -> Result<Answer, Failure> {
        http::exchange(self.client.get(self.health_url.clone()), PEER).await
    }
}
