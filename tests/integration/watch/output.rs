//! Exact output of `watch` (NDJSON and text), and that it leaves no
//! committed offsets behind.

use std::io::Write;

use siem_bridge::event::{Disposition, KafkaCoords};
use siem_bridge::process::Processor;

use super::*;
use crate::support::kafka::committed;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_are_exactly_the_enriched_events_and_dead_letter_records() {
    let ts = now_ms() - MIN;
    let good = Ev {
        granted: false,
        ..Ev::new("x1")
    };
    let records = vec![
        rec(good.json(), 0, ts),
        rec(&b"\xff\xfe"[..], 0, ts + 1),
        rec("[1,2]", 0, ts + 2),
    ];
    let (_kafka, b) = cluster(1, &records).await;
    let got = lines(&b, &["--json", "--from-beginning", "--until", "0s"]).await;
    let coords = |offset: i64| KafkaCoords {
        topic: TOPIC.to_owned(),
        partition: 0,
        offset,
        timestamp: Some(ts + offset),
    };
    let expected_event =
        match Processor::default().process(good.json().as_bytes(), Some(&coords(0)), 0) {
            Disposition::Forward(e) => e.json,
            other => panic!("{other:?}"),
        };
    assert_eq!(
        got,
        [
            expected_event,
            format!(
                r#"{{"dead_letter":{{"reason_code":"not_utf8","reason":"not_utf8: invalid UTF-8 at byte 0","kafka":{{"topic":"{TOPIC}","partition":0,"offset":1,"timestamp":{}}},"raw_base64":"//4="}}}}"#,
                ts + 1
            ),
            format!(
                r#"{{"dead_letter":{{"reason_code":"not_object","reason":"not_object: the record is an array, not a JSON object","kafka":{{"topic":"{TOPIC}","partition":0,"offset":2,"timestamp":{}}},"raw":"[1,2]"}}}}"#,
                ts + 2
            ),
        ]
    );
    // The enriched event carries where it came from.
    let v: serde_json::Value = serde_json::from_str(&got[0]).unwrap();
    assert_eq!(v["enrichment"]["kafka"]["offset"], 0);
    assert_eq!(v["enrichment"]["verdict"], "denied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_lines_are_readable_and_uncoloured_when_piped() {
    let ts = now_ms() - MIN;
    let e = Ev {
        granted: false,
        topic: "sensitive-pay",
        ip: "203.0.113.7",
        ..Ev::new("t1")
    };
    let (_kafka, b) = cluster(1, &[rec(e.json(), 0, ts), rec("{", 0, ts)]).await;
    let got = lines(&b, &["--from-beginning", "--until", "0s"]).await;
    let severity = match Processor::default().process(e.json().as_bytes(), None, 0) {
        Disposition::Forward(f) => f.enrichment.severity.as_str().to_uppercase(),
        other => panic!("{other:?}"),
    };
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        got[0],
        format!("2025-03-04T09:05:00.318Z {severity:<8} denied  User:sa-1 kafka.Produce topic=sensitive-pay from 203.0.113.7 [{TOPIC}/0@0]")
    );
    assert!(
        got[1].starts_with(&format!("{}Z DEAD-LETTER not_json: ", &rfc3339(ts)[..23])),
        "{}",
        got[1]
    );
    assert!(got[1].ends_with(&format!("[{TOPIC}/0@1]")), "{}", got[1]);
    assert!(!got.concat().contains('\x1b'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_file_works_and_no_group_has_committed_offsets() {
    let now = now_ms();
    let (_kafka, b) = cluster(2, &timeline(now)).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    let mut f = std::fs::File::create(&cfg).unwrap();
    write!(
        f,
        "[kafka]\nbootstrap_servers = \"{b}\"\ngroup_id = \"watch-group\"\ntopics = [\"{TOPIC}\"]\n\n[[sinks]]\ntype = \"stdout\"\n"
    )
    .unwrap();
    drop(f);
    // A wrong address in the environment: the file must win, as for `run`.
    let out = watch("127.0.0.1:1", &["--json", "--since", "2h", "--until", "0s"])
        .args(["--config", cfg.to_str().unwrap()])
        .env("SIEM_BRIDGE_LOG", "info")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(ids(&got), ["DL:1", "mid", "new"]);
    let stderr = strip_ansi(&String::from_utf8(out.stderr).unwrap());
    let throwaway = stderr
        .split_once("throwaway_group=")
        .map(|(_, rest)| rest.split_whitespace().next().unwrap().to_owned())
        .unwrap_or_else(|| panic!("the group is logged: {stderr}"));
    assert!(throwaway.starts_with("siem-bridge-watch-"), "{throwaway}");
    // Follow mode too, stopped by a signal.
    let mut child = watch(&b, &["--json", "--from-beginning"])
        .args(["--config", cfg.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    // SAFETY: signalling our own child by its pid.
    unsafe { libc::kill(child.id().unwrap() as i32, libc::SIGTERM) };
    assert!(child.wait().await.unwrap().success());
    for group in ["watch-group", "siem-bridge", &throwaway] {
        let offsets = committed(&b, group, TOPIC, 2);
        assert_eq!(
            offsets,
            [(0, None), (1, None)].into_iter().collect(),
            "group {group:?}"
        );
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|c| *c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

/// On a terminal (a pty from util-linux `script`, part of every Debian
/// base system): coloured lines, and the catching-up bar on stderr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_lines_are_coloured_and_a_bar_shows_catching_up() {
    let ts = now_ms() - MIN;
    let denied = Ev {
        granted: false,
        ..Ev::new("red")
    };
    let mut records = vec![rec(denied.json(), 0, ts)];
    records.extend((0..3000).map(|i| rec(crate::support::kafka::event(i), 0, ts)));
    let (_kafka, b) = cluster(1, &records).await;
    let bin = env!("CARGO_BIN_EXE_siem-bridge");
    let out = tokio::process::Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "{bin} watch --from-beginning --until 0s --principal User:sa-1"
        ))
        .arg("/dev/null")
        .env("CONFLUENT_BOOTSTRAP_SERVERS", &b)
        .env("SIEM_BRIDGE_LOG", "warn")
        .env_remove("SIEM_BRIDGE_CONFIG")
        .env_remove("NO_COLOR")
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let tty = String::from_utf8_lossy(&out.stdout);
    assert!(tty.contains("\x1b[1;31mdenied "), "{tty}");
    assert!(tty.contains("catching up"), "{tty}");
    assert_eq!(strip_ansi(&tty).matches("User:sa-1 ").count(), 2, "{tty}");
}

/// `siem-bridge watch … | head -1`: a closed pipe ends watch quietly, even
/// in follow mode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_ends_watch_with_success() {
    use tokio::io::AsyncBufReadExt;
    let ts = now_ms() - MIN;
    let records: Vec<Record> = (0..3000)
        .map(|i| rec(crate::support::kafka::event(i), 0, ts))
        .collect();
    let (_kafka, b) = cluster(1, &records).await;
    let mut child = watch(&b, &["--from-beginning"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).await.unwrap();
    assert!(first.contains("User:sa-0 "), "{first}");
    drop(out);
    let done = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("exits once stdout is closed")
        .unwrap();
    assert!(
        done.status.success(),
        "{:?} {}",
        done.status,
        String::from_utf8_lossy(&done.stderr)
    );
}
