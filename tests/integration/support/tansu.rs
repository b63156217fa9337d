//! tansu, a Kafka-compatible broker that answers ListOffsets by timestamp
//! (librdkafka's mock cluster cannot). `scripts/setup.sh` builds it into
//! `.tools/bin/tansu` (`TANSU_BIN` overrides); it runs with sqlite storage
//! in a temp dir on a free port, one broker per test, killed on drop.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Tansu {
    pub bootstrap: String,
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Drop for Tansu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> PathBuf {
    let path = std::env::var_os("TANSU_BIN").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.tools/bin/tansu")),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "tansu is not installed at {}: run scripts/setup.sh",
        path.display()
    );
    path
}

impl Tansu {
    /// Starts a broker on a free port and waits until it accepts connections.
    pub fn start() -> Tansu {
        let bin = binary();
        let dir = tempfile::tempdir().unwrap();
        // A free port can be taken between finding and binding it: retry.
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            if let Some(child) = spawn(&bin, &dir, port) {
                return Tansu {
                    bootstrap: format!("127.0.0.1:{port}"),
                    child,
                    dir,
                    port,
                };
            }
        }
        panic!("tansu did not start: {}", Tansu::log_of(&dir));
    }

    /// `kill -9` of the broker (the chaos suite); [`Tansu::restart`]
    /// brings it back on the same port and database.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the broker again on the same port and sqlite database.
    pub fn restart(&mut self) {
        self.kill();
        for _ in 0..50 {
            if let Some(child) = spawn(&binary(), &self.dir, self.port) {
                self.child = child;
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("tansu did not restart: {}", Tansu::log_of(&self.dir));
    }

    pub fn log_of(dir: &tempfile::TempDir) -> String {
        std::fs::read_to_string(dir.path().join("tansu.log")).unwrap_or_default()
    }

    pub fn create_topic(&self, name: &str, partitions: i32) {
        let out = Command::new(binary())
            .args(["topic", "create", name, "--partitions"])
            .arg(partitions.to_string())
            .args(["--broker", &format!("tcp://{}", self.bootstrap)])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tansu topic create: {}{}\nbroker log: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            Tansu::log_of(&self.dir)
        );
    }
}

/// One broker process on `port` with its database in `dir`, once it
/// accepts connections (`None` if it exits or never listens).
fn spawn(bin: &std::path::Path, dir: &tempfile::TempDir, port: u16) -> Option<Child> {
    let url = format!("tcp://127.0.0.1:{port}");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.path().join("tansu.log"))
        .unwrap();
    let mut child = Command::new(bin)
        .args(["broker", "--listener-url", &url])
        .args(["--advertised-listener-url", &url])
        // Relative to the working directory (an absolute sqlite path is
        // mangled); memory:// loses data in tansu 0.6.0.
        .args(["--storage-engine", "sqlite://tansu.db"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(child);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}
