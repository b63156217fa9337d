//! A scriptable fake Elasticsearch `_bulk` server, in-process, for the
//! error paths osmem-server cannot produce (429, 5xx, 413, resets,
//! garbage, short item lists, delays), over the hand-written HTTP/1.1 of
//! `es_http.rs`. Self-contained: the benches include it by `#[path]`
//! (`benches/support/mod.rs`).
//!
//! By default it behaves like Elasticsearch: `create` stores a new `_id`
//! (201) and refuses a stored one (409), `index` stores or overwrites.
//! Queued [`Reply`]s override that one request at a time.

#![allow(dead_code)]

#[path = "es_http.rs"]
mod http;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::Answer;

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Like Elasticsearch (see the module doc).
    Bulk,
    /// These item statuses, in order: 2xx stores the document; 409, 429,
    /// 400 and 5xx come with the error type ES uses for them.
    Items(Vec<u16>),
    /// A whole-request answer.
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Read the request (storing its documents when `store`), then close
    /// the connection without answering.
    Reset { store: bool },
    /// Wait, then answer.
    Delayed(Duration, Box<Reply>),
}

impl Reply {
    pub fn status(status: u16, body: &str) -> Reply {
        Reply::Http {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }
}

/// One document of a recorded request.
#[derive(Debug, Clone)]
pub struct Doc {
    pub op: String,
    pub index: String,
    pub id: String,
    /// The source line as received.
    pub source: String,
}

/// One request as received (body decompressed).
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// Body bytes on the wire (compressed when gzip).
    pub wire_len: usize,
    pub body: Vec<u8>,
    pub docs: Vec<Doc>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn ids(&self) -> Vec<String> {
        self.docs.iter().map(|d| d.id.clone()).collect()
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Reply>,
    requests: Vec<Request>,
    /// `_id` → (index, source) of what is stored.
    stored: HashMap<String, (String, String)>,
    /// `_id` → how many times a write stored it (1 = exactly once).
    writes: HashMap<String, usize>,
    max_body: Option<usize>,
    auth: Option<String>,
    data_streams: HashSet<String>,
    gzip_responses: bool,
    /// Keep requests (off for benchmarks).
    record: bool,
    /// Every k-th document the default answer sees gets an item-level 429.
    item_429_every: Option<usize>,
    /// Documents seen by the default answer (where the k-th count runs).
    item_count: usize,
}

/// A running fake; stops when dropped.
pub struct FakeEs {
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeEs {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeEs {
    /// Starts on a free port of 127.0.0.1.
    pub async fn start() -> FakeEs {
        FakeEs::listen(None).await
    }

    /// Starts an HTTPS fake with this server configuration.
    pub async fn start_tls(config: Arc<rustls::ServerConfig>) -> FakeEs {
        FakeEs::listen(Some(tokio_rustls::TlsAcceptor::from(config))).await
    }

    async fn listen(tls: Option<tokio_rustls::TlsAcceptor>) -> FakeEs {
        let state = Arc::new(Mutex::new(State {
            record: true,
            ..State::default()
        }));
        let s = state.clone();
        let (url, task) = http::listen(tls, Arc::new(move |req| decide(&s, req))).await;
        FakeEs { url, state, task }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// Queues answers for the next requests, in order.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.with(|s| s.script.extend(replies));
    }
    /// Answer 413 to bodies larger than this on the wire.
    pub fn max_body(&self, bytes: Option<usize>) {
        self.with(|s| s.max_body = bytes);
    }
    /// Require this `Authorization` header (401 otherwise).
    pub fn require_auth(&self, header: Option<&str>) {
        self.with(|s| s.auth = header.map(str::to_owned));
    }
    pub fn data_stream(&self, name: &str) {
        self.with(|s| s.data_streams.insert(name.to_owned()));
    }
    /// Gzip responses when the request accepts it.
    pub fn gzip_responses(&self, on: bool) {
        self.with(|s| s.gzip_responses = on);
    }
    /// Keep requests and document sources (off for benchmarks).
    pub fn record(&self, on: bool) {
        self.with(|s| s.record = on);
    }
    /// While set, every k-th document (counted across requests) gets an item-level
    /// 429 `es_rejected_execution_exception` (the rest as usual).
    pub fn item_429_every(&self, k: Option<usize>) {
        self.with(|s| s.item_429_every = k);
    }
    pub fn requests(&self) -> Vec<Request> {
        self.with(|s| s.requests.clone())
    }
    /// How many times each id was stored by a write (409s do not count).
    pub fn writes(&self) -> HashMap<String, usize> {
        self.with(|s| s.writes.clone())
    }
    pub fn stored(&self, id: &str) -> Option<(String, String)> {
        self.with(|s| s.stored.get(id).cloned())
    }
    pub fn stored_count(&self) -> usize {
        self.with(|s| s.stored.len())
    }
}

/// Applies the request to the state and picks the answer.
fn decide(state: &Mutex<State>, mut req: Request) -> Option<Answer> {
    let mut s = state.lock().unwrap();
    req.docs = parse_docs(&req.body);
    let scripted = if req.target.starts_with("/_bulk") {
        s.script.pop_front()
    } else {
        None
    };
    let (mut reply, mut delay) = (scripted.unwrap_or(Reply::Bulk), None);
    while let Reply::Delayed(d, inner) = reply {
        delay = Some(d);
        reply = *inner;
    }
    let answer = answer(&mut s, &req, reply).map(|(status, headers, body)| Answer {
        status,
        headers,
        body,
        delay,
        gzip: s.gzip_responses,
    });
    if s.record {
        s.requests.push(req);
    }
    answer
}

/// `(status, extra headers, body)`, or `None` to drop the connection.
type Raw = Option<(u16, Vec<(String, String)>, String)>;

fn answer(s: &mut State, req: &Request, reply: Reply) -> Raw {
    let err = |status: u16, kind: &str, reason: &str| {
        Some((
            status,
            Vec::new(),
            format!(r#"{{"error":{{"type":"{kind}","reason":"{reason}"}},"status":{status}}}"#),
        ))
    };
    if let Some(want) = &s.auth {
        if req.header("authorization") != Some(want.as_str()) {
            return err(
                401,
                "security_exception",
                "missing authentication credentials for REST request [/_bulk]",
            );
        }
    }
    if req.method == "GET" && req.target == "/" {
        return Some((200, Vec::new(), r#"{"name":"fake","version":{"number":"8.15.0","build_flavor":"default"},"tagline":"You Know, for Search"}"#.into()));
    }
    if !req.target.starts_with("/_bulk") {
        return err(404, "resource_not_found_exception", "no handler");
    }
    if s.max_body.is_some_and(|m| req.wire_len > m) {
        return Some((
            413,
            Vec::new(),
            "<html><body>413 Request Entity Too Large</body></html>".into(),
        ));
    }
    let ct = req.header("content-type").unwrap_or_default();
    if !ct.starts_with("application/x-ndjson") && !ct.starts_with("application/json") {
        return err(
            406,
            "media_type_header_exception",
            "unsupported Content-Type",
        );
    }
    if req.body.last() != Some(&b'\n') {
        return err(
            400,
            "illegal_argument_exception",
            "The bulk request must be terminated by a newline [\\\\n]",
        );
    }
    let statuses: Vec<u16> = match reply {
        Reply::Http {
            status,
            headers,
            body,
        } => return Some((status, headers, body)),
        Reply::Reset { store } => {
            if store {
                for d in &req.docs {
                    default_status(s, d);
                }
            }
            return None;
        }
        Reply::Items(list) => {
            for (d, st) in req.docs.iter().zip(&list) {
                if (200..300).contains(st) {
                    store(s, d);
                }
            }
            list
        }
        Reply::Bulk | Reply::Delayed(..) => {
            let mut statuses = Vec::with_capacity(req.docs.len());
            for d in &req.docs {
                // Counted across requests: a resent lone document passes too.
                s.item_count += 1;
                let rejected = s
                    .item_429_every
                    .is_some_and(|k| s.item_count % k.max(1) == 0);
                statuses.push(if rejected { 429 } else { default_status(s, d) });
            }
            statuses
        }
    };
    let items: Vec<String> = req
        .docs
        .iter()
        .zip(&statuses)
        .map(|(d, st)| item(d, *st))
        .collect();
    let errors = statuses.iter().any(|s| !(200..300).contains(s));
    Some((
        200,
        Vec::new(),
        format!(
            r#"{{"took":1,"errors":{errors},"items":[{}]}}"#,
            items.join(",")
        ),
    ))
}

/// What Elasticsearch does with one document.
fn default_status(s: &mut State, d: &Doc) -> u16 {
    if s.data_streams.contains(&d.index) && d.op != "create" {
        return 400;
    }
    if d.op == "create" && s.stored.contains_key(&d.id) {
        return 409;
    }
    store(s, d);
    201
}

fn store(s: &mut State, d: &Doc) {
    // Benchmarks keep ids only: 100k sources would be hundreds of MB.
    let source = if s.record {
        d.source.clone()
    } else {
        String::new()
    };
    s.stored.insert(d.id.clone(), (d.index.clone(), source));
    *s.writes.entry(d.id.clone()).or_default() += 1;
}

fn item(d: &Doc, status: u16) -> String {
    let (kind, reason) = match status {
        200..=299 => {
            return format!(
                r#"{{"{}":{{"_index":"{}","_id":{},"status":{status},"result":"created"}}}}"#,
                d.op,
                d.index,
                json(&d.id)
            )
        }
        409 => (
            "version_conflict_engine_exception",
            "version conflict, document already exists",
        ),
        429 => (
            "es_rejected_execution_exception",
            "rejected execution of coordinating operation",
        ),
        400 if d.op != "create" => (
            "illegal_argument_exception",
            "only write ops with an op_type of create are allowed in data streams",
        ),
        400 => (
            "mapper_parsing_exception",
            "failed to parse field [enrichment.time] of type [date]",
        ),
        404 => ("index_not_found_exception", "no such index"),
        _ => (
            "unavailable_shards_exception",
            "primary shard is not active",
        ),
    };
    format!(
        r#"{{"{}":{{"_index":"{}","_id":{},"status":{status},"error":{{"type":"{kind}","reason":"{reason}"}}}}}}"#,
        d.op,
        d.index,
        json(&d.id)
    )
}

fn parse_docs(body: &[u8]) -> Vec<Doc> {
    let mut lines = body.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let mut out = Vec::new();
    while let Some(action) = lines.next() {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(action) else {
            break;
        };
        let Some((op, meta)) = v.as_object().and_then(|o| o.iter().next()) else {
            break;
        };
        let source = lines
            .next()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .unwrap_or_default();
        out.push(Doc {
            op: op.clone(),
            index: meta["_index"].as_str().unwrap_or_default().to_owned(),
            id: meta["_id"].as_str().unwrap_or_default().to_owned(),
            source,
        });
    }
    out
}

fn json(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}
