//! Against Debian's rsyslogd: what it wrote is compared byte for byte with
//! what the encoder produced for each event.

use std::sync::Arc;
use std::time::Duration;

use siem_bridge::event::Event;
use siem_bridge::sink::syslog::SyslogSink;
use siem_bridge::sink::{Outcome, Sink};

use super::rsyslogd::Rsyslog;
use super::{counts, deliver, fixture_events, multi_line_event, padded_event, sd_id, sink, sorted};

fn expected(s: &SyslogSink, events: &[Arc<Event>]) -> Vec<Vec<u8>> {
    events
        .iter()
        .map(|e| s.encoder().encode(e).unwrap().message)
        .collect()
}

async fn deliver_in_batches(s: &SyslogSink, events: &[Arc<Event>], size: usize) {
    for chunk in events.chunks(size) {
        assert_eq!(deliver(s, chunk).await, 1, "one attempt per batch");
    }
}

#[tokio::test]
async fn tcp_octet_counted_rfc5424_arrives_byte_for_byte() {
    // S2 on a real receiver: octet counting carries a raw line feed (in an
    // SD value) and multibyte characters (line 45) inside one message.
    let rs = Rsyslog::start();
    let mut events = fixture_events();
    events.push(multi_line_event());
    let s = sink(&format!(
        "address = \"127.0.0.1:{}\"\nhostname = \"bridge-1\"",
        rs.tcp
    ));
    let want = expected(&s, &events);
    deliver_in_batches(&s, &events, 16).await;
    let got = rs.wait_for("tcp", events.len()).await;
    assert_eq!(sorted(got.clone()), sorted(want), "{}", rs.log());
    let needle = b"principal=\"User:first\nsecond\"";
    assert!(got
        .iter()
        .any(|m| m.windows(needle.len()).any(|w| w == needle)));
    // Every id, the at-least-once redelivery of line 1 (line 82) included.
    let ids = counts(
        got.iter()
            .map(|m| sd_id(m))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    );
    assert_eq!(ids, counts(events.iter().map(|e| e.id())));
    // The 300 KB event (line 83) arrived cut to the limit, and marked.
    let big = got.iter().find(|m| m.len() > 8000).expect("line 83");
    assert!(big.len() <= 8192);
    assert!(String::from_utf8_lossy(big)
        .contains(r#""truncated":["data.request.data.config.transforms.mask.spec"]"#));
    assert_eq!(s.stats().truncated_events, 1);
    // rsyslog's own parser sees our header and structured data.
    let parsed = rs.parsed_tcp();
    assert_eq!(parsed.len(), events.len());
    for line in &parsed {
        assert!(line.starts_with("bridge-1 siem-bridge - "), "{line}");
        assert!(line.contains(" [audit@32473 id=\""), "{line}");
    }
    assert!(parsed
        .iter()
        .any(|l| l.contains(" - kafka.CreateTopics [audit@32473 ")));
    // Our close was answered by rsyslog's: it read everything.
    s.close().await;
    let st = s.stats();
    assert_eq!(
        (st.connects, st.resent_messages, st.window_messages),
        (1, 0, 0)
    );
}

#[tokio::test]
async fn tcp_lf_framing_keeps_multiline_events_whole() {
    // S3: an SD value with a line feed is not split by the receiver.
    let rs = Rsyslog::start();
    let mut events = fixture_events();
    events.push(multi_line_event());
    let s = sink(&format!(
        "address = \"127.0.0.1:{}\"\nhostname = \"bridge-1\"\nframing = \"lf\"",
        rs.tcp
    ));
    let want: Vec<Vec<u8>> = expected(&s, &events)
        .into_iter()
        .map(|m| {
            String::from_utf8(m)
                .unwrap()
                .replace('\n', "\\n")
                .into_bytes()
        })
        .collect();
    deliver_in_batches(&s, &events, 25).await;
    let got = rs.wait_for("tcp", events.len()).await;
    assert_eq!(got.len(), events.len(), "no message was split");
    assert_eq!(sorted(got.clone()), sorted(want));
    let multi = got.iter().find(|m| sd_id(m) == "multi-line").unwrap();
    assert!(String::from_utf8_lossy(multi).contains(r#" principal="User:first\nsecond" "#));
}

#[tokio::test]
async fn udp_sends_one_datagram_per_event_within_the_cap() {
    // S4: a ~3000-byte message is cut to max_message_bytes = 2048 on a
    // character boundary; one datagram, one message.
    let rs = Rsyslog::start();
    let small = sink(&format!(
        "address = \"127.0.0.1:{}\"\nprotocol = \"udp\"\nhostname = \"bridge-1\"\nmax_message_bytes = 2048",
        rs.udp
    ));
    let ev = padded_event("udp-3000", 1600);
    let full = sink(&format!(
        "address = \"127.0.0.1:{}\"\nprotocol = \"udp\"\nmax_message_bytes = 65000",
        rs.udp
    ));
    let uncut = full.encoder().encode(&ev).unwrap().message;
    assert!(uncut.len() > 2900, "{}", uncut.len());
    let want = small.encoder().encode(&ev).unwrap();
    assert_eq!(want.cut, ["data.pad"]);
    assert!(want.message.len() <= 2048 && want.message.len() > 2000);
    deliver(&*small, &[ev]).await;
    let got = rs.wait_for("udp", 1).await;
    assert_eq!(got, vec![want.message]);

    // The fixture at the default cap, paced so the loopback does not drop.
    let events = fixture_events();
    let s = sink(&format!(
        "address = \"127.0.0.1:{}\"\nprotocol = \"udp\"\nhostname = \"bridge-1\"",
        rs.udp
    ));
    let want = expected(&s, &events);
    for chunk in events.chunks(8) {
        deliver(&*s, chunk).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let got = rs.wait_for("udp", events.len() + 1).await;
    assert_eq!(sorted(got[1..].to_vec()), sorted(want));
}

#[tokio::test]
async fn tls_verifies_the_server_and_frames_inside_tls() {
    let rs = Rsyslog::start();
    let certs = rs.certs();
    let events = fixture_events();
    let s = sink(&format!(
        "address = \"localhost:{}\"\nprotocol = \"tls\"\nhostname = \"bridge-1\"\n[tls]\nca_file = \"{}\"",
        rs.tls,
        certs.ca.display()
    ));
    let want = expected(&s, &events);
    deliver_in_batches(&s, &events, 30).await;
    let got = rs.wait_for("tls", events.len()).await;
    assert_eq!(sorted(got), sorted(want), "{}", rs.log());
    s.close().await;
    assert_eq!(
        s.stats().window_messages,
        0,
        "rsyslog confirmed by closing after our close_notify"
    );
}

#[tokio::test]
async fn mutual_tls_needs_the_client_certificate() {
    let rs = Rsyslog::start();
    let certs = rs.certs();
    let events = fixture_events();
    let base = format!(
        "address = \"localhost:{}\"\nprotocol = \"tls\"\nhostname = \"bridge-1\"\n[tls]\nca_file = \"{}\"\n",
        rs.mtls,
        certs.ca.display()
    );
    // Without a client certificate the TLS 1.3 handshake "succeeds" on our
    // side and rsyslog drops us afterwards: that must be a configuration
    // error, not an accepted batch.
    let anon = sink(&base);
    let report = anon.send(&events[..5]).await;
    for o in &report.outcomes {
        assert!(
            matches!(o, Outcome::Misconfigured(m) if m.contains("client certificate")),
            "{o:?}"
        );
    }
    let with_cert = sink(&format!(
        "{base}cert_file = \"{}\"\nkey_file = \"{}\"",
        certs.client_cert.display(),
        certs.client_key.display()
    ));
    let want = expected(&with_cert, &events);
    deliver_in_batches(&with_cert, &events, 30).await;
    let got = rs.wait_for("mtls", events.len()).await;
    assert_eq!(sorted(got), sorted(want), "{}", rs.log());
}

#[tokio::test]
async fn tls_with_a_wrong_ca_or_host_name_is_misconfigured_and_sends_nothing() {
    // S8: no plaintext fallback; nothing reaches any input.
    let rs = Rsyslog::start();
    let certs = rs.certs();
    let events = fixture_events();
    let cases = [
        (
            format!("localhost:{}", rs.tls),
            certs.other_ca.clone(),
            "UnknownIssuer",
        ),
        // The certificate names `localhost` only.
        (
            format!("127.0.0.1:{}", rs.tls),
            certs.ca.clone(),
            "NotValidForName",
        ),
    ];
    for (address, ca, why) in cases {
        let s = sink(&format!(
            "address = \"{address}\"\nprotocol = \"tls\"\n[tls]\nca_file = \"{}\"",
            ca.display()
        ));
        let report = s.send(&events[..3]).await;
        for o in &report.outcomes {
            assert!(
                matches!(o, Outcome::Misconfigured(m) if m.contains(why)),
                "{address}: {o:?}"
            );
        }
        assert_eq!(s.stats().connects, 0);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for input in ["tls", "tcp", "mtls"] {
        assert!(rs.received(input).is_empty(), "{input}");
    }
}

#[tokio::test]
async fn rfc3164_cef_and_leef_arrive_byte_for_byte() {
    let rs = Rsyslog::start();
    let events = fixture_events();
    let mut want = Vec::new();
    for format in ["rfc3164", "cef", "leef"] {
        let s = sink(&format!(
            "address = \"127.0.0.1:{}\"\nhostname = \"bridge-1\"\nformat = \"{format}\"",
            rs.tcp
        ));
        want.extend(expected(&s, &events));
        deliver_in_batches(&s, &events, 40).await;
        s.close().await;
        assert_eq!(s.stats().window_messages, 0);
    }
    let got = rs.wait_for("tcp", want.len()).await;
    assert_eq!(sorted(got), sorted(want));
}
