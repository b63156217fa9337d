//! A fake webhook receiver, in-process on hyper (the HEC fake's style):
//! a generic JSON endpoint, or a PagerDuty Events API v2 `/v2/enqueue`
//! that checks what PagerDuty documents (routing key of 32 characters,
//! `event_action`, `payload.summary` ≤ 1024 characters, `source`,
//! `severity` in critical|error|warning|info, `dedup_key` ≤ 255) and
//! answers 202 / 400 with PagerDuty's bodies. Scripted replies (status,
//! body, `Retry-After`, delay) override one request at a time.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{json, Value};

use super::http_fake::{listen, serve_http1, Reply};

/// What the receiver is.
#[derive(Clone, Default)]
pub struct ReceiverOptions {
    /// Behave like PagerDuty's `/v2/enqueue`.
    pub pagerduty: bool,
    /// Require this `Authorization` header (401 without, 403 when wrong).
    pub authorization: Option<String>,
    /// Serve HTTPS with this configuration.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// A scripted answer to one request.
#[derive(Debug, Clone)]
pub enum Script {
    /// Answer this without accepting the alert.
    Reply {
        status: u16,
        body: String,
        retry_after: Option<u64>,
    },
    /// Accept normally, after this delay.
    Delay(Duration),
}

impl Script {
    pub fn status(status: u16, body: &str) -> Script {
        Script::Reply {
            status,
            body: body.to_owned(),
            retry_after: None,
        }
    }
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub status: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Script>,
    received: Vec<Received>,
    /// Alert ids answered 2xx, in order, duplicates kept.
    accepted: Vec<String>,
}

/// The running receiver; stops when dropped.
pub struct FakeReceiver {
    pub addr: SocketAddr,
    options: ReceiverOptions,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn reply(status: u16, body: String, retry_after: Option<u64>) -> Reply {
    let mut r = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    if let Some(s) = retry_after {
        r = r.header("retry-after", s.to_string());
    }
    r.body(Full::new(Bytes::from(body)))
        .expect("valid response")
}

impl FakeReceiver {
    pub async fn start(options: ReceiverOptions) -> FakeReceiver {
        let state = Arc::new(Mutex::new(State::default()));
        let (st, opts) = (state.clone(), options.clone());
        let (addr, task) = listen(move |tcp| serve(tcp, st.clone(), opts.clone())).await;
        FakeReceiver {
            addr,
            options,
            state,
            task,
        }
    }

    /// The sink's `url`.
    pub fn url(&self) -> String {
        let path = if self.options.pagerduty {
            "/v2/enqueue"
        } else {
            "/hooks/alerts"
        };
        match self.options.tls {
            Some(_) => format!("https://localhost:{}{path}", self.addr.port()),
            None => format!("http://{}{path}", self.addr),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Answers for the next requests, one each, in order.
    pub fn script(&self, s: impl IntoIterator<Item = Script>) {
        self.lock().script.extend(s);
    }
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }
    /// Ids of the alerts answered 2xx, in order, duplicates kept.
    pub fn accepted_ids(&self) -> Vec<String> {
        self.lock().accepted.clone()
    }
}

async fn serve(tcp: tokio::net::TcpStream, state: Arc<Mutex<State>>, options: ReceiverOptions) {
    let tls = options.tls.clone();
    let handler = move |req| handle(req, state.clone(), options.clone());
    serve_http1(tcp, tls, |_| {}, None, handler).await;
}

async fn handle(req: Request<Incoming>, state: Arc<Mutex<State>>, opts: ReceiverOptions) -> Reply {
    let path = req.uri().path().to_owned();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let scripted = state.lock().unwrap().script.pop_front();
    let (status, text, retry_after) = match scripted {
        Some(Script::Reply {
            status,
            body,
            retry_after,
        }) => (status, body, retry_after),
        Some(Script::Delay(d)) => {
            tokio::time::sleep(d).await;
            decide(&opts, auth.as_deref(), &body)
        }
        None => decide(&opts, auth.as_deref(), &body),
    };
    let mut s = state.lock().unwrap();
    if (200..300).contains(&status) {
        let id = if opts.pagerduty {
            &body["dedup_key"]
        } else {
            &body["id"]
        };
        s.accepted.push(id.as_str().unwrap_or_default().to_owned());
    }
    s.received.push(Received {
        path,
        headers,
        body,
        status,
    });
    reply(status, text, retry_after)
}

/// The receiver's own answer.
fn decide(opts: &ReceiverOptions, auth: Option<&str>, body: &Value) -> (u16, String, Option<u64>) {
    if let Some(want) = &opts.authorization {
        match auth {
            None => return (401, json!({"error": "unauthorized"}).to_string(), None),
            Some(a) if a != want => return (403, json!({"error": "forbidden"}).to_string(), None),
            Some(_) => {}
        }
    }
    if !opts.pagerduty {
        return match body.get("id") {
            Some(_) => (200, json!({"ok": true}).to_string(), None),
            None => (400, json!({"error": "not an alert"}).to_string(), None),
        };
    }
    let errors = pagerduty_errors(body);
    if errors.is_empty() {
        let body = json!({"status": "success", "message": "Event processed", "dedup_key": body["dedup_key"]});
        (202, body.to_string(), None)
    } else {
        let body = json!({"status": "invalid event", "message": "Event object is invalid", "errors": errors});
        (400, body.to_string(), None)
    }
}

/// What PagerDuty would refuse in an Events API v2 body.
pub fn pagerduty_errors(b: &Value) -> Vec<String> {
    let mut e = Vec::new();
    let len = |v: &Value| v.as_str().map(|s| s.chars().count());
    if len(&b["routing_key"]) != Some(32) {
        e.push("Length of 'routing_key' is incorrect (should be 32 characters)".to_owned());
    }
    if !matches!(
        b["event_action"].as_str(),
        Some("trigger" | "acknowledge" | "resolve")
    ) {
        e.push("'event_action' is invalid".to_owned());
    }
    if len(&b["dedup_key"]).is_some_and(|n| n > 255) {
        e.push("'dedup_key' is too long".to_owned());
    }
    let p = &b["payload"];
    if !len(&p["summary"]).is_some_and(|n| (1..=1024).contains(&n)) {
        e.push("'payload.summary' is missing or too long".to_owned());
    }
    if len(&p["source"]).is_none_or(|n| n == 0) {
        e.push("'payload.source' is missing or blank".to_owned());
    }
    if !matches!(
        p["severity"].as_str(),
        Some("critical" | "error" | "warning" | "info")
    ) {
        e.push("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')".to_owned());
    }
    e
}
