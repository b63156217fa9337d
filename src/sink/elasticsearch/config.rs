//! `[[sinks]] type = "elasticsearch"`: the keys, their defaults, and the
//! checks that need no network.

use base64::Engine as _;
use serde::Deserialize;

use super::target::{IndexPattern, Target};
use crate::secret::{self, Secret};
use crate::sink::ConfigProblem;
use crate::tls::TlsConfig;

/// Which server family we talk to. It decides which query parameters and
/// auth schemes may be sent: OpenSearch refuses unknown parameters with a
/// 400 for the whole request (`docs/sinks.md` §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flavor {
    #[default]
    Elasticsearch,
    Opensearch,
}

/// The bulk action per document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Refuses an `_id` that already exists (409): a replay is detected and
    /// counted as delivered, the stored document is never touched.
    #[default]
    Create,
    /// Overwrites a document with the same `_id` (still one document per
    /// event id, but a replay rewrites it). Not allowed for data streams.
    Index,
}

impl Action {
    /// The name in a bulk action line.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Index => "index",
        }
    }
}

/// Request body compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// gzip level 1: audit JSON shrinks ~10×; ES and OpenSearch always
    /// decode a gzip request body.
    #[default]
    Gzip,
    None,
}

/// The `[[sinks]]` table of an Elasticsearch / OpenSearch sink.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElasticsearchConfig {
    /// The sink's name in logs and metrics (default `elasticsearch`).
    pub name: Option<String>,
    /// Base URL of the cluster, e.g. `https://es.example.com:9200`. A path
    /// prefix (reverse proxy) is kept: requests go to `{endpoint}/_bulk`.
    pub endpoint: String,
    #[serde(default)]
    pub flavor: Flavor,
    /// Index name pattern on the event time (UTC): `%Y`, `%m`, `%d`, `%H`,
    /// `%%`. Default `confluent-audit-%Y.%m.%d`. Event time (not arrival
    /// time) keeps a replay in the same index, so its `_id` still dedups.
    pub index: Option<String>,
    /// Write to this data stream instead of `index` (action is then always
    /// `create`, which is all a data stream accepts).
    pub data_stream: Option<String>,
    #[serde(default)]
    pub action: Action,
    /// Ingest pipeline to run on every document.
    pub pipeline: Option<String>,
    #[serde(default)]
    pub compression: Compression,
    /// Largest uncompressed request body; a bigger batch is split. Keep it
    /// well under the server's `http.max_content_length` (100 MB).
    #[serde(default = "default_max_batch_bytes")]
    pub max_batch_bytes: usize,
    /// Most documents per request.
    #[serde(default = "default_max_batch_events")]
    pub max_batch_events: usize,
    /// Whole-request timeout; a timeout is ambiguous (resent, deduplicated
    /// by `_id`).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Add ECS fields (`@timestamp`, `event.*`, `user.name`, `source.ip`)
    /// and move the original event under `confluent` (its CloudEvents
    /// `source` string would clash with ECS's `source` object).
    #[serde(default)]
    pub ecs: bool,
    /// Elasticsearch ≥ 8.18 only: send `include_source_on_error`; `false`
    /// keeps audit payloads out of error messages and logs.
    pub include_source_on_error: Option<bool>,
    /// Basic auth user; the password comes from `password` (normally
    /// `${ENV}`) or `password_file`.
    pub user: Option<String>,
    /// Basic auth password (normally `${ENV}`).
    pub password: Option<Secret>,
    /// A file holding the password.
    pub password_file: Option<String>,
    /// Elasticsearch API key: the encoded value Kibana shows, or `id:key`.
    pub api_key: Option<Secret>,
    /// A file holding the API key.
    pub api_key_file: Option<String>,
    /// Bearer token (OAuth2, JWT, service account token).
    pub bearer_token: Option<Secret>,
    /// A file holding the bearer token.
    pub bearer_token_file: Option<String>,
    #[serde(default)]
    pub tls: TlsConfig,
}

/// 5 MiB, the kafka-connect-elasticsearch default: big enough to amortise
/// a request, small enough to stay far from every server cap.
fn default_max_batch_bytes() -> usize {
    5 << 20
}

fn default_max_batch_events() -> usize {
    2000
}

fn default_timeout_secs() -> u64 {
    30
}

/// Default `index`.
pub const DEFAULT_INDEX: &str = "confluent-audit-%Y.%m.%d";

impl ElasticsearchConfig {
    /// A config with every default, for `endpoint`.
    pub fn new(endpoint: impl Into<String>) -> ElasticsearchConfig {
        ElasticsearchConfig {
            name: None,
            endpoint: endpoint.into(),
            flavor: Flavor::default(),
            index: None,
            data_stream: None,
            action: Action::default(),
            pipeline: None,
            compression: Compression::default(),
            max_batch_bytes: default_max_batch_bytes(),
            max_batch_events: default_max_batch_events(),
            timeout_secs: default_timeout_secs(),
            ecs: false,
            include_source_on_error: None,
            user: None,
            password: None,
            password_file: None,
            api_key: None,
            api_key_file: None,
            bearer_token: None,
            bearer_token_file: None,
            tls: TlsConfig::default(),
        }
    }

    /// Every problem found without network, as `(key, message)`.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut add = |k: &str, m: String| out.push((k.to_owned(), m));
        match reqwest::Url::parse(&self.endpoint) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {
                if u.query().is_some() {
                    add("endpoint", "must not have a query string".into());
                }
            }
            Ok(u) => add(
                "endpoint",
                format!("scheme must be http or https, not `{}`", u.scheme()),
            ),
            Err(e) => add("endpoint", format!("not a URL: {e}")),
        }
        if let Err(p) = self.target() {
            add(&p.key, p.message);
        }
        if self.data_stream.is_some() && self.action == Action::Index {
            add("action", "data streams accept only `create`".into());
        }
        if self.max_batch_bytes < 1024 {
            add("max_batch_bytes", "must be at least 1024".into());
        }
        if self.max_batch_events == 0 {
            add("max_batch_events", "must be at least 1".into());
        }
        if self.timeout_secs == 0 {
            add("timeout_secs", "must be at least 1".into());
        }
        if let Some(p) = &self.pipeline {
            if p.trim().is_empty() {
                add(
                    "pipeline",
                    "must not be empty (leave it out instead)".into(),
                );
            }
        }
        if self.flavor == Flavor::Opensearch {
            if self.include_source_on_error.is_some() {
                add(
                    "include_source_on_error",
                    "Elasticsearch-only parameter; OpenSearch refuses the whole request".into(),
                );
            }
            if self.api_key.is_some() || self.api_key_file.is_some() {
                add(
                    "api_key",
                    "OpenSearch has no ApiKey scheme; use user/password or bearer_token".into(),
                );
            }
        }
        if let Err(p) = self.auth() {
            add(&p.key, p.message);
        }
        for (key, msg) in self.tls.check() {
            add(&format!("tls.{key}"), msg);
        }
        out
    }

    /// Where documents go.
    pub fn target(&self) -> Result<Target, ConfigProblem> {
        match (&self.index, &self.data_stream) {
            (Some(_), Some(_)) => Err(ConfigProblem::new(
                "data_stream",
                "give `index` or `data_stream`, not both",
            )),
            (_, Some(ds)) => Target::data_stream(ds)
                .map_err(|e| ConfigProblem::new("data_stream", e.to_string())),
            (index, None) => IndexPattern::parse(index.as_deref().unwrap_or(DEFAULT_INDEX))
                .map(Target::Index)
                .map_err(|e| ConfigProblem::new("index", e.to_string())),
        }
    }

    /// The key the `Authorization` header comes from, for errors.
    pub fn auth_key(&self) -> &'static str {
        if self.api_key.is_some() || self.api_key_file.is_some() {
            "api_key"
        } else if self.bearer_token.is_some() || self.bearer_token_file.is_some() {
            "bearer_token"
        } else {
            "password"
        }
    }

    /// The `Authorization` header value, if any. Reads `*_file` secrets.
    pub fn auth(&self) -> Result<Option<Secret>, ConfigProblem> {
        let secret = |key: &str, inline, file| {
            secret::load(inline, file).map_err(|e| ConfigProblem::new(key, e.to_string()))
        };
        let password = secret(
            "password",
            self.password.as_ref(),
            self.password_file.as_deref(),
        )?;
        let api_key = secret(
            "api_key",
            self.api_key.as_ref(),
            self.api_key_file.as_deref(),
        )?;
        let bearer = secret(
            "bearer_token",
            self.bearer_token.as_ref(),
            self.bearer_token_file.as_deref(),
        )?;
        let empty = |s: &Option<Secret>| s.as_ref().is_some_and(|s| s.expose().trim().is_empty());
        let (password_empty, api_key_empty, bearer_empty) =
            (empty(&password), empty(&api_key), empty(&bearer));
        let basic = match (&self.user, password) {
            (Some(u), Some(p)) => Some(Secret::new(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{}", p.expose()))
            ))),
            (Some(_), None) => {
                return Err(ConfigProblem::new(
                    "password",
                    "`user` needs `password` or `password_file`",
                ))
            }
            (None, Some(_)) => return Err(ConfigProblem::new("user", "`password` needs `user`")),
            (None, None) => None,
        };
        let api_key = api_key.map(|k| {
            // `id:key` is what Elasticsearch returns as two fields; the
            // header wants it base64-encoded. Kibana shows it encoded.
            let v = k.expose();
            if v.contains(':') {
                Secret::new(format!(
                    "ApiKey {}",
                    base64::engine::general_purpose::STANDARD.encode(v)
                ))
            } else {
                Secret::new(format!("ApiKey {v}"))
            }
        });
        // A secret from an empty variable would send an empty credential.
        for (key, s) in [
            ("password", &password_empty),
            ("api_key", &api_key_empty),
            ("bearer_token", &bearer_empty),
        ] {
            if *s {
                return Err(ConfigProblem::new(
                    key,
                    "is empty (an empty environment variable?): set it, or leave the key out",
                ));
            }
        }
        let bearer = bearer.map(|t| Secret::new(format!("Bearer {}", t.expose())));
        let given: Vec<Secret> = [basic, api_key, bearer].into_iter().flatten().collect();
        match given.len() {
            0 => Ok(None),
            1 => Ok(given.into_iter().next()),
            _ => Err(ConfigProblem::new(
                "user",
                "choose one auth scheme: user/password, api_key or bearer_token",
            )),
        }
    }
}

#[cfg(test)]
mod tests;
