//! [`SinkError`]: why a sink could not be built from its configuration.
//! Each variant keeps what went wrong (the underlying error as a typed
//! field) and says what the operator should change. The underlying error
//! is printed in the variant's message rather than returned by
//! `source()`, so `{:#}` chains (`main`) do not print it twice.

/// Why a sink could not be built. Building never touches the network, so
/// every variant is about the configuration or the files it names.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// A key has a value the sink cannot start with: the same problems
    /// `siem-bridge validate` lists, with the key relative to the sink's
    /// `[[sinks]]` table.
    #[error("sink `{sink}`: {problem}; fix it in the sink's [[sinks]] table (`siem-bridge validate` lists every problem)")]
    Config {
        sink: String,
        problem: ConfigProblem,
    },
    /// The `tls.*` files could not be read or do not make a usable
    /// client configuration.
    #[error("sink `{sink}`: TLS settings: {error}; check `tls.ca_file`, `tls.cert_file` and `tls.key_file`")]
    Tls {
        sink: String,
        error: crate::tls::TlsError,
    },
    /// A credential cannot travel in an HTTP header (a control character,
    /// often a stray line break from a secret file).
    #[error("sink `{sink}`: `{key}` contains characters an HTTP header cannot carry ({error}); check the secret for stray line breaks or control characters")]
    Header {
        sink: String,
        key: &'static str,
        error: reqwest::header::InvalidHeaderValue,
    },
    /// `reqwest` refused to build the client from settings that passed
    /// every check: report it as a bug, with this message.
    #[error("sink `{sink}`: the HTTP client could not be built: {error}; please report this")]
    HttpClient { sink: String, error: reqwest::Error },
}

/// Why a sink's health check ([`super::Sink::healthcheck`], for
/// `validate` and `/ready`) failed. Never a gate on sending: the pipeline
/// keeps sending and classifying each answer on its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HealthError {
    /// No answer (refused, DNS, timeout, connection reset): check the
    /// address, the network path and that the destination runs.
    #[error("{0}")]
    Unreachable(String),
    /// The destination refused us or is not what the configuration says
    /// (TLS, client certificate, not the expected API): fix the sink's
    /// configuration; the text names the key.
    #[error("{0}")]
    Misconfigured(String),
    /// It answered `status` and says it is not healthy (busy, queues
    /// full, credentials refused): the text carries its words.
    #[error("{message}")]
    Unhealthy { status: u16, message: String },
    /// An OpenSearch server under `flavor = "elasticsearch"`:
    /// Elasticsearch-only parameters would fail every request.
    #[error("the server is OpenSearch: set flavor = \"opensearch\"")]
    OpenSearchFlavor,
    /// The file sink's directory cannot take a new file: fix `path` or
    /// the directory's permissions.
    #[error("{0}")]
    Unwritable(String),
}

/// One problem with one key of a sink's table, found without network:
/// what config helpers (`url`, `resolve_token`, `target`, `auth`) return,
/// and what `check()` lists as `(key, message)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}`: {message}")]
pub struct ConfigProblem {
    /// The key, relative to the sink's table (`endpoint`, `tls.ca_file`).
    pub key: String,
    /// What is wrong with it, and what would do.
    pub message: String,
}

impl ConfigProblem {
    /// A problem with `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> ConfigProblem {
        ConfigProblem {
            key: key.into(),
            message: message.into(),
        }
    }

    /// As the error of building sink `sink`.
    pub fn for_sink(self, sink: &str) -> SinkError {
        SinkError::Config {
            sink: sink.to_owned(),
            problem: self,
        }
    }
}

impl SinkError {
    /// A [`SinkError::Config`] for `key`.
    pub fn config(sink: &str, key: impl Into<String>, message: impl Into<String>) -> SinkError {
        ConfigProblem::new(key, message).for_sink(sink)
    }

    /// The first `(key, problem)` of a sink's `check()`, as an error.
    pub fn first_problem(sink: &str, problems: Vec<(String, String)>) -> Result<(), SinkError> {
        match problems.into_iter().next() {
            Some((key, problem)) => Err(SinkError::config(sink, key, problem)),
            None => Ok(()),
        }
    }
}
