//! Each query flag of `watch`, through the binary.

use siem_bridge::event::{Disposition, Severity};
use siem_bridge::process::Processor;

use super::*;

fn events() -> Vec<Ev> {
    vec![
        Ev::new("a"),
        Ev {
            principal: "User:sa-2",
            granted: false,
            topic: "sensitive-pay",
            ip: "203.0.113.7",
            ..Ev::new("b")
        },
        Ev {
            principal: "User:sa-22",
            topic: "sensitive-hr",
            method: "kafka.DeleteTopics",
            ..Ev::new("c")
        },
        Ev {
            granted: false,
            ip: "203.0.113.9",
            method: "kafka.DeleteTopics",
            ..Ev::new("d")
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_query_flag_selects_its_events_and_invalid_records_always_show() {
    let ts = now_ms() - MIN;
    let mut records: Vec<Record> = events().iter().map(|e| rec(e.json(), 0, ts)).collect();
    records.push(rec("not json", 0, ts));
    let (_kafka, b) = cluster(1, &records).await;
    let run = |flags: &'static [&'static str]| {
        let b = b.clone();
        async move {
            let mut args = vec!["--json", "--from-beginning", "--until", "0s"];
            args.extend_from_slice(flags);
            ids(&lines(&b, &args).await)
        }
    };
    assert_eq!(run(&[]).await, ["DL:4", "a", "b", "c", "d"]);
    assert_eq!(run(&["--failed-auth"]).await, ["DL:4", "b", "d"]);
    assert_eq!(
        run(&["--principal", "User:sa-2*"]).await,
        ["DL:4", "b", "c"]
    );
    assert_eq!(run(&["--ip", "203.0.113.0/24"]).await, ["DL:4", "b", "d"]);
    assert_eq!(
        run(&["--method", "kafka.Delete*"]).await,
        ["DL:4", "c", "d"]
    );
    assert_eq!(
        run(&["--crn", "topic=sensitive-*"]).await,
        ["DL:4", "b", "c"]
    );
    assert_eq!(run(&["--failed-sensitive"]).await, ["DL:4", "b"]);
    assert_eq!(
        run(&["--failed-auth", "--ip", "203.0.113.9"]).await,
        ["DL:4", "d"]
    );
    assert_eq!(
        run(&["--principal", "User:sa-1", "--principal", "User:sa-22"]).await,
        ["DL:4", "a", "c", "d"]
    );

    // `--severity high`: high and above, as the default severity table
    // classifies these events.
    let severity = |e: &Ev| match Processor::default().process(e.json().as_bytes(), None, 0) {
        Disposition::Forward(f) => f.enrichment.severity,
        other => panic!("{other:?}"),
    };
    let mut expected: Vec<String> = events()
        .iter()
        .filter(|e| severity(e) >= Severity::High)
        .map(|e| e.id.to_owned())
        .collect();
    assert!(
        !expected.is_empty() && expected.len() < 4,
        "the events should span severities: {expected:?}"
    );
    expected.insert(0, "DL:4".to_owned());
    assert_eq!(run(&["--severity", "high"]).await, expected);
}

/// `--failed-sensitive` means what "sensitive" means in the config's
/// severity table (`[severity] sensitive_resources`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sensitive_follows_the_configured_sensitive_resources() {
    let ts = now_ms() - MIN;
    let denied_on = |id, topic| Ev {
        granted: false,
        topic,
        ..Ev::new(id)
    };
    let records = vec![
        rec(denied_on("pii", "pii-customers").json(), 0, ts),
        rec(denied_on("classic", "sensitive-pay").json(), 0, ts),
        rec(
            Ev {
                topic: "pii-x",
                ..Ev::new("granted")
            }
            .json(),
            0,
            ts,
        ),
    ];
    let (_kafka, b) = cluster(1, &records).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[kafka]\nbootstrap_servers = \"${AUDIT_BOOTSTRAP}\"\n\n[severity]\nsensitive_resources = [\"pii-*\"]\n\n[[sinks]]\ntype = \"stdout\"\n",
    )
    .unwrap();
    let run = |config: Option<&std::path::Path>| {
        let mut c = watch(
            &b,
            &[
                "--json",
                "--from-beginning",
                "--until",
                "0s",
                "--failed-sensitive",
            ],
        );
        c.env("AUDIT_BOOTSTRAP", &b);
        if let Some(path) = config {
            c.arg("--config").arg(path);
        }
        c.output()
    };
    let ids_of = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        ids(&lines)
    };
    assert_eq!(ids_of(run(Some(&cfg)).await.unwrap()), ["pii"]);
    assert_eq!(ids_of(run(None).await.unwrap()), ["classic"]);
}
