//! `POST {endpoint}/_bulk` and `GET /` over the shared HTTP client
//! ([`crate::sink::http`]), with auth, compression and the query
//! parameters the flavor allows.

use std::time::Duration;

use reqwest::header::{HeaderMap, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::Url;

use super::config::{Compression, ElasticsearchConfig, Flavor};
use crate::sink::http::{self, client::secret_header, Answer, ClientOptions, Failure};
use crate::sink::SinkError;

/// `filter_path`: keeps responses small while keeping every item (its
/// `status` is always there) so positions stay aligned, `_id` to check the
/// alignment, and the whole-request `error` so refusals stay readable.
const FILTER_PATH: &str =
    "errors,error.type,error.reason,status,items.*._id,items.*.status,items.*.error.type,items.*.error.reason,items.*.failure_store";

const PEER: &str = "Elasticsearch";

/// The client and the endpoints of one sink.
pub(crate) struct Transport {
    client: reqwest::Client,
    bulk_url: Url,
    root_url: Url,
    gzip: bool,
}

impl Transport {
    /// Builds the client; reads secret and certificate files, no network.
    pub(crate) fn new(config: &ElasticsearchConfig, sink: &str) -> Result<Transport, SinkError> {
        let base = config.endpoint.trim_end_matches('/');
        let url = |s: String| {
            Url::parse(&s)
                .map_err(|e| SinkError::config(sink, "endpoint", format!("not a URL: {e}")))
        };
        let root_url = url(format!("{base}/"))?;
        let mut bulk_url = url(format!("{base}/_bulk"))?;
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
        let auth = config.auth().map_err(|p| p.for_sink(sink))?;
        if let Some(auth) = auth {
            headers.insert(
                AUTHORIZATION,
                secret_header(sink, config.auth_key(), auth.expose())?,
            );
        }
        let timeout = Duration::from_secs(config.timeout_secs);
        let client = http::client(
            sink,
            ClientOptions {
                timeout,
                connect_timeout: timeout.min(Duration::from_secs(10)),
                tls: &config.tls,
                https: root_url.scheme() == "https",
                headers,
                http1_only: false,
                follow_redirects: false,
            },
        )?;
        Ok(Transport {
            client,
            bulk_url,
            root_url,
            gzip: config.compression == Compression::Gzip,
        })
    }

    /// The bulk URL with its query string (tests and logs; no secrets).
    pub(crate) fn bulk_url(&self) -> &Url {
        &self.bulk_url
    }

    /// `POST _bulk` with an uncompressed NDJSON body.
    pub(crate) async fn bulk(&self, ndjson: &[u8]) -> Result<Answer, Failure> {
        let mut req = self
            .client
            .post(self.bulk_url.clone())
            .header(CONTENT_TYPE, "application/x-ndjson");
        req = if self.gzip {
            req.header(CONTENT_ENCODING, "gzip")
                .header(ACCEPT_ENCODING, "gzip")
                .body(super::encode::gzip(ndjson))
        } else {
            req.body(ndjson.to_vec())
        };
        http::exchange(req, PEER).await
    }

    /// `GET /`: the server's name and version.
    pub(crate) async fn root(&self) -> Result<Answer, Failure> {
        http::exchange(self.client.get(self.root_url.clone()), PEER).await
    }
}
