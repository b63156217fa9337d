//! The HTTP side: one `POST {endpoint}/_bulk` per call, with auth, TLS,
//! compression and the query parameters the flavor allows. It reports
//! what came back (or why nothing did); deciding what that means is
//! `classify`'s job.

use std::io::Read as _;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE,
    RETRY_AFTER,
};
use reqwest::Url;

use super::classify;
use super::config::{Compression, ElasticsearchConfig, Flavor};

/// `filter_path`: keeps responses small while keeping every item (its
/// `status` is always there) so positions stay aligned, `_id` to check the
/// alignment, and the whole-request `error` so refusals stay readable.
const FILTER_PATH: &str =
    "errors,error.type,error.reason,status,items.*._id,items.*.status,items.*.error.type,items.*.error.reason,items.*.failure_store";

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<Duration>,
    /// Decompressed.
    pub body: Bytes,
}

/// Why no HTTP answer came back. Each variant says what is known about
/// delivery.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The connection was never made: nothing was sent.
    #[error("cannot connect: {0}")]
    NotSent(String),
    /// TLS handshake refused (certificate, CA, client certificate): the
    /// configuration, not the event, is wrong.
    #[error("TLS: {0}")]
    Tls(String),
    /// The request may have reached the server (timeout, reset, garbled
    /// answer): it may or may not be stored.
    #[error("{0}")]
    Unknown(String),
}

/// A configured HTTP client for one sink.
pub struct Client {
    http: reqwest::Client,
    bulk_url: Url,
    root_url: Url,
    gzip: bool,
}

impl Client {
    /// Builds the client; reads secret and certificate files.
    pub fn new(config: &ElasticsearchConfig) -> Result<Client, String> {
        let base = config.endpoint.trim_end_matches('/');
        let root_url = Url::parse(&format!("{base}/")).map_err(|e| format!("endpoint: {e}"))?;
        let mut bulk_url =
            Url::parse(&format!("{base}/_bulk")).map_err(|e| format!("endpoint: {e}"))?;
        {
            let mut q = bulk_url.query_pairs_mut();
            q.append_pair("filter_path", FILTER_PATH);
            if let Some(p) = &config.pipeline {
                q.append_pair("pipeline", p);
            }
            if config.flavor == Flavor::Elasticsearch {
                if let Some(v) = config.include_source_on_error {
                    q.append_pair("include_source_on_error", if v { "true" } else { "false" });
                }
            }
        }
        let mut headers = HeaderMap::new();
        if let Some(auth) = config.auth().map_err(|(k, m)| format!("{k}: {m}"))? {
            let mut v = HeaderValue::from_str(auth.expose())
                .map_err(|_| "credentials contain characters not allowed in a header".to_owned())?;
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
        }
        let timeout = Duration::from_secs(config.timeout_secs);
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("siem-bridge/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // A redirected POST becomes a GET: better to say so.
            .redirect(reqwest::redirect::Policy::none());
        if root_url.scheme() == "https" {
            let tls = config
                .tls
                .client_config()
                .map_err(|e| format!("tls: {e}"))?;
            builder = builder.use_preconfigured_tls(tls);
        }
        let http = builder.build().map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Client {
            http,
            bulk_url,
            root_url,
            gzip: config.compression == Compression::Gzip,
        })
    }

    /// The bulk URL with its query string (tests and logs; no secrets).
    pub fn bulk_url(&self) -> &Url {
        &self.bulk_url
    }

    /// `POST _bulk` with an uncompressed NDJSON body.
    pub async fn bulk(&self, ndjson: &[u8]) -> Result<Reply, SendError> {
        let mut req = self
            .http
            .post(self.bulk_url.clone())
            .header(CONTENT_TYPE, "application/x-ndjson");
        req = if self.gzip {
            req.header(CONTENT_ENCODING, "gzip")
                .header(ACCEPT_ENCODING, "gzip")
                .body(super::encode::gzip(ndjson))
        } else {
            req.body(ndjson.to_vec())
        };
        self.exchange(req).await
    }

    /// `GET /`: the server's name and version.
    pub async fn root(&self) -> Result<Reply, SendError> {
        self.exchange(self.http.get(self.root_url.clone())).await
    }

    async fn exchange(&self, req: reqwest::RequestBuilder) -> Result<Reply, SendError> {
        let resp = req.send().await.map_err(send_error)?;
        let status = resp.status().as_u16();
        let retry_after = classify::retry_after(
            resp.headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
        );
        let gzipped = resp
            .headers()
            .get(CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        let body = resp
            .bytes()
            .await
            .map_err(|e| SendError::Unknown(format!("reading the response: {e}")))?;
        let body = if gzipped {
            let mut out = Vec::with_capacity(body.len() * 4);
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut out)
                .map_err(|e| SendError::Unknown(format!("gzip response: {e}")))?;
            Bytes::from(out)
        } else {
            body
        };
        Ok(Reply {
            status,
            retry_after,
            body,
        })
    }
}

fn send_error(e: reqwest::Error) -> SendError {
    let text = chain(&e);
    if is_tls(&e) {
        SendError::Tls(text)
    } else if e.is_connect() {
        SendError::NotSent(text)
    } else {
        SendError::Unknown(text)
    }
}

/// The error and its causes on one line (reqwest's own text is terse).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        cur = s.source();
    }
    out
}

/// A rustls error anywhere in the chain. `io::Error` hides its inner
/// error from `source()` (and hyper nests one io::Error in another), so
/// look inside those too.
fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<rustls::Error>() {
            return true;
        }
        let mut inner = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref());
        while let Some(i) = inner {
            if i.is::<rustls::Error>() {
                return true;
            }
            inner = i
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref());
        }
        cur = err.source();
    }
    false
}
