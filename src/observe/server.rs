//! The HTTP/1.1 server behind `/metrics`, `/health` and `/ready`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::{metrics, ready, ObservabilityConfig};
use crate::pipeline::Handle;

/// `[observability] listen` cannot be bound: another process holds the
/// port, or the address is not local. Change the address or set
/// `enabled = false`.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {listen}: {source}")]
pub struct BindError {
    /// The configured address.
    pub listen: String,
    /// Why binding failed.
    #[source]
    pub source: std::io::Error,
}

/// A bound listener, not serving yet: binding first lets `run` fail at
/// start-up when the port is taken, before the consumer joins the group.
pub struct Server {
    listener: TcpListener,
}

impl Server {
    /// Binds `[observability] listen`; `None` when disabled.
    pub async fn bind(config: &ObservabilityConfig) -> Result<Option<Server>, BindError> {
        if !config.enabled {
            return Ok(None);
        }
        let listener = TcpListener::bind(&config.listen)
            .await
            .map_err(|source| BindError {
                listen: config.listen.clone(),
                source,
            })?;
        Ok(Some(Server { listener }))
    }

    /// The bound address (the real port when `listen` used port 0).
    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `stop` is cancelled.
    pub fn spawn(self, handle: Handle, retention: Duration, stop: CancellationToken) {
        tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    _ = stop.cancelled() => return,
                    accepted = self.listener.accept() => match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            tracing::warn!(message = "Observability endpoint: accept failed.", error = %e);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    },
                };
                let handle = handle.clone();
                let stop = stop.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let response = respond(&handle, retention, &req);
                        async move { Ok::<_, Infallible>(response) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.cancelled() => {}
                    }
                });
            }
        });
    }
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("static headers are valid")
}

const PLAIN: &str = "text/plain; charset=utf-8";

fn respond(handle: &Handle, retention: Duration, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, PLAIN, "use GET\n".into());
    }
    match req.uri().path() {
        "/metrics" => text(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            metrics::render(handle, retention),
        ),
        "/health" => text(StatusCode::OK, PLAIN, "alive\n".into()),
        "/ready" => {
            let reasons = ready::reasons(handle);
            if reasons.is_empty() {
                text(StatusCode::OK, PLAIN, "ready\n".into())
            } else {
                let body: String = reasons
                    .iter()
                    .map(|r| format!("not ready: {r}\n"))
                    .collect();
                text(StatusCode::SERVICE_UNAVAILABLE, PLAIN, body)
            }
        }
        _ => text(
            StatusCode::NOT_FOUND,
            PLAIN,
            "not found: try /metrics, /health or /ready\n".into(),
        ),
    }
}
