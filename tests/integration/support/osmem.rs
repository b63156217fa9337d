//! `osmem-server` (PyPI, an in-memory OpenSearch emulator installed by
//! `scripts/setup.sh`): the real `_bulk` protocol for happy paths, 409
//! dedup and mapping errors. One server per test, on a free port; it exits
//! with the test process (`-parent-pid`, and its stdin closing).
//! The benches include this file too (`benches/support/mod.rs`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};

use serde_json::Value;

pub struct Osmem {
    pub url: String,
    child: Child,
    _stdin: ChildStdin,
    http: reqwest::Client,
}

impl Drop for Osmem {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `OSMEM_SERVER_BIN`, else `osmem-server` on PATH, else the binary inside
/// the Python package (the wheel ships no console script) of the virtual
/// environment `scripts/setup-python.sh` makes (`$SIEM_BRIDGE_VENV`, default
/// `.tools/venv`), else of the system's `python3`.
fn binary() -> String {
    if let Ok(b) = std::env::var("OSMEM_SERVER_BIN") {
        return b;
    }
    if Command::new("osmem-server")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return "osmem-server".to_owned();
    }
    let venv = std::env::var("SIEM_BRIDGE_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/venv"));
    let venv_python = venv.join("bin/python");
    let python = if venv_python.exists() {
        venv_python.display().to_string()
    } else {
        "python3".to_owned()
    };
    let out = Command::new(&python)
        .args([
            "-c",
            "import osmem_server; print(osmem_server.resolve_binary())",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{python} runs: {e}"));
    assert!(
        out.status.success(),
        "osmem-server is not installed: run scripts/setup.sh ({})",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

impl Osmem {
    pub fn start() -> Osmem {
        let mut child = Command::new(binary())
            .args(["-addr", "127.0.0.1:0", "-no-ja", "-parent-pid"])
            .arg(std::process::id().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start osmem-server");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("osmem-server said {line:?}: {e}"));
        Osmem {
            url: v["url"].as_str().unwrap().to_owned(),
            child,
            _stdin: stdin,
            http: reqwest::Client::new(),
        }
    }

    pub async fn put(&self, path: &str, body: &str) -> Value {
        let r = self
            .http
            .put(format!("{}{path}", self.url))
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        json(r).await
    }

    pub async fn get(&self, path: &str) -> Value {
        json(
            self.http
                .get(format!("{}{path}", self.url))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn refresh(&self) {
        self.http
            .post(format!("{}/_refresh", self.url))
            .send()
            .await
            .unwrap();
    }

    /// Every stored document of `index` (glob allowed): `_id` → `_source`.
    pub async fn documents(&self, index: &str) -> Vec<(String, String, Value)> {
        self.refresh().await;
        let r = json(
            self.http
                .post(format!("{}/{index}/_search", self.url))
                .header("Content-Type", "application/json")
                .body(r#"{"size":10000,"query":{"match_all":{}}}"#)
                .send()
                .await
                .unwrap(),
        )
        .await;
        r["hits"]["hits"]
            .as_array()
            .unwrap_or_else(|| panic!("search answered {r}"))
            .iter()
            .map(|h| {
                (
                    h["_index"].as_str().unwrap().to_owned(),
                    h["_id"].as_str().unwrap().to_owned(),
                    h["_source"].clone(),
                )
            })
            .collect()
    }
}

impl Osmem {
    /// Every `_id` of `index`, paged by `search_after` (a search answers
    /// at most 10,000 hits).
    pub async fn all_ids(&self, index: &str) -> Vec<String> {
        self.refresh().await;
        let mut out: Vec<String> = Vec::new();
        loop {
            let mut q = serde_json::json!({"size": 10000, "sort": [{"_id": "asc"}],
                "_source": false, "query": {"match_all": {}}});
            if let Some(last) = out.last() {
                q["search_after"] = serde_json::json!([last]);
            }
            let r = self
                .http
                .post(format!("{}/{index}/_search", self.url))
                .header("Content-Type", "application/json")
                .body(q.to_string())
                .send()
                .await
                .unwrap();
            let v = json(r).await;
            let hits = v["hits"]["hits"].as_array().cloned().unwrap_or_default();
            if hits.is_empty() {
                return out;
            }
            out.extend(
                hits.iter()
                    .filter_map(|h| h["_id"].as_str().map(str::to_owned)),
            );
        }
    }
}

async fn json(r: reqwest::Response) -> Value {
    let bytes = r.bytes().await.unwrap();
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)))
}
