//! [`SinkError`]: why a sink could not be built from its configuration.
//! Each variant keeps what went wrong (the source error when there is
//! one) and says what the operator should change.

/// Why a sink could not be built. Building never touches the network, so
/// every variant is about the configuration or the files it names.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// A key has a value the sink cannot start with: the same problems
    /// `siem-bridge validate` lists, with the key relative to the sink's
    /// `[[sinks]]` table.
    #[error("sink `{sink}`: `{key}`: {problem}; fix it in the sink's [[sinks]] table (`siem-bridge validate` lists every problem)")]
    Config {
        sink: String,
        key: String,
        problem: String,
    },
    /// The `tls.*` files could not be read or do not make a usable
    /// client configuration.
    #[error("sink `{sink}`: TLS settings: {source}; check `tls.ca_file`, `tls.cert_file` and `tls.key_file`")]
    Tls {
        sink: String,
        #[source]
        source: crate::tls::TlsError,
    },
    /// A credential cannot travel in an HTTP header (a control character,
    /// often a stray line break from a secret file).
    #[error("sink `{sink}`: `{key}` contains characters an HTTP header cannot carry ({source}); check the secret for stray line breaks or control characters")]
    Header {
        sink: String,
        key: &'static str,
        #[source]
        source: reqwest::header::InvalidHeaderValue,
    },
    /// `reqwest` refused to build the client from settings that passed
    /// every check: report it as a bug, with this message.
    #[error("sink `{sink}`: the HTTP client could not be built: {source}; please report this")]
    HttpClient {
        sink: String,
        #[source]
        source: reqwest::Error,
    },
}

impl SinkError {
    /// A [`SinkError::Config`] for `key`.
    pub fn config(sink: &str, key: impl Into<String>, problem: impl Into<String>) -> SinkError {
        SinkError::Config {
            sink: sink.to_owned(),
            key: key.into(),
            problem: problem.into(),
        }
    }

    /// The first `(key, problem)` of a sink's `check()`, as an error.
    pub fn first_problem(sink: &str, problems: Vec<(String, String)>) -> Result<(), SinkError> {
        match problems.into_iter().next() {
            Some((key, problem)) => Err(SinkError::config(sink, key, problem)),
            None => Ok(()),
        }
    }
}
