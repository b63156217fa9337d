//! `[[sinks]] type = "webhook"`: the keys, their defaults, and the checks
//! that need no network.

use std::collections::BTreeMap;

use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;

use crate::secret::{self, Secret};
use crate::sink::ConfigProblem;
use crate::tls::TlsConfig;

/// PagerDuty's Events API v2 endpoint, the `url` default of
/// `format = "pagerduty"`.
pub const PAGERDUTY_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// The request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// The alert object itself, one POST per alert.
    #[default]
    Generic,
    /// A PagerDuty Events API v2 `trigger` whose `dedup_key` is the alert id.
    Pagerduty,
}

/// A link attached to a PagerDuty alert. `{id}` and `{rule}` in `href`
/// are replaced by the alert's id and rule (URL-encoded).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub href: String,
    pub text: Option<String>,
}

/// The `[[sinks]]` table of a webhook sink.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The sink's name in logs and metrics (default `webhook`).
    pub name: Option<String>,
    #[serde(default)]
    pub format: Format,
    /// Where alerts are POSTed. Required for `generic`; `pagerduty`
    /// defaults to [`PAGERDUTY_URL`].
    pub url: Option<String>,
    /// PagerDuty integration key (normally `${ENV}`); `pagerduty` only.
    pub routing_key: Option<Secret>,
    /// A file holding the routing key.
    pub routing_key_file: Option<String>,
    /// The whole `Authorization` header value (normally `${ENV}`), e.g.
    /// `Bearer …`; `generic` only.
    pub auth_header: Option<Secret>,
    /// A file holding the `Authorization` header value.
    pub auth_header_file: Option<String>,
    /// More headers sent with every request (values may use `${ENV}`, and
    /// are kept out of logs and `Debug` like every secret). Not
    /// `Authorization` (use `auth_header`) nor `Content-Type`.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// `payload.source` of a PagerDuty event.
    #[serde(default = "default_source")]
    pub source: String,
    /// `payload.component` of a PagerDuty event.
    #[serde(default = "default_component")]
    pub component: String,
    /// `links` of a PagerDuty event.
    #[serde(default)]
    pub links: Vec<Link>,
    /// Whole-request timeout; a timeout is ambiguous (resent: the receiver
    /// sees the alert id twice, PagerDuty deduplicates on it).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    #[serde(default)]
    pub tls: TlsConfig,
}

fn default_source() -> String {
    "siem-bridge".to_owned()
}

fn default_component() -> String {
    "confluent-audit-log".to_owned()
}

fn default_timeout_secs() -> u64 {
    10
}

/// PagerDuty integration keys are 32 characters.
const ROUTING_KEY_LEN: usize = 32;

impl WebhookConfig {
    /// A config with every default, for `format`.
    pub fn new(format: Format) -> WebhookConfig {
        WebhookConfig {
            name: None,
            format,
            url: None,
            routing_key: None,
            routing_key_file: None,
            auth_header: None,
            auth_header_file: None,
            headers: BTreeMap::new(),
            source: default_source(),
            component: default_component(),
            links: Vec::new(),
            timeout_secs: default_timeout_secs(),
            tls: TlsConfig::default(),
        }
    }

    /// Every problem found without network, as `(key, message)`.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut add = |p: ConfigProblem| out.push((p.key, p.message));
        if let Err(p) = self.url() {
            add(p);
        }
        if self.timeout_secs == 0 {
            add(ConfigProblem::new("timeout_secs", "must be at least 1"));
        }
        match self.format {
            Format::Generic => {
                for key in ["routing_key", "source", "component", "links"] {
                    if self.pagerduty_key_set(key) {
                        add(ConfigProblem::new(key, "only for format = \"pagerduty\""));
                    }
                }
            }
            Format::Pagerduty => {
                if let Err(p) = self.routing_key() {
                    add(p);
                }
                if self.auth_header.is_some() || self.auth_header_file.is_some() {
                    add(ConfigProblem::new(
                        "auth_header",
                        "PagerDuty authenticates by `routing_key`; leave `auth_header` out",
                    ));
                }
                for (key, v) in [("source", &self.source), ("component", &self.component)] {
                    if v.trim().is_empty() {
                        add(ConfigProblem::new(key, "must not be empty"));
                    }
                }
                for (i, l) in self.links.iter().enumerate() {
                    if !is_http_url(&l.href.replace("{id}", "x").replace("{rule}", "x")) {
                        add(ConfigProblem::new(
                            format!("links[{i}].href"),
                            "must be an http(s) URL",
                        ));
                    }
                }
            }
        }
        if let Err(p) = self.auth_header() {
            add(p);
        }
        for p in self.header_problems() {
            add(p);
        }
        for (key, msg) in self.tls.check() {
            add(ConfigProblem::new(format!("tls.{key}"), msg));
        }
        out
    }

    /// Whether a PagerDuty-only key was given a non-default value.
    fn pagerduty_key_set(&self, key: &str) -> bool {
        match key {
            "routing_key" => self.routing_key.is_some() || self.routing_key_file.is_some(),
            "source" => self.source != default_source(),
            "component" => self.component != default_component(),
            _ => !self.links.is_empty(),
        }
    }

    /// The URL alerts are POSTed to.
    pub fn url(&self) -> Result<reqwest::Url, ConfigProblem> {
        let text = match (&self.url, self.format) {
            (Some(u), _) => u.as_str(),
            (None, Format::Pagerduty) => PAGERDUTY_URL,
            (None, Format::Generic) => {
                return Err(ConfigProblem::new(
                    "url",
                    "required for format = \"generic\": the receiver's http(s) URL",
                ))
            }
        };
        match reqwest::Url::parse(text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(u),
            Ok(u) => Err(ConfigProblem::new(
                "url",
                format!("scheme must be http or https, not `{}`", u.scheme()),
            )),
            Err(e) => Err(ConfigProblem::new("url", format!("not a URL: {e}"))),
        }
    }

    /// The PagerDuty routing key (reads `routing_key_file`).
    pub fn routing_key(&self) -> Result<Secret, ConfigProblem> {
        let key = secret::load(self.routing_key.as_ref(), self.routing_key_file.as_deref())
            .map_err(|e| ConfigProblem::new("routing_key", e.to_string()))?
            .ok_or_else(|| {
                ConfigProblem::new(
                    "routing_key",
                    "format = \"pagerduty\" needs `routing_key` (normally \"${ENV_VAR}\") or `routing_key_file`",
                )
            })?;
        let len = key.expose().chars().count();
        if len != ROUTING_KEY_LEN {
            // The length only: the key itself is never printed.
            return Err(ConfigProblem::new(
                "routing_key",
                format!("a PagerDuty integration key has 32 characters, this one {len}"),
            ));
        }
        Ok(key)
    }

    /// The `Authorization` header value, if any (reads `auth_header_file`).
    pub fn auth_header(&self) -> Result<Option<Secret>, ConfigProblem> {
        let v = secret::load(self.auth_header.as_ref(), self.auth_header_file.as_deref())
            .map_err(|e| ConfigProblem::new("auth_header", e.to_string()))?;
        match v {
            Some(s) if s.is_empty() => Err(ConfigProblem::new(
                "auth_header",
                "is empty (an unset ${ENV_VAR}?)",
            )),
            Some(s) if HeaderValue::from_str(s.expose()).is_err() => Err(ConfigProblem::new(
                "auth_header",
                "contains characters an HTTP header cannot carry (a stray line break?)",
            )),
            v => Ok(v),
        }
    }

    /// `headers`: valid names and values, none the sink sets itself.
    fn header_problems(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        for (name, value) in &self.headers {
            let key = format!("headers.{name}");
            match HeaderName::from_bytes(name.as_bytes()) {
                Err(_) => out.push(ConfigProblem::new(key, "not a valid HTTP header name")),
                Ok(h) if h == reqwest::header::AUTHORIZATION => out.push(ConfigProblem::new(
                    key,
                    "use `auth_header` (kept secret, may come from a file)",
                )),
                Ok(h) if h == reqwest::header::CONTENT_TYPE => out.push(ConfigProblem::new(
                    key,
                    "the body is always application/json",
                )),
                Ok(_) if HeaderValue::from_str(value.expose()).is_err() => {
                    out.push(ConfigProblem::new(
                        key,
                        "the value contains characters an HTTP header cannot carry",
                    ))
                }
                Ok(_) => {}
            }
        }
        out
    }
}

fn is_http_url(s: &str) -> bool {
    reqwest::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests;
