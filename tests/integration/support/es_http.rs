//! The HTTP/1.1 plumbing of the fake `_bulk` server (`es.rs`): written
//! by hand on tokio so a test controls every byte and can drop a
//! connection after reading a request. Keep-alive, `Content-Length`
//! bodies, gzip both ways, optional TLS.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::Request;

/// What to send back; `None` from the handler closes the connection
/// unanswered.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Wait this long before answering.
    pub delay: Option<Duration>,
    /// Gzip the body if the request accepts it.
    pub gzip: bool,
}

pub type Handler = Arc<dyn Fn(Request) -> Option<Answer> + Send + Sync>;

/// Serves on a free port of 127.0.0.1 until the task is aborted; returns
/// the base URL.
pub async fn listen(
    tls: Option<tokio_rustls::TlsAcceptor>,
    handler: Handler,
) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let (tls, handler) = (tls.clone(), handler.clone());
            tokio::spawn(async move {
                let _ = match tls {
                    None => serve(sock, handler).await,
                    Some(acceptor) => match acceptor.accept(sock).await {
                        Ok(stream) => serve(stream, handler).await,
                        Err(_) => Ok(()),
                    },
                };
            });
        }
    });
    (url, task)
}

async fn serve<S>(sock: S, handler: Handler) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut r = BufReader::new(sock);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            r.read_line(&mut h).await?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let header = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
        };
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut wire = vec![0; len];
        r.read_exact(&mut wire).await?;
        let body = if header("content-encoding").as_deref() == Some("gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&wire[..]).read_to_end(&mut out)?;
            out
        } else {
            wire.clone()
        };
        let accepts_gzip = header("accept-encoding").is_some_and(|v| v.contains("gzip"));
        let req = Request {
            method,
            target,
            headers: headers.clone(),
            wire_len: wire.len(),
            body,
            docs: Vec::new(),
        };
        let Some(Answer {
            status,
            headers: extra,
            body,
            delay,
            gzip,
        }) = handler(req)
        else {
            return Ok(()); // reset: drop the connection unanswered
        };
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        let gzip = gzip && accepts_gzip;
        let body = if gzip {
            gz(body.as_bytes())
        } else {
            body.into_bytes()
        };
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            reason(status),
            body.len()
        );
        if gzip {
            head.push_str("Content-Encoding: gzip\r\n");
        }
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let sock = r.get_mut();
        sock.write_all(head.as_bytes()).await?;
        sock.write_all(&body).await?;
        sock.flush().await?;
    }
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
