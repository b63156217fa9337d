//! The aggregation over the incident of `tests/data/detect/` (made by its
//! `make_incident.py`), without Kafka or the binary.

use std::collections::BTreeMap;

use super::*;
use crate::detect::{DetectConfig, Detector};

const INCIDENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/detect/incident.jsonl"
);
const EXPECTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/detect/incident.expected.json"
);

fn investigate(opts: Options, focus: Focus) -> Report {
    let detector = Detector::new(&DetectConfig::default(), Emit::OnClose).unwrap();
    let mut inv = Investigation::new(opts, focus, detector);
    let processor = Processor {
        filtering: false,
        ..Processor::default()
    };
    input::read_files(
        &[INCIDENT.to_owned()],
        &processor,
        &mut inv,
        &mut Vec::new(),
    )
    .unwrap();
    inv.finish(0)
}

fn everything() -> Focus {
    Focus::new(&[], &[], &[], &[], None).unwrap()
}

#[test]
fn totals_and_timeline_of_the_incident() {
    let r = investigate(Options::default(), everything());
    let t = &r.totals;
    assert_eq!(
        (t.events, r.input.invalid, r.input.outside_focus),
        (472, 0, 0)
    );
    assert_eq!((t.denied, t.granted), (15, 406));
    assert_eq!((t.auth_failed, t.auth_succeeded), (10, 41));
    assert_eq!((t.principals, t.addresses, t.distinct_exact), (7, 7, true));
    assert_eq!(
        t.first_time.as_deref(),
        Some("2025-06-10T14:00:00.000000000Z")
    );
    assert_eq!(r.timeline.bucket_secs, 60);
    assert_eq!(r.timeline.buckets.len(), 20);
    let sum: u64 = r.timeline.buckets.iter().map(|b| b.events).sum();
    assert_eq!(sum, 472);
    // 14:07: the denial burst starts; its alert is placed there.
    let b = &r.timeline.buckets[7];
    assert_eq!(
        (b.start.as_str(), b.denied),
        ("2025-06-10T14:07:00.000000000Z", 8)
    );
    let burst = r.alerts.iter().find(|a| a.rule == "denial_burst").unwrap();
    assert!(b.alerts.contains(&burst.id));
    let placed: usize = r.timeline.buckets.iter().map(|b| b.alerts.len()).sum();
    assert_eq!(placed, r.alerts.len());
}

#[test]
fn alerts_are_the_detectors_with_their_events() {
    let r = investigate(Options::default(), everything());
    let expected: BTreeMap<String, Vec<Vec<String>>> =
        serde_json::from_str(&std::fs::read_to_string(EXPECTED).unwrap()).unwrap();
    let mut got: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for a in &r.alerts {
        let mut ids = a.event_ids.clone();
        ids.sort();
        got.entry(a.rule.clone()).or_default().push(ids);
    }
    for v in got.values_mut() {
        v.sort();
    }
    assert_eq!(got, expected);
    assert_eq!(r.totals.alerts, 8);
}

#[test]
fn the_attack_chain_comes_first_in_request_order() {
    let r = investigate(Options::default(), everything());
    let c = &r.chains[0];
    assert_eq!(c.id, "chain-1");
    assert_eq!(c.client.source_ip.as_deref(), Some("203.0.113.50"));
    assert_eq!(c.client.client_id.as_deref(), Some("exfil"));
    assert_eq!((c.events, c.denied, c.granted), (24, 14, 3));
    assert_eq!((c.auth_failed, c.auth_succeeded), (6, 1));
    assert_eq!(c.merged_authentications, 7, "the logins joined the client");
    assert_eq!(c.first_time, "2025-06-10T14:05:00.000000000Z");
    assert_eq!(c.last_time, "2025-06-10T14:11:40.000000000Z");
    let outcomes: Vec<&str> = c.steps.iter().map(|s| s.outcome.as_str()).collect();
    assert_eq!(
        &outcomes[..7],
        [&["auth_failed"; 6][..], &["auth_succeeded"]].concat()
    );
    assert!(outcomes[7..21].iter().all(|o| *o == "denied"));
    assert_eq!(&outcomes[21..], ["granted", "granted", "granted"]);
    let corr: Vec<u64> = c.steps[7..23]
        .iter()
        .map(|s| s.correlation_id.as_deref().unwrap().parse().unwrap())
        .collect();
    assert_eq!(corr, (100..114).chain([200, 201]).collect::<Vec<_>>());
    assert_eq!(
        c.steps.last().unwrap().method.as_deref(),
        Some("kafka.DeleteTopics")
    );
    // Every alert of the attack holds events of this chain.
    let mut rules: Vec<&str> = c
        .alerts
        .iter()
        .map(|id| r.alerts.iter().find(|a| &a.id == id).unwrap().rule.as_str())
        .collect();
    rules.sort();
    rules.dedup();
    assert_eq!(rules.len(), 7, "{rules:?}");
    // The insider's grant is a chain of its own, tied to the same alert.
    let change = r
        .chains
        .iter()
        .find(|c| c.client.client_id.as_deref() == Some("confluent-cli"))
        .unwrap();
    let priv_alert = r
        .alerts
        .iter()
        .find(|a| a.rule == "privilege_change_during_denials")
        .unwrap();
    assert!(change.alerts.contains(&priv_alert.id));
    assert!(priv_alert.chains.contains(&change.id));
    // The near miss: four failed logins, no client id, a chain of its own.
    assert!(r
        .chains
        .iter()
        .any(|c| c.client.source_ip.as_deref() == Some("198.51.100.23")
            && c.auth_failed == 4
            && c.client.client_id.is_none()));
}

#[test]
fn the_stolen_identity_is_the_most_overreaching_principal() {
    let r = investigate(Options::default(), everything());
    let p = &r.principals[0];
    assert_eq!(p.principal, "User:svc-reporting");
    assert_eq!((p.denied, p.denied_sensitive), (14, 14));
    assert_eq!(p.new_addresses, ["203.0.113.50"]);
    for t in [
        "sensitive-pii-eu",
        "sensitive-pii-us",
        "sensitive-cards",
        "sensitive-audit-copy",
    ] {
        assert!(
            p.new_resources.contains(&format!("topic={t}")),
            "{t}: {p:?}"
        );
    }
    assert!(!p.new_resources.contains(&"topic=reports".to_owned()));
    assert_eq!(p.denied_access.len(), 6, "two operations on three topics");
    assert!(p.denied_access.iter().all(|a| a.sensitive));
    assert!(p.granted_access.iter().any(|a| a.operation == "Delete"));
    assert_eq!(r.principals[1].principal, "User:bob");
    assert_eq!(r.tops.addresses[0].value, "203.0.113.50");
    assert_eq!(r.tops.addresses[0].count, 20);
    assert_eq!(r.tops.principals[0].value, "User:svc-reporting");
}

#[test]
fn focus_narrows_events_but_not_the_rules() {
    let focus = Focus::new(&["User:bob".into()], &[], &[], &[], None).unwrap();
    let r = investigate(Options::default(), focus);
    assert_eq!((r.totals.events, r.totals.denied), (1, 1));
    assert_eq!(r.input.outside_focus, 471);
    assert!(r.alerts.is_empty(), "no alert concerns bob");
    let focus = Focus::new(
        &[],
        &["203.0.113.0/24".into()],
        &[],
        &["exfil".into()],
        None,
    )
    .unwrap();
    let r = investigate(Options::default(), focus);
    assert_eq!(r.totals.events, 17);
    assert_eq!(r.chains.len(), 1);
    assert!(r.alerts.iter().any(|a| a.rule == "denial_burst"));
    let focus = Focus::new(&[], &[], &["sensitive-pii-*".into()], &[], None).unwrap();
    let r = investigate(Options::default(), focus);
    assert_eq!(r.totals.denied, 10);
}

#[test]
fn json_round_trip() {
    let r = investigate(Options::default(), everything());
    let mut buf = Vec::new();
    report_json::write(&r, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let back = report_json::read(&text).unwrap();
    assert_eq!(back, r);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema"], model::SCHEMA);
    assert_eq!(v["chains"][0]["client"]["client_id"], "exfil");
}

#[test]
fn memory_stays_bounded_and_says_what_it_forgot() {
    let opts = Options {
        max_chains: 50,
        max_steps: 8,
        max_principals: 40,
        top_cap: 16,
        ..Options::default()
    };
    let detector = Detector::new(&DetectConfig::default(), Emit::OnClose).unwrap();
    let mut inv = Investigation::new(opts, everything(), detector);
    let processor = Processor::default();
    for i in 0..3000 {
        let ev = format!(
            r#"{{"specversion":"1.0","id":"e{i}","source":"crn://x/kafka=k","type":"io.confluent.kafka.server/authorization","time":"2025-06-10T14:00:{:02}Z","data":{{"methodName":"kafka.Produce","resourceName":"crn://x/kafka=k/topic=t{i}","authenticationInfo":{{"principal":"User:u{}"}},"authorizationInfo":{{"granted":{},"operation":"Write","resourceType":"Topic","resourceName":"t{i}"}},"request":{{"client_id":"c{}","correlation_id":"{i}"}},"requestMetadata":{{"client_address":"/10.0.{}.{}"}}}}}}"#,
            i % 60,
            i % 100,
            i % 7 != 0,
            i % 200,
            i / 250,
            i % 250
        );
        let (_, e) = processor.enrich(ev.as_bytes(), None, 0).unwrap();
        inv.observe(&e, ev.as_bytes());
    }
    let r = inv.finish(0);
    assert_eq!(r.totals.events, 3000);
    assert!(r.limits.chains_dropped > 0 && r.limits.chains_total == 3000);
    assert!(r.limits.principals_dropped > 0);
    assert!(r.limits.top_error > 0);
    assert!(r.chains.iter().all(|c| c.steps.len() <= 8));
}

#[test]
fn terminal_colour_only_when_asked() {
    let r = investigate(Options::default(), everything());
    let mut plain = Vec::new();
    report_text::write(&r, false, &mut plain).unwrap();
    let mut coloured = Vec::new();
    report_text::write(&r, true, &mut coloured).unwrap();
    let (plain, coloured) = (
        String::from_utf8(plain).unwrap(),
        String::from_utf8(coloured).unwrap(),
    );
    assert!(!plain.contains('\x1b'));
    assert!(
        coloured.contains("\x1b[31m14\x1b[0m denied"),
        "denials in red"
    );
    let stripped: String = {
        let mut out = String::new();
        let mut it = coloured.chars();
        while let Some(c) = it.next() {
            if c == '\x1b' {
                for d in it.by_ref() {
                    if d == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    assert_eq!(stripped, plain, "colour changes nothing else");
}

#[test]
fn connection_ids_split_a_client_into_chains() {
    let detector = Detector::new(&DetectConfig::default(), Emit::OnClose).unwrap();
    let mut inv = Investigation::new(Options::default(), everything(), detector);
    let processor = Processor::default();
    for (i, conn) in ["c-1", "c-1", "c-2"].iter().enumerate() {
        let ev = format!(
            r#"{{"specversion":"1.0","id":"e{i}","source":"crn://x/kafka=k","type":"io.confluent.kafka.server/authorization","time":"2025-06-10T14:00:0{i}Z","data":{{"methodName":"kafka.Produce","resourceName":"crn://x/kafka=k/topic=t","authenticationInfo":{{"principal":"User:u"}},"authorizationInfo":{{"granted":true,"operation":"Write","resourceType":"Topic","resourceName":"t"}},"request":{{"client_id":"app","correlation_id":"{i}"}},"requestMetadata":{{"client_address":"/10.0.0.1","connection_id":"{conn}"}}}}}}"#
        );
        let (_, e) = processor.enrich(ev.as_bytes(), None, 0).unwrap();
        inv.observe(&e, ev.as_bytes());
    }
    let r = inv.finish(0);
    let mut conns: Vec<(Option<&str>, u64)> = r
        .chains
        .iter()
        .map(|c| (c.client.connection_id.as_deref(), c.events))
        .collect();
    conns.sort();
    assert_eq!(conns, [(Some("c-1"), 2), (Some("c-2"), 1)]);
    assert_eq!(r.chains[0].client.to_string().matches(" / ").count(), 2);
}

#[test]
fn the_rules_and_the_report_on_threads_give_the_inline_report() {
    // The incident and a stream of several batches, with invalid records.
    let processor = Processor {
        filtering: false,
        ..Processor::default()
    };
    let mut lines: Vec<String> = std::fs::read_to_string(INCIDENT)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    for i in 0..3 * detect_stage::BATCH + 7 {
        lines.push(format!(
            r#"{{"specversion":"1.0","id":"s{i}","source":"crn://x/kafka=k","type":"io.confluent.kafka.server/authorization","time":"2025-06-10T15:{:02}:{:02}Z","data":{{"methodName":"kafka.Produce","resourceName":"crn://x/kafka=k/topic=sensitive-{}","authenticationInfo":{{"principal":"User:u{}"}},"authorizationInfo":{{"granted":{},"operation":"Write","resourceType":"Topic","resourceName":"sensitive-{}"}},"request":{{"client_id":"c{}","correlation_id":"{i}"}},"requestMetadata":{{"client_address":"/10.0.0.{}"}}}}}}"#,
            i / 60 % 60,
            i % 60,
            i % 13,
            i % 9,
            i % 5 != 0,
            i % 13,
            i % 11,
            i % 7
        ));
        if i % 100 == 0 {
            lines.push("not json".to_owned());
        }
    }
    let detector = || Detector::new(&DetectConfig::default(), Emit::OnClose).unwrap();
    let mut inline = Investigation::new(Options::default(), everything(), detector());
    let o = Options::default();
    let mut both = Parallel::start(
        Investigation::without_rules(o.clone(), everything()),
        Rules::new(
            crate::cmd::reorder::Ordered::new(Box::new(detector()), o.reorder_bytes),
            o.max_alerts,
        ),
    );
    for l in &lines {
        match processor.enrich(l.as_bytes(), None, 0) {
            Ok((_, e)) => {
                both.event(e.clone(), l.as_bytes());
                inline.event(e, l.as_bytes());
            }
            Err(_) => {
                both.invalid();
                inline.invalid();
            }
        }
    }
    let (inv, alerts) = both.finish();
    let threaded = serde_json::to_value(inv.report(alerts, 0)).unwrap();
    let inline = serde_json::to_value(inline.finish(0)).unwrap();
    assert!(inline["totals"]["alerts"].as_u64().unwrap() > 0);
    assert_eq!(inline["input"]["invalid"].as_u64(), Some(16));
    assert_eq!(threaded, inline);
}
