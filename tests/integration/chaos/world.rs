//! One chaos world: a broker (tansu, or librdkafka's mock cluster in a
//! process of its own for the group scenario), the three sinks (fake HEC, an
//! Elasticsearch — osmem-server or the in-repo fake — and rsyslog behind a
//! reset proxy), the bridge's configuration, and what each sink received.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::support::es::FakeEs;
use crate::support::hec::{FakeHec, HecOptions};
use crate::support::kafka::TOPIC;
use crate::support::osmem::Osmem;
use crate::support::tansu::Tansu;
use crate::syslog::rsyslogd::Rsyslog;

use super::procs::{free_port, Bridge, ResetProxy};

pub const PARTITIONS: i32 = 4;
pub const GROUP: &str = "chaos";
const INDEX: &str = "chaos";

pub enum Es {
    Osmem(Osmem),
    Fake(FakeEs),
}

/// The broker of a world, in a process of its own.
pub enum Kafka {
    Tansu(Tansu),
    /// librdkafka's mock cluster (the `mock-kafka` helper). tansu 0.6
    /// keeps a `kill -9`ed member in its group for good (no session
    /// expiry: its partitions are never reassigned), so the scenario that
    /// kills group members runs here, where sessions expire as in Kafka.
    Mock(crate::process::KafkaProcess),
}

impl Kafka {
    /// The bridges' `session_timeout_ms`. Short on the mock cluster, so a
    /// killed member's partitions move on soon. Long on tansu: tansu never
    /// expires a session anyway, and a member whose own session timed out
    /// (a heartbeat late by seconds on a loaded machine) is never given its
    /// partitions back after it rejoins, so a short session there only adds
    /// stalls (RELIABILITY.md).
    pub fn session_timeout_ms(&self) -> u64 {
        match self {
            Kafka::Mock(_) => 6_000,
            Kafka::Tansu(_) => 45_000,
        }
    }

    pub fn bootstrap(&self) -> &str {
        match self {
            Kafka::Tansu(t) => &t.bootstrap,
            Kafka::Mock(m) => &m.bootstrap,
        }
    }

    /// `kill -9` of the broker (tansu only).
    pub fn kill(&mut self) {
        match self {
            Kafka::Tansu(t) => t.kill(),
            Kafka::Mock(_) => panic!("the mock broker is not restarted"),
        }
    }

    /// The broker again on the same port and database (tansu only).
    pub fn restart(&mut self) {
        match self {
            Kafka::Tansu(t) => t.restart(),
            Kafka::Mock(_) => panic!("the mock broker is not restarted"),
        }
    }
}

pub struct World {
    pub dir: tempfile::TempDir,
    pub kafka: Kafka,
    pub hec: FakeHec,
    pub es: Es,
    pub syslog: Rsyslog,
    pub proxy: ResetProxy,
    pub config: PathBuf,
    pub dead_letter: PathBuf,
    /// `[observability] listen` port (one member at a time uses it).
    pub obs_port: u16,
    spawned: usize,
}

/// What one sink received: id → times.
pub type Seen = HashMap<String, usize>;

impl World {
    /// `osmem`: the real `_bulk` emulator; else the in-repo fake (item-level
    /// 429s, no 10,000-hit paging cost).
    pub async fn start(osmem: bool) -> World {
        let kafka = Tansu::start();
        kafka.create_topic(TOPIC, PARTITIONS);
        World::with(Kafka::Tansu(kafka), osmem).await
    }

    /// A world on librdkafka's mock cluster in its own process.
    pub async fn start_on_mock(osmem: bool) -> World {
        let kafka = crate::process::KafkaProcess::start(PARTITIONS);
        World::with(Kafka::Mock(kafka), osmem).await
    }

    async fn with(kafka: Kafka, osmem: bool) -> World {
        let hec = FakeHec::start(HecOptions {
            keep_bodies: false,
            ..Default::default()
        })
        .await;
        let es = match osmem {
            true => Es::Osmem(Osmem::start()),
            false => {
                let es = FakeEs::start().await;
                es.record(false);
                Es::Fake(es)
            }
        };
        let syslog = Rsyslog::start();
        let proxy = ResetProxy::start(([127, 0, 0, 1], syslog.tcp).into()).await;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        let dead_letter = dir.path().join("dead-letter.ndjson");
        let obs_port = free_port();
        let mut w = World {
            dir,
            kafka,
            hec,
            es,
            syslog,
            proxy,
            config,
            dead_letter,
            obs_port,
            spawned: 0,
        };
        std::fs::write(&w.config, w.config_text(obs_port)).unwrap();
        w.spawned = 0;
        w
    }

    fn config_text(&self, obs_port: u16) -> String {
        let (es_url, flavor) = match &self.es {
            Es::Osmem(o) => (o.url.clone(), "opensearch"),
            Es::Fake(f) => (f.url.clone(), "elasticsearch"),
        };
        format!(
            r#"
[kafka]
bootstrap_servers = "{bootstrap}"
group_id = "{GROUP}"
security_protocol = "plaintext"
session_timeout_ms = {session_ms}
commit_interval_ms = 200
auto_offset_reset = "earliest"
{kafka_extra}

[pipeline]
batch_max_events = 200
batch_linger_ms = 20
shutdown_timeout_ms = 3000
retry_initial_ms = 20
retry_max_ms = 500
misconfigured_retry_ms = 300

[dead_letter]
path = "{dl}"

[observability]
listen = "127.0.0.1:{obs_port}"

[[sinks]]
type = "splunk_hec"
name = "hec"
endpoint = "{hec}"
token = "{token}"
request_timeout_ms = 2000

[[sinks]]
type = "elasticsearch"
name = "es"
endpoint = "{es_url}"
flavor = "{flavor}"
index = "{INDEX}"
compression = "none"
timeout_secs = 2

[[sinks]]
type = "syslog"
name = "syslog"
address = "{syslog}"
protocol = "tcp"
hostname = "chaos"
settle_ms = 300
write_timeout_secs = 2
reconnect_backoff_max_ms = 500
"#,
            bootstrap = self.kafka.bootstrap(),
            dl = self.dead_letter.display(),
            hec = self.hec.url(),
            token = self.hec.token(),
            syslog = self.proxy.addr,
            kafka_extra = std::env::var("CHAOS_KAFKA_TOML").unwrap_or_default(),
            session_ms = self.kafka.session_timeout_ms(),
        )
    }

    /// Starts one more `run` member (the first gets `/ready` on
    /// `obs_port`; every member shares the config, so later ones bind
    /// port 0 through their own copy).
    pub fn spawn(&mut self, fsize: Option<u64>) -> Bridge {
        self.spawned += 1;
        let k = self.spawned;
        let cfg = if k == 1 {
            self.config.clone()
        } else {
            let p = self.dir.path().join(format!("config-{k}.toml"));
            let text = std::fs::read_to_string(&self.config)
                .unwrap()
                .replace(&format!("127.0.0.1:{}\"", self.obs_port), "127.0.0.1:0\"");
            std::fs::write(&p, text).unwrap();
            p
        };
        Bridge::spawn(&cfg, self.dir.path().join(format!("bridge-{k}.log")), fsize)
    }

    /// Every member's log so far.
    pub fn logs(&self) -> String {
        (1..=self.spawned)
            .map(|k| {
                std::fs::read_to_string(self.dir.path().join(format!("bridge-{k}.log")))
                    .unwrap_or_default()
            })
            .collect()
    }

    /// What each sink has received so far, by sink name.
    pub async fn seen(&self) -> Vec<(&'static str, Seen)> {
        let mut hec = Seen::new();
        for id in self.hec.indexed_ids() {
            *hec.entry(id).or_default() += 1;
        }
        let es: Seen = match &self.es {
            Es::Osmem(o) => o.all_ids(INDEX).await.into_iter().map(|i| (i, 1)).collect(),
            Es::Fake(f) => f.writes(),
        };
        let mut syslog = Seen::new();
        for m in self.syslog.received("tcp") {
            if let Some(id) = evt_id(&String::from_utf8_lossy(&m)) {
                *syslog.entry(id).or_default() += 1;
            }
        }
        vec![("hec", hec), ("es", es), ("syslog", syslog)]
    }

    /// Ids in the dead-letter file (`bad-<n>`; a line a failed write cut
    /// short is skipped, its record is written again).
    pub fn dead_lettered(&self) -> Seen {
        let text = std::fs::read_to_string(&self.dead_letter).unwrap_or_default();
        let mut out = Seen::new();
        for line in text.lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                if let Some(raw) = v["raw"].as_str() {
                    let id = raw.split_whitespace().next().unwrap_or_default();
                    *out.entry(id.to_owned()).or_default() += 1;
                }
            }
        }
        out
    }
}

/// The `evt-<n>` in a syslog message (the event JSON is its MSG).
fn evt_id(msg: &str) -> Option<String> {
    let at = msg.find("\"id\":\"evt-")? + 6;
    let rest = &msg[at..];
    let end = rest.find('"')?;
    Some(rest[..end].to_owned())
}
