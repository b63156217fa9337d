//! The fake's protocol side: admission (token, channel), the `/event`
//! body checks Splunk makes, indexing, and `/ack`.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::Request;
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::{hec, reply, AckQuery, Fault, HecOptions, Poison, Received, Reply, State};

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

pub(super) async fn handle(
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
        let matching = st
            .when_body_has
            .as_ref()
            .filter(|(needle, _)| wire.windows(needle.len()).any(|w| w == needle.as_bytes()))
            .map(|(_, f)| f.clone());
        matching.or_else(|| st.faults.pop_front().or_else(|| st.always.clone()))
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
    let ids = parsed.ids;
    let mut b = json!({"text": "Success", "code": 0});
    if opts.acks {
        let false_polls = st.false_polls;
        let ch = st
            .channels
            .entry(channel.unwrap_or_default().to_owned())
            .or_default();
        let id = ch.next;
        ch.next += 1;
        ch.pending.insert(id, (false_polls, ids.clone()));
        b["ackId"] = json!(id);
    }
    st.indexed.extend(ids);
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
        let mut acked_events = Vec::new();
        for id in q.acks {
            let done = match ch.pending.get_mut(&id) {
                Some(_) if never_all || never.contains(&id) => false,
                Some((0, _)) => {
                    let (_, ids) = ch.pending.remove(&id).expect("just seen");
                    acked_events.extend(ids);
                    true
                }
                Some((n, _)) => {
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
        st.acked.extend(acked_events);
        reply(200, json!({ "acks": out }).to_string())
    })();
    st.acks.push(query);
    answer
}
