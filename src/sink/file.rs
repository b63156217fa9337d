//! The `file` sink: NDJSON, one enriched event per line, rotated by size
//! and age, fsynced before a batch is reported accepted (by default).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde::Deserialize;

use super::{HealthError, Outcome, SendReport, Sink, SinkError};
use crate::event::{now_nanos, time::format_rfc3339_nanos, Event};

/// When the file sink calls `fsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fsync {
    /// After every batch, before it counts as delivered (at-least-once
    /// even across a power loss).
    #[default]
    Batch,
    /// Never: the OS decides. A machine crash can lose what it buffered.
    Never,
}

/// `[[sinks]] type = "file"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The sink's name in logs and metrics (default `file`).
    pub name: Option<String>,
    /// The file written now; rotated files get a UTC timestamp suffix.
    pub path: String,
    /// Rotate when the file would grow past this many bytes (0: never).
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
    /// Rotate files older than this many seconds (0: never).
    #[serde(default)]
    pub rotate_secs: u64,
    /// When to `fsync` (default: every batch).
    #[serde(default)]
    pub fsync: Fsync,
}

fn default_max_file_bytes() -> u64 {
    256 << 20
}

impl FileConfig {
    /// Problems found without writing, as `(key, message)`.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.path.trim().is_empty() {
            out.push(("path".to_owned(), "must not be empty".to_owned()));
        } else if Path::new(&self.path).is_dir() {
            out.push(("path".to_owned(), format!("{} is a directory", self.path)));
        }
        out
    }
}

struct Current {
    writer: BufWriter<File>,
    bytes: u64,
    opened: Instant,
}

/// Writes NDJSON to a file.
pub struct FileSink {
    name: String,
    config: FileConfig,
    current: Arc<Mutex<Option<Current>>>,
}

impl FileSink {
    /// Builds the sink; the file is opened by the first batch.
    pub fn new(config: &FileConfig, name: String) -> Result<FileSink, SinkError> {
        Ok(FileSink {
            name,
            config: config.clone(),
            current: Arc::new(Mutex::new(None)),
        })
    }
}

impl Sink for FileSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(&'a self, events: &'a [Arc<Event>]) -> BoxFuture<'a, SendReport> {
        let n = events.len();
        let mut body = Vec::with_capacity(events.iter().map(|e| e.json.len() + 1).sum());
        for e in events {
            body.extend_from_slice(e.json.as_bytes());
            body.push(b'\n');
        }
        let current = self.current.clone();
        let config = self.config.clone();
        Box::pin(async move {
            let result = tokio::task::spawn_blocking(move || {
                let mut guard = current.lock().unwrap_or_else(|p| p.into_inner());
                write_batch(&mut guard, &config, &body)
            })
            .await;
            match result {
                Ok(Ok(())) => SendReport::accepted(n),
                Ok(Err(e)) if e.kind() == ErrorKind::PermissionDenied => {
                    SendReport::all(n, Outcome::Misconfigured(e.to_string()))
                }
                Ok(Err(e)) => SendReport::all(n, Outcome::Retryable(e.to_string())),
                Err(e) => SendReport::all(n, Outcome::Ambiguous(e.to_string())),
            }
        })
    }

    /// The file's directory exists and takes a new file, or does not
    /// exist yet and its nearest existing parent does (the first batch
    /// creates it). Checked by creating and removing a probe file.
    fn healthcheck(&self) -> BoxFuture<'_, Result<(), HealthError>> {
        let path = PathBuf::from(&self.config.path);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || writable_dir(&path))
                .await
                .unwrap_or_else(|e| Err(HealthError::Unwritable(e.to_string())))
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        let current = self.current.clone();
        Box::pin(async move {
            let _ = tokio::task::spawn_blocking(move || {
                let mut guard = current.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(mut c) = guard.take() {
                    let _ = c.writer.flush();
                    let _ = c.writer.get_ref().sync_all();
                }
            })
            .await;
        })
    }
}

/// Whether a file can be created at `path`: its directory, or the
/// nearest parent that exists, takes a probe file.
fn writable_dir(path: &Path) -> Result<(), HealthError> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d,
        None => Path::new("."),
    };
    let mut existing = dir;
    while !existing.exists() {
        match existing.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(p) => existing = p,
            None => {
                existing = Path::new(".");
                break;
            }
        }
    }
    let missing = if existing == dir {
        String::new()
    } else {
        format!("{} does not exist and cannot be created: ", dir.display())
    };
    if !existing.is_dir() {
        return Err(HealthError::Unwritable(format!(
            "{missing}{} is not a directory",
            existing.display()
        )));
    }
    let probe = existing.join(format!(".siem-bridge-probe-{}", std::process::id()));
    match OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(HealthError::Unwritable(format!(
            "{missing}directory {} is not writable: {e}",
            existing.display()
        ))),
    }
}

fn write_batch(
    slot: &mut Option<Current>,
    config: &FileConfig,
    body: &[u8],
) -> std::io::Result<()> {
    let path = Path::new(&config.path);
    if let Some(c) = slot.as_ref() {
        let too_big = config.max_file_bytes > 0
            && c.bytes > 0
            && c.bytes + body.len() as u64 > config.max_file_bytes;
        let too_old = config.rotate_secs > 0
            && c.bytes > 0
            && c.opened.elapsed() >= Duration::from_secs(config.rotate_secs);
        if too_big || too_old {
            let mut old = slot.take().expect("checked above");
            old.writer.flush()?;
            old.writer.get_ref().sync_all()?;
            drop(old);
            std::fs::rename(path, rotated_name(path))?;
        }
    }
    if slot.is_none() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = open_ndjson(path)?;
        let bytes = file.metadata()?.len();
        *slot = Some(Current {
            writer: BufWriter::with_capacity(1 << 16, file),
            bytes,
            opened: Instant::now(),
        });
    }
    let c = slot.as_mut().expect("opened above");
    let result = (|| {
        c.writer.write_all(body)?;
        c.writer.flush()?;
        if config.fsync == Fsync::Batch {
            c.writer.get_ref().sync_data()?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => {
            c.bytes += body.len() as u64;
            Ok(())
        }
        Err(e) => {
            // Reopen next time: the buffer may hold a partial batch.
            *slot = None;
            Err(e)
        }
    }
}

/// Opens an NDJSON file for appending, so that the next line starts on a
/// line of its own: a process killed mid-write (`kill -9`, power loss)
/// leaves a torn last line, and appending to it would glue the next,
/// complete record onto the torn one and make both unreadable. The torn
/// line stays (its record is re-sent, since its batch never counted as
/// delivered); a newline closes it.
pub fn open_ndjson(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::FileExt;
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)?;
    let len = file.metadata()?.len();
    if len > 0 {
        let mut last = [0u8; 1];
        file.read_at(&mut last, len - 1)?;
        if last[0] != b'\n' {
            file.write_all(b"\n")?;
        }
    }
    Ok(file)
}

/// `audit.ndjson` → `audit.ndjson.20251124T101010.123456789Z`, unique.
fn rotated_name(path: &Path) -> PathBuf {
    let stamp: String = format_rfc3339_nanos(now_nanos())
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect();
    let mut candidate = PathBuf::from(format!("{}.{stamp}", path.display()));
    let mut n = 1;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{}.{stamp}-{n}", path.display()));
        n += 1;
    }
    candidate
}
