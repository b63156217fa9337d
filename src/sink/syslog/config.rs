//! `[[sinks]] type = "syslog"`: the keys, their defaults, and the checks
//! that need no network.

use serde::Deserialize;

use crate::tls::TlsConfig;
use checks::{check_header_field, split_address};
pub use checks::{check_sd_id, AddressError, HeaderFieldError, SdIdError};

mod checks;

/// How bytes reach the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Plain TCP (RFC 6587). The default: it has flow control and tells us
    /// when the peer goes away, which UDP never does.
    #[default]
    Tcp,
    /// TCP inside TLS (RFC 5425), verified with `tls.*`.
    Tls,
    /// One datagram per message (RFC 5426): no acknowledgement, no error on
    /// loss. Never the default.
    Udp,
    /// RELP (rsyslog's imrelp): every message acknowledged by the receiver
    /// application. Over TLS when a `[tls]` table is present.
    Relp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Tls => "tls",
            Protocol::Udp => "udp",
            Protocol::Relp => "relp",
        }
    }
}

/// What one message looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// RFC 5424 header, structured data, compact JSON message.
    #[default]
    Rfc5424,
    /// BSD syslog (RFC 3164) header, compact JSON message.
    Rfc3164,
    /// ArcSight CEF behind an RFC 3164 header.
    Cef,
    /// QRadar LEEF 2.0 (`^` delimiter) behind an RFC 3164 header.
    Leef,
}

/// How messages are delimited on a stream (TCP, TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Framing {
    /// `<byte length> <message>` (RFC 6587 §3.4.1): transparent, a message
    /// may hold any byte. Mandatory for TLS (RFC 5425).
    #[default]
    OctetCounting,
    /// `<message>\n`; a line feed inside a message is sent as the two
    /// characters `\n` so the receiver does not split it.
    Lf,
}

/// A syslog facility: a name (`local0`, `auth`, …) or its number 0–23.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "FacilityRepr")]
pub struct Facility(pub u8);

#[derive(Deserialize)]
#[serde(untagged)]
enum FacilityRepr {
    Number(i64),
    Name(String),
}

/// Facility names in code order (RFC 5424 §6.2.1).
const FACILITY_NAMES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

impl TryFrom<FacilityRepr> for Facility {
    type Error = String;

    fn try_from(r: FacilityRepr) -> Result<Self, Self::Error> {
        match r {
            FacilityRepr::Number(n) if (0..24).contains(&n) => Ok(Facility(n as u8)),
            FacilityRepr::Number(n) => Err(format!("facility {n} is not in 0–23")),
            FacilityRepr::Name(s) => FACILITY_NAMES
                .iter()
                .position(|f| f.eq_ignore_ascii_case(&s))
                .map(|i| Facility(i as u8))
                .ok_or_else(|| {
                    format!(
                        "unknown facility `{s}`, expected a number 0–23 or one of {}",
                        FACILITY_NAMES.join(", ")
                    )
                }),
        }
    }
}

impl Default for Facility {
    /// `local0`: most collectors route by local facility, and the SIEM team
    /// usually names one.
    fn default() -> Self {
        Facility(16)
    }
}

/// `[[sinks]] type = "syslog"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogConfig {
    pub name: Option<String>,
    /// `host:port` of the receiver (`[v6]:port` for IPv6). Re-resolved at
    /// every reconnect. For TLS the host is also the name verified.
    pub address: String,
    #[serde(default)]
    pub protocol: Protocol,
    #[serde(default)]
    pub format: Format,
    /// TCP and TLS only; default `octet_counting`.
    pub framing: Option<Framing>,
    #[serde(default)]
    pub facility: Facility,
    /// Largest message in bytes, framing excluded; default 8192 (rsyslog's
    /// default `maxMessageSize`) for every protocol. Not RFC 5426's 2048
    /// for UDP: an enriched Confluent event is 2–3 KB, and at 2048 two
    /// thirds of the sample events cannot be made to fit (all do at
    /// 3072). Longer events have their longest string fields cut and
    /// listed in `enrichment.truncated`; events that cannot fit are
    /// rejected.
    pub max_message_bytes: Option<usize>,
    /// HOSTNAME field; default the machine's host name.
    pub hostname: Option<String>,
    /// APP-NAME (RFC 5424) and TAG (RFC 3164).
    #[serde(default = "default_app_name")]
    pub app_name: String,
    /// The SD-ID of the structured-data element (RFC 5424 only): a private
    /// `name@<enterprise number>`. The default uses 32473, the number RFC
    /// 5612 reserves for documentation; set your organisation's own.
    #[serde(default = "default_sd_id")]
    pub sd_id: String,
    /// Start the RFC 5424 MSG with a UTF-8 byte-order mark. Off by default:
    /// several SIEMs show it as `ï»¿` and fail to parse the JSON after it.
    #[serde(default)]
    pub utf8_bom: bool,
    /// TCP/TLS: a written batch counts as delivered once the receiver's
    /// TCP acknowledged all of it and this long then passed without the
    /// receiver closing the connection (a receiver that closes loses what
    /// sat unread in its buffers). Set it above the time the receiver may
    /// leave data unread. Bounds throughput: at most
    /// `max_in_flight_batches` batches settle at once. 0: the TCP
    /// acknowledgement alone.
    #[serde(default = "default_settle_ms")]
    pub settle_ms: u64,
    /// Bytes of recently *settled* messages written again after a
    /// reconnect (TCP/TLS), in case the receiver sat on them longer than
    /// `settle_ms`: duplicates instead of loss. Unsettled messages are
    /// always resent (the pipeline retries them). Default 0 (off): every
    /// reconnect would cost this many duplicates, and a receiver that
    /// closes after fewer messages than the window holds would never get
    /// past the resend.
    #[serde(default = "default_resend_window_bytes")]
    pub resend_window_bytes: usize,
    /// TCP connect plus TLS handshake.
    #[serde(default = "default_connect_timeout_secs")]
    pub connect_timeout_secs: u64,
    /// A batch that cannot be written and flushed within this time (the
    /// receiver stopped reading) fails and the connection is recycled.
    #[serde(default = "default_write_timeout_secs")]
    pub write_timeout_secs: u64,
    /// TCP keepalive idle time, so a silently dead peer is noticed on an
    /// idle connection. 0 turns keepalive off.
    #[serde(default = "default_keepalive_secs")]
    pub keepalive_secs: u64,
    /// First delay before reconnecting after a failed connect; doubles,
    /// with jitter, up to `reconnect_backoff_max_ms`.
    #[serde(default = "default_reconnect_backoff_min_ms")]
    pub reconnect_backoff_min_ms: u64,
    #[serde(default = "default_reconnect_backoff_max_ms")]
    pub reconnect_backoff_max_ms: u64,
    /// `protocol = "tls"` only.
    pub tls: Option<Box<TlsConfig>>,
}

fn default_app_name() -> String {
    "siem-bridge".to_owned()
}
fn default_sd_id() -> String {
    "audit@32473".to_owned()
}
fn default_resend_window_bytes() -> usize {
    0
}
fn default_settle_ms() -> u64 {
    1000
}
fn default_connect_timeout_secs() -> u64 {
    10
}
fn default_write_timeout_secs() -> u64 {
    30
}
fn default_keepalive_secs() -> u64 {
    60
}
fn default_reconnect_backoff_min_ms() -> u64 {
    100
}
fn default_reconnect_backoff_max_ms() -> u64 {
    30_000
}

pub const DEFAULT_MESSAGE_BYTES: usize = 8192;
/// RFC 5424 §6.1: receivers must accept 480 octets.
pub const MIN_MESSAGE_BYTES: usize = 480;
/// The largest UDP payload over IPv4.
pub const MAX_UDP_MESSAGE_BYTES: usize = 65_507;
/// A sanity bound for streams: no receiver takes more.
pub const MAX_STREAM_MESSAGE_BYTES: usize = 16 << 20;

impl SyslogConfig {
    pub fn framing(&self) -> Framing {
        self.framing.unwrap_or_default()
    }

    pub fn max_message_bytes(&self) -> usize {
        self.max_message_bytes.unwrap_or(DEFAULT_MESSAGE_BYTES)
    }

    /// `(host, port)` of `address`, IPv6 brackets removed.
    pub fn host_port(&self) -> Result<(&str, u16), AddressError> {
        split_address(&self.address)
    }

    /// Problems found without network, as `(key, message)`.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |k: &str, m: String| out.push((k.to_owned(), m));
        if let Err(m) = self.host_port() {
            push("address", m.to_string());
        }
        match (self.protocol, self.framing) {
            (Protocol::Udp, Some(_)) => push(
                "framing",
                "applies to tcp and tls only; UDP sends one message per datagram".to_owned(),
            ),
            (Protocol::Relp, Some(_)) => push(
                "framing",
                "applies to tcp and tls only; RELP has its own framing".to_owned(),
            ),
            (Protocol::Tls, Some(Framing::Lf)) => push(
                "framing",
                "TLS syslog (RFC 5425) requires octet_counting".to_owned(),
            ),
            _ => {}
        }
        let max = self.max_message_bytes();
        let limit = match self.protocol {
            Protocol::Udp => MAX_UDP_MESSAGE_BYTES,
            _ => MAX_STREAM_MESSAGE_BYTES,
        };
        if !(MIN_MESSAGE_BYTES..=limit).contains(&max) {
            push(
                "max_message_bytes",
                format!(
                    "{max} is outside {MIN_MESSAGE_BYTES}–{limit} for {}",
                    self.protocol.as_str()
                ),
            );
        }
        if let Some(h) = &self.hostname {
            if let Err(m) = check_header_field(h, 255) {
                push("hostname", m.to_string());
            }
        }
        if let Err(m) = check_header_field(&self.app_name, 48) {
            push("app_name", m.to_string());
        }
        if let Err(m) = check_sd_id(&self.sd_id) {
            push("sd_id", m.to_string());
        }
        for (key, v) in [
            ("connect_timeout_secs", self.connect_timeout_secs),
            ("write_timeout_secs", self.write_timeout_secs),
            ("reconnect_backoff_min_ms", self.reconnect_backoff_min_ms),
        ] {
            if v == 0 {
                push(key, "must be at least 1".to_owned());
            }
        }
        if self.reconnect_backoff_max_ms < self.reconnect_backoff_min_ms {
            push(
                "reconnect_backoff_max_ms",
                "must not be below reconnect_backoff_min_ms".to_owned(),
            );
        }
        match (&self.tls, self.protocol) {
            (Some(_), Protocol::Tcp | Protocol::Udp) => push(
                "tls",
                format!(
                    "is only used with protocol = \"tls\" or \"relp\", not {:?}",
                    self.protocol.as_str()
                ),
            ),
            (Some(tls), Protocol::Tls | Protocol::Relp) => {
                for (k, m) in tls.check() {
                    push(&format!("tls.{k}"), m);
                }
            }
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests;
