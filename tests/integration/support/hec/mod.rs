//! A fake Splunk HTTP Event Collector, faithful to the parts of the
//! protocol the sink uses (`docs/sinks.md` §1), with scriptable
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
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use serde_json::json;
use tokio::sync::Notify;

mod protocol;
use super::http_fake::{listen, serve_http1, Reply};
use protocol::handle;

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
    /// ackId → (`false` answers still to give, ids of its events).
    pending: HashMap<u64, (usize, Vec<String>)>,
}

#[derive(Default)]
struct State {
    faults: VecDeque<Fault>,
    always: Option<Fault>,
    /// Requests whose (uncompressed) body contains the text get the fault.
    when_body_has: Option<(String, Fault)>,
    poison: HashMap<String, Poison>,
    indexed: Vec<String>,
    /// Ids of events whose ackId was reported `true`.
    acked: Vec<String>,
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
        let state = Arc::new(Mutex::new(State::default()));
        let (st, opts) = (state.clone(), options.clone());
        let (addr, task) = listen(move |tcp| serve(tcp, st.clone(), opts.clone())).await;
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
    /// Every request whose body (sent uncompressed) contains `needle`
    /// gets `fault` until cleared with `None`.
    pub fn fail_when_body_has(&self, rule: Option<(&str, Fault)>) {
        self.lock().when_body_has = rule.map(|(n, f)| (n.to_owned(), f));
    }

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
    /// Ids indexed from position `from` on: a cheap poll for
    /// `examples/e2e/`, which times every event's arrival.
    #[allow(dead_code)]
    pub fn indexed_since(&self, from: usize) -> Vec<String> {
        self.lock()
            .indexed
            .get(from..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }
    /// Ids of events whose request was acknowledged `true`, in order.
    pub fn acked_ids(&self) -> Vec<String> {
        self.lock().acked.clone()
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
    let tls = options.tls.clone();
    let handler = move |req| handle(req, state.clone(), options.clone(), k.clone());
    serve_http1(tcp, tls, rst_on_drop, Some(kill), handler).await;
}

/// SO_LINGER 0: dropping the socket sends RST, like a crashing server.
/// It cannot block, as nothing is left to send when the socket is dropped.
fn rst_on_drop(tcp: &tokio::net::TcpStream) {
    #[allow(deprecated)]
    let _ = tcp.set_linger(Some(Duration::ZERO));
}
