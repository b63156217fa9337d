//! The server side the in-process HTTP fakes share (the fake HEC and the
//! webhook receiver): a loopback listener whose accept loop hands every
//! connection to hyper's HTTP/1.1, over TLS when configured.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub type Reply = Response<Full<Bytes>>;

/// Binds a free loopback port and serves each connection with `serve`
/// until the returned task is aborted.
pub async fn listen<F, Fut>(serve: F) -> (SocketAddr, JoinHandle<()>)
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("bound");
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(serve(tcp));
        }
    });
    (addr, task)
}

/// Serves one connection with `handle` per request, after a TLS handshake
/// when `tls` is set (a failed handshake closes normally, so the client
/// reads the alert). `on_open` sees the TCP socket once it is ready (the
/// HEC fake sets SO_LINGER there); `stop`, when notified, drops the
/// connection at once.
pub async fn serve_http1<H, Fut>(
    tcp: TcpStream,
    tls: Option<Arc<rustls::ServerConfig>>,
    on_open: impl FnOnce(&TcpStream),
    stop: Option<Arc<Notify>>,
    handle: H,
) where
    H: Fn(Request<Incoming>) -> Fut + Send + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let answer = handle(req);
        async move { Ok::<_, Infallible>(answer.await) }
    });
    let stopped = async {
        match &stop {
            Some(n) => n.notified().await,
            None => std::future::pending().await,
        }
    };
    let builder = hyper::server::conn::http1::Builder::new();
    match tls {
        Some(cfg) => {
            let Ok(tls) = tokio_rustls::TlsAcceptor::from(cfg).accept(tcp).await else {
                return;
            };
            on_open(tls.get_ref().0);
            let conn = builder.serve_connection(TokioIo::new(tls), service);
            tokio::select! { _ = conn => {}, _ = stopped => {} }
        }
        None => {
            on_open(&tcp);
            let conn = builder.serve_connection(TokioIo::new(tcp), service);
            tokio::select! { _ = conn => {}, _ = stopped => {} }
        }
    }
}
