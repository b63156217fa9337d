//! The fake receivers of the integration tests, one per sink kind, and
//! the `[[sinks]]` table that points the bridge at each.

use crate::support::es::FakeEs;
use crate::support::hec::{FakeHec, HecOptions};
use crate::support::syslog_fake::{Behavior, Fake as FakeSyslog};

pub enum Receiver {
    Hec(FakeHec),
    Es(FakeEs),
    Syslog(FakeSyslog),
}

impl Receiver {
    pub async fn start(kind: &str) -> Receiver {
        match kind {
            "hec" => Receiver::Hec(
                FakeHec::start(HecOptions {
                    acks: true,
                    keep_bodies: false,
                    ..HecOptions::default()
                })
                .await,
            ),
            "es" => {
                let es = FakeEs::start().await;
                es.record(false);
                Receiver::Es(es)
            }
            "syslog" => {
                Receiver::Syslog(FakeSyslog::start_with_buffer(&[Behavior::Count], 4 << 20).await)
            }
            other => panic!("unknown sink {other:?}: hec, es or syslog"),
        }
    }

    /// The `[[sinks]]` table: defaults but for what the fake needs. HEC polls
    /// acks every 50 ms (the default 1 s caps a run at 4 batches a second).
    pub fn sink_toml(&self) -> String {
        match self {
            // HEC_ACKS=0: the default, no indexer acknowledgements (the
            // issue's figures are with them on, polled every 50 ms).
            Receiver::Hec(h) => format!(
                "type = \"splunk_hec\"\nendpoint = \"{}\"\ntoken = \"{}\"\nhost = \"e2e\"\n{}",
                h.url(),
                h.token(),
                if std::env::var("HEC_ACKS").is_ok_and(|v| v == "0") {
                    ""
                } else {
                    "acknowledgements = true\nack_poll_interval_ms = 50\n"
                }
            ),
            Receiver::Es(e) => format!("type = \"elasticsearch\"\nendpoint = \"{}\"\n", e.url),
            // settle_ms = 0: a batch counts once TCP acknowledged it (the
            // default 1 s settle caps a run at 4 batches a second).
            Receiver::Syslog(s) => format!(
                "type = \"syslog\"\naddress = \"{}\"\nprotocol = \"tcp\"\nformat = \"rfc5424\"\nsettle_ms = 0\n",
                s.address()
            ),
        }
    }

    pub fn count(&self) -> usize {
        match self {
            Receiver::Hec(h) => h.indexed_since(0).len(),
            Receiver::Es(e) => e.stored_count(),
            Receiver::Syslog(s) => s.counted(),
        }
    }
}
