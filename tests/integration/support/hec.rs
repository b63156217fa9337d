//! A fake Splunk HTTP Event Collector, faithful to the parts of the
//! protocol the sink uses (`shared/docs/sinks.md` §1), with scriptable
//! faults. It records every request and every indexed event id.
//!
//! - `POST /services/collector/event` (and `/services/collector`,
//!   `/event/1.0`): `Authorization: Splunk <token>` (401 code 2/3, 403
//!   code 4), channel required when the token has acks (400 code 10/11),
//!   gzip bodies, stacked JSON envelopes each validated like Splunk does
//!   (`event` required, 12; not blank, 13; flat `fields`, 15; broken JSON,
//!   6 with `invalid-event-number`; empty body, 5), `max_content_length`
//!   (413 HTML), `ackId` per channel from 0.
//! - `POST /services/collector/ack`: `{"acks":[…]}` → `{"acks":{"id":bool}}`;
//!   a `true` is reported once, then the id is forgotten (as Splunk does).
//! - `GET /services/collector/health`: 200 code 17 unless scripted.
//!
//! Faults: a queue of per-request faults (status + body, reset after
//! reading and indexing the body, delay), a standing fault, poisoned event
//! ids, acks that stay `false` for N polls or forever, a scripted `/ack`
//! answer, forgetting every channel.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// What the fake is, before any fault.
#[derive(Clone)]
pub struct HecOptions {
    pub token: String,
    /// The token has indexer acknowledgement on (`useACK`).
    pub acks: bool,
    /// Serve HTTPS with this configuration.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Bodies larger than this (as received) get 413 with an HTML page.
    pub max_content_length: Option<usize>,
    /// Keep every decoded body (off in benchmarks).
    pub keep_bodies: bool,
}

impl Default for HecOptions {
    fn default() -> Self {
        HecOptions {
            token: "00000000-0000-4000-8000-000000000001".to_owned(),
            acks: false,
            tls: None,
            max_content_length: None,
            keep_bodies: true,
        }
    }
}

/// A scripted answer to one `/event` request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer this, indexing nothing.
    Reply {
        status: u16,
        body: String,
        retry_after: Option<u64>,
    },
    /// Read and index the body, then reset the connection unanswered.
    ResetAfterIndexing,
    /// Index and answer normally, after this delay.
    Delay(Duration),
}

impl Fault {
    /// An HEC JSON error: `{"text":…,"code":…}`.
    pub fn code(status: u16, code: i64, text: &str) -> Fault {
        Fault::Reply {
            status,
            body: json!({"text": text, "code": code}).to_string(),
            retry_after: None,
        }
    }
    pub fn busy() -> Fault {
        Fault::code(503, 9, "Server is busy")
    }
    /// What a load balancer in front of HEC answers.
    pub fn html(status: u16) -> Fault {
        Fault::Reply {
            status,
            body: format!("<html><head><title>{status}</title></head><body><h1>Error {status}</h1></body></html>"),
            retry_after: None,
        }
    }
}

/// How a poisoned event is refused (400 code 6).
#[derive(Debug, Clone, Copy)]
pub struct Poison {
    /// Report `invalid-event-number`.
    pub number: bool,
    /// Index the events before the bad one (Splunk may).
    pub index_prefix: bool,
}

/// One `/event` request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub authorization: Option<String>,
    pub channel: Option<String>,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    /// Body length as received (compressed if gzip).
    pub wire_len: usize,
    /// Decoded body length.
    pub len: usize,
    pub body: Vec<u8>,
    /// Event ids in the body, in order.
    pub ids: Vec<String>,
    pub status: u16,
}

/// One `/ack` query.
#[derive(Debug, Clone)]
pub struct AckQuery {
    pub authorization: Option<String>,
    pub channel: Option<String>,
    pub ids: Vec<u64>,
    pub acked: Vec<u64>,
    pub at: Instant,
}

#[derive(Default)]
struct ChannelAcks {
    next: u64,
    /// ackId → `false` answers still to give.
    pending: HashMap<u64, usize>,
}

#[derive(Default)]
struct State {
    faults: VecDeque<Fault>,
    always: Option<Fault>,
    poison: HashMap<String, Poison>,
    indexed: Vec<String>,
    received: Vec<Received>,
    channels: HashMap<String, ChannelAcks>,
    false_polls: usize,
    never_ack: HashSet<u64>,
    never_ack_all: bool,
    ack_fault: Option<(u16, String)>,
    health: Option<(u16, String)>,
    acks: Vec<AckQuery>,
}

/// The running fake; stops when dropped.
pub struct FakeHec {
    pub addr: SocketAddr,
    https: bool,
    options: HecOptions,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeHec {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: u16, body: String) -> Reply {
    Response::builder()
        .status(status)
        .header(
            "content-type",
            if body.starts_with('<') {
                "text/html"
            } else {
                "application/json"
            },
        )
        .body(Full::new(Bytes::from(body)))
        .expect("valid response")
}

fn hec(status: u16, code: i64, text: &str) -> Reply {
    reply(status, json!({"text": text, "code": code}).to_string())
}

impl FakeHec {
    pub async fn start(options: HecOptions) -> FakeHec {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("bound");
        let state = Arc::new(Mutex::new(State::default()));
        let (st, opts) = (state.clone(), options.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(serve(tcp, st.clone(), opts.clone()));
            }
        });
        FakeHec {
            addr,
            https: options.tls.is_some(),
            options,
            state,
            task,
        }
    }

    /// The `endpoint` for the sink's configuration.
    pub fn url(&self) -> String {
        match self.https {
            true => format!("https://localhost:{}", self.addr.port()),
            false => format!("http://{}", self.addr),
        }
    }

    pub fn token(&self) -> &str {
        &self.options.token
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Faults for the next requests, one each, in order.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.lock().faults.extend(faults);
    }
    /// A fault for every request while set (after the queue is empty).
    pub fn set_always(&self, fault: Option<Fault>) {
        self.lock().always = fault;
    }
    /// Refuse requests holding the event with this id (400 code 6).
    pub fn poison(&self, id: &str, how: Poison) {
        self.lock().poison.insert(id.to_owned(), how);
    }
    /// Each ackId is reported `false` this many times before `true`.
    pub fn set_false_polls(&self, n: usize) {
        self.lock().false_polls = n;
    }
    /// These ackIds (on any channel) are never reported `true`.
    pub fn never_ack(&self, ids: impl IntoIterator<Item = u64>) {
        self.lock().never_ack.extend(ids);
    }
    /// No ackId is reported `true` while set.
    pub fn set_never_ack_all(&self, on: bool) {
        self.lock().never_ack_all = on;
    }
    /// Answer every `/ack` query with this status and HEC code.
    pub fn set_ack_fault(&self, fault: Option<(u16, i64, &str)>) {
        self.lock().ack_fault =
            fault.map(|(s, c, t)| (s, json!({"text": t, "code": c}).to_string()));
    }
    /// Forget every channel: ackIds restart at 0, pending ids are lost.
    pub fn forget_channels(&self) {
        self.lock().channels.clear();
    }
    pub fn set_health(&self, status: u16, body: &str) {
        self.lock().health = Some((status, body.to_owned()));
    }

    /// Ids of indexed events, in order, duplicates kept.
    pub fn indexed_ids(&self) -> Vec<String> {
        self.lock().indexed.clone()
    }
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }
    pub fn ack_queries(&self) -> Vec<AckQuery> {
        self.lock().acks.clone()
    }
}

async fn serve(tcp: tokio::net::TcpStream, state: Arc<Mutex<State>>, options: HecOptions) {
    let kill = Arc::new(Notify::new());
    let k = kill.clone();
    let opts = options.clone();
    let service = hyper::service::service_fn(move |req| {
        let (state, opts, kill) = (state.clone(), opts.clone(), k.clone());
        async move { Ok::<_, std::convert::Infallible>(handle(req, state, opts, kill).await) }
    });
    match &options.tls {
        Some(cfg) => {
            // A failed handshake closes normally, so the client reads the alert.
            let Ok(tls) = tokio_rustls::TlsAcceptor::from(cfg.clone())
                .accept(tcp)
                .await
            else {
                return;
            };
            rst_on_drop(tls.get_ref().0);
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service);
            tokio::select! { _ = conn => {}, _ = kill.notified() => {} }
        }
        None => {
            rst_on_drop(&tcp);
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service);
            tokio::select! { _ = conn => {}, _ = kill.notified() => {} }
        }
    }
}

/// SO_LINGER 0: dropping the socket sends RST, like a crashing server.
/// It cannot block, as nothing is left to send when the socket is dropped.
fn rst_on_drop(tcp: &tokio::net::TcpStream) {
    #[allow(deprecated)]
    let _ = tcp.set_linger(Some(Duration::ZERO));
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// An HEC error answer: status, code, text.
type Refusal = (u16, i64, &'static str);

/// Token and channel checks shared by `/event` and `/ack`.
fn admit(req: &Request<Incoming>, opts: &HecOptions) -> Result<Option<String>, Refusal> {
    match header(req, "authorization") {
        None => return Err((401, 2, "Token is required")),
        Some(a) => match a.strip_prefix("Splunk ") {
            None => return Err((401, 3, "Invalid authorization")),
            Some(t) if t != opts.token => return Err((403, 4, "Invalid token")),
            Some(_) => {}
        },
    }
    let channel = header(req, "x-splunk-request-channel");
    match &channel {
        None if opts.acks => Err((400, 10, "Data channel is missing")),
        Some(c) if !is_guid(c) => Err((400, 11, "Invalid data channel")),
        _ => Ok(channel),
    }
}

async fn handle(
    req: Request<Incoming>,
    state: Arc<Mutex<State>>,
    opts: HecOptions,
    kill: Arc<Notify>,
) -> Reply {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    match path.as_str() {
        "/services/collector/event" | "/services/collector" | "/services/collector/event/1.0" => {
            event(req, &state, &opts, &kill).await
        }
        "/services/collector/ack" | "/services/collector/ack/1.0" => ack(req, &state, &opts).await,
        "/services/collector/health" | "/services/collector/health/1.0" => {
            let health = state.lock().unwrap().health.clone();
            match health {
                Some((status, body)) => reply(status, body),
                None => hec(200, 17, "HEC is healthy"),
            }
        }
        _ => hec(404, 404, "The requested URL was not found on this server."),
    }
}

/// The outcome of checking a decoded body like Splunk does.
struct Parsed {
    ids: Vec<String>,
    /// `(index, code, text, count to index before it)`.
    error: Option<(Option<usize>, i64, &'static str, usize)>,
}

fn event_id(v: &Value) -> Option<String> {
    v["event"]["id"]
        .as_str()
        .or_else(|| v["fields"]["event_id"].as_str())
        .map(str::to_owned)
}

fn parse(body: &[u8], poison: &HashMap<String, Poison>) -> Parsed {
    let mut ids = Vec::new();
    for (i, item) in serde_json::Deserializer::from_slice(body)
        .into_iter::<Value>()
        .enumerate()
    {
        let fail = |code, text| Parsed {
            ids: ids.clone(),
            error: Some((Some(i), code, text, 0)),
        };
        let Ok(v) = item else {
            return fail(6, "Invalid data format");
        };
        if !v.is_object() {
            return fail(6, "Invalid data format");
        }
        match v.get("event") {
            None | Some(Value::Null) => return fail(12, "Event field is required"),
            Some(Value::String(s)) if s.is_empty() => {
                return fail(13, "Event field cannot be blank")
            }
            _ => {}
        }
        if let Some(f) = v.get("fields") {
            let flat = f.as_object().is_some_and(|m| {
                m.values().all(|x| match x {
                    Value::Object(_) => false,
                    Value::Array(a) => a.iter().all(|y| !y.is_object() && !y.is_array()),
                    _ => true,
                })
            });
            if !flat {
                return fail(15, "Error in handling indexed fields");
            }
        }
        let id = event_id(&v).unwrap_or_default();
        if let Some(p) = poison.get(&id) {
            let before = if p.index_prefix { i } else { 0 };
            return Parsed {
                ids,
                error: Some((p.number.then_some(i), 6, "Invalid data format", before)),
            };
        }
        ids.push(id);
    }
    if ids.is_empty() {
        return Parsed {
            ids,
            error: Some((None, 5, "No data", 0)),
        };
    }
    Parsed { ids, error: None }
}

async fn event(
    req: Request<Incoming>,
    state: &Mutex<State>,
    opts: &HecOptions,
    kill: &Notify,
) -> Reply {
    let admitted = admit(&req, opts);
    let authorization = header(&req, "authorization");
    let content_type = header(&req, "content-type");
    let content_encoding = header(&req, "content-encoding");
    let wire = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return hec(400, 6, "Invalid data format"),
    };
    let channel = match admitted {
        Ok(c) => c,
        Err((status, code, text)) => return hec(status, code, text),
    };
    let mut rec = Received {
        authorization,
        channel: channel.clone(),
        content_type,
        content_encoding: content_encoding.clone(),
        wire_len: wire.len(),
        len: 0,
        body: Vec::new(),
        ids: Vec::new(),
        status: 200,
    };
    let fault = {
        let mut st = state.lock().unwrap();
        st.faults.pop_front().or_else(|| st.always.clone())
    };
    let delay = match &fault {
        Some(Fault::Delay(d)) => Some(*d),
        _ => None,
    };
    let (response, reset) = {
        let mut st = state.lock().unwrap();
        let (resp, reset) = match fault {
            Some(Fault::Reply {
                status,
                body,
                retry_after,
            }) => {
                let mut r = reply(status, body);
                if let Some(s) = retry_after {
                    r.headers_mut().insert("retry-after", s.into());
                }
                (r, false)
            }
            Some(Fault::ResetAfterIndexing) => (
                index(&mut st, opts, &mut rec, &wire, channel.as_deref()),
                true,
            ),
            Some(Fault::Delay(_)) | None => (
                index(&mut st, opts, &mut rec, &wire, channel.as_deref()),
                false,
            ),
        };
        rec.status = resp.status().as_u16();
        st.received.push(rec);
        (resp, reset)
    };
    if reset {
        kill.notify_one();
        std::future::pending::<()>().await;
    }
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    response
}

/// Checks and indexes one body; the answer Splunk would give.
fn index(
    st: &mut State,
    opts: &HecOptions,
    rec: &mut Received,
    wire: &[u8],
    channel: Option<&str>,
) -> Reply {
    if opts.max_content_length.is_some_and(|max| wire.len() > max) {
        return reply(
            413,
            "<html><title>413 Content-Length of request too large</title></html>".to_owned(),
        );
    }
    let body = if rec.content_encoding.as_deref() == Some("gzip") {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(wire)
            .read_to_end(&mut out)
            .is_err()
        {
            return hec(400, 6, "Invalid data format");
        }
        out
    } else {
        wire.to_vec()
    };
    rec.len = body.len();
    let parsed = parse(&body, &st.poison);
    rec.ids = parsed.ids.clone();
    if opts.keep_bodies {
        rec.body = body;
    }
    if let Some((number, code, text, before)) = parsed.error {
        st.indexed.extend(parsed.ids.into_iter().take(before));
        let mut b = json!({"text": text, "code": code});
        if let Some(n) = number {
            b["invalid-event-number"] = json!(n);
        }
        return reply(400, b.to_string());
    }
    st.indexed.extend(parsed.ids);
    let mut b = json!({"text": "Success", "code": 0});
    if opts.acks {
        let false_polls = st.false_polls;
        let ch = st
            .channels
            .entry(channel.unwrap_or_default().to_owned())
            .or_default();
        let id = ch.next;
        ch.next += 1;
        ch.pending.insert(id, false_polls);
        b["ackId"] = json!(id);
    }
    reply(200, b.to_string())
}

#[derive(serde::Deserialize)]
struct AckBody {
    acks: Vec<u64>,
}

async fn ack(req: Request<Incoming>, state: &Mutex<State>, opts: &HecOptions) -> Reply {
    let admitted = admit(&req, opts);
    let authorization = header(&req, "authorization");
    let channel = header(&req, "x-splunk-request-channel");
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut st = state.lock().unwrap();
    let mut query = AckQuery {
        authorization,
        channel: channel.clone(),
        ids: Vec::new(),
        acked: Vec::new(),
        at: Instant::now(),
    };
    let answer = (|| {
        if let Err((status, code, text)) = admitted {
            return hec(status, code, text);
        }
        if let Some((status, body)) = st.ack_fault.clone() {
            return reply(status, body);
        }
        if !opts.acks {
            return hec(400, 14, "ACK is disabled");
        }
        let Ok(q) = serde_json::from_slice::<AckBody>(&body) else {
            return hec(400, 6, "Invalid data format");
        };
        query.ids = q.acks.clone();
        let never_all = st.never_ack_all;
        let never = st.never_ack.clone();
        let ch = st
            .channels
            .entry(channel.clone().unwrap_or_default())
            .or_default();
        let mut out = serde_json::Map::new();
        for id in q.acks {
            let done = match ch.pending.get_mut(&id) {
                Some(_) if never_all || never.contains(&id) => false,
                Some(0) => {
                    ch.pending.remove(&id);
                    true
                }
                Some(n) => {
                    *n -= 1;
                    false
                }
                None => false,
            };
            if done {
                query.acked.push(id);
            }
            out.insert(id.to_string(), json!(done));
        }
        reply(200, json!({ "acks": out }).to_string())
    })();
    st.acks.push(query);
    answer
}
