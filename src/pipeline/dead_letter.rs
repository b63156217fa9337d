//! The dead-letter store: records that cannot be forwarded (invalid input,
//! or refused for good by a sink), with the reason and Kafka coordinates.
//! A record's offset passes only after its dead-letter write succeeded.

use std::fs::File;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde::{Deserialize, Serialize};

use crate::event::{now_nanos, time::format_rfc3339_nanos, KafkaCoords};
use crate::kafka::KafkaConfig;

/// `[dead_letter]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterConfig {
    /// NDJSON file, appended and fsynced per write.
    pub path: Option<String>,
    /// Kafka topic on the source cluster (Confluent Cloud's audit API key
    /// is read-only: use `bootstrap_servers` to name another cluster).
    pub topic: Option<String>,
    /// Cluster for `topic`, when it is not the audit cluster (same
    /// security settings otherwise).
    pub bootstrap_servers: Option<String>,
    /// Extra librdkafka settings for the dead-letter producer.
    #[serde(default)]
    pub librdkafka_options: std::collections::BTreeMap<String, crate::secret::Secret>,
}

impl Default for DeadLetterConfig {
    fn default() -> Self {
        DeadLetterConfig {
            path: Some("siem-bridge-dead-letter.ndjson".to_owned()),
            topic: None,
            bootstrap_servers: None,
            librdkafka_options: Default::default(),
        }
    }
}

impl DeadLetterConfig {
    /// Problems as `(key, message)`, keys relative to `[dead_letter]`.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.path.is_none() && self.topic.is_none() {
            out.push((String::new(), "give `path`, `topic` or both".to_owned()));
        }
        if self.path.as_deref().is_some_and(|p| p.trim().is_empty()) {
            out.push(("path".to_owned(), "must not be empty".to_owned()));
        }
        if self.topic.as_deref().is_some_and(|t| t.trim().is_empty()) {
            out.push(("topic".to_owned(), "must not be empty".to_owned()));
        }
        out
    }
}

/// What a dead-letter entry holds besides the reason.
#[derive(Debug, Clone)]
pub enum Payload {
    /// The record value as read from Kafka.
    Raw(Vec<u8>),
    /// The enriched event a sink refused (original fields + enrichment).
    Event(Arc<crate::event::Event>),
}

/// One dead-lettered record.
#[derive(Debug, Clone)]
pub struct Entry {
    pub reason: String,
    pub reason_code: String,
    /// The sink that refused it, for sink rejections.
    pub sink: Option<String>,
    /// The sink's status (HTTP code, error type).
    pub status: Option<String>,
    pub kafka: Option<KafkaCoords>,
    pub payload: Payload,
}

#[derive(Serialize)]
struct Line<'a> {
    time: String,
    reason_code: &'a str,
    reason: &'a str,
    sink: Option<&'a str>,
    status: Option<&'a str>,
    kafka: Option<&'a KafkaCoords>,
    event_id: Option<&'a str>,
    /// The record as UTF-8 text, when it is UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a str>,
    /// The record base64-encoded, when it is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_base64: Option<String>,
    /// The enriched event, for sink rejections.
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a serde_json::value::RawValue>,
}

impl Entry {
    /// The NDJSON line (without newline).
    pub fn to_json(&self) -> String {
        let (raw, raw_base64, event, event_id) = match &self.payload {
            Payload::Raw(bytes) => match std::str::from_utf8(bytes) {
                Ok(s) => (Some(s), None, None, None),
                Err(_) => (
                    None,
                    Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
                    None,
                    None,
                ),
            },
            Payload::Event(e) => (
                None,
                None,
                serde_json::from_str::<&serde_json::value::RawValue>(&e.json).ok(),
                Some(e.id()),
            ),
        };
        serde_json::to_string(&Line {
            time: format_rfc3339_nanos(now_nanos()),
            reason_code: &self.reason_code,
            reason: &self.reason,
            sink: self.sink.as_deref(),
            status: self.status.as_deref(),
            kafka: self.kafka.as_ref(),
            event_id,
            raw,
            raw_base64,
            event,
        })
        .expect("serialising a dead-letter entry cannot fail")
    }
}

/// Why the dead-letter store cannot start or cannot take a write. A
/// failed write is retried; the records' offsets wait meanwhile.
#[derive(Debug, thiserror::Error)]
pub enum DeadLetterError {
    /// The `[kafka]` SASL password file cannot be read.
    #[error(transparent)]
    Secret(#[from] crate::secret::SecretError),
    /// librdkafka refused the producer's settings: check
    /// `[dead_letter] librdkafka_options`.
    #[error("cannot create the dead-letter producer: {0}")]
    Producer(#[source] KafkaError),
    /// The dead-letter topic did not take a record: check that it exists
    /// and that the credentials may write to it.
    #[error("dead-letter topic {topic}: {source}")]
    Topic {
        /// `[dead_letter] topic`.
        topic: String,
        /// The producer's error.
        #[source]
        source: KafkaError,
    },
    /// The dead-letter file cannot be opened or written: check the path,
    /// permissions and free space.
    #[error("dead-letter file {path}: {source}")]
    File {
        /// `[dead_letter] path`.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The configured dead-letter destinations. Writes go to every one.
pub struct DeadLetter {
    path: Option<String>,
    file: Mutex<Option<File>>,
    producer: Option<(FutureProducer, String)>,
}

impl DeadLetter {
    /// The destinations of `config`; a topic is written with the `[kafka]`
    /// client settings (and its own `bootstrap_servers`, if given).
    pub fn new(
        config: &DeadLetterConfig,
        kafka: &KafkaConfig,
    ) -> Result<DeadLetter, DeadLetterError> {
        let producer = match &config.topic {
            None => None,
            Some(topic) => {
                let mut c = kafka.client_config()?;
                if let Some(b) = &config.bootstrap_servers {
                    c.set("bootstrap.servers", b);
                }
                c.set("enable.idempotence", "true")
                    .set("acks", "all")
                    .set("message.timeout.ms", "30000");
                for (k, v) in &config.librdkafka_options {
                    c.set(k, v.expose());
                }
                let p: FutureProducer = c.create().map_err(DeadLetterError::Producer)?;
                Some((p, topic.clone()))
            }
        };
        Ok(DeadLetter {
            path: config.path.clone(),
            file: Mutex::new(None),
            producer,
        })
    }

    /// Writes entries durably to every destination, or fails (the caller
    /// retries; the records' offsets do not pass meanwhile).
    pub async fn write(&self, entries: &[Entry]) -> Result<(), DeadLetterError> {
        if entries.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = entries.iter().map(Entry::to_json).collect();
        if self.path.is_some() {
            self.write_file(&lines)?;
        }
        if let Some((producer, topic)) = &self.producer {
            for (entry, line) in entries.iter().zip(&lines) {
                let key = entry
                    .kafka
                    .as_ref()
                    .map(|k| format!("{}/{}/{}", k.topic, k.partition, k.offset))
                    .unwrap_or_default();
                let headers = OwnedHeaders::new().insert(Header {
                    key: "siem-bridge-reason",
                    value: Some(entry.reason_code.as_str()),
                });
                let record = FutureRecord::to(topic)
                    .key(&key)
                    .payload(line)
                    .headers(headers);
                producer
                    .send(record, Duration::from_secs(30))
                    .await
                    .map_err(|(source, _)| DeadLetterError::Topic {
                        topic: topic.clone(),
                        source,
                    })?;
            }
        }
        Ok(())
    }

    fn write_file(&self, lines: &[String]) -> Result<(), DeadLetterError> {
        let path = self.path.as_deref().expect("checked by the caller");
        let mut slot = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let result = (|| -> std::io::Result<()> {
            if slot.is_none() {
                if let Some(dir) = std::path::Path::new(path)
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(dir)?;
                }
                *slot = Some(crate::sink::file::open_ndjson(std::path::Path::new(path))?);
            }
            let f = slot.as_mut().expect("opened above");
            // Sized once: growing it line by line went through every
            // larger size class (fresh, page-faulting memory each time).
            let mut buf = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
            for l in lines {
                buf.extend_from_slice(l.as_bytes());
                buf.push(b'\n');
            }
            f.write_all(&buf)?;
            f.sync_data()
        })();
        if result.is_err() {
            *slot = None;
        }
        result.map_err(|source| DeadLetterError::File {
            path: path.to_owned(),
            source,
        })
    }
}
