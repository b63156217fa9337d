//! The CRN parser (`src/event/crn.rs`): never panics, round-trips what it
//! documents (percent-encoded pieces decode back, empty segments dropped,
//! the first `=` splits), and the enrichment built on the hot path (spans
//! into the record) agrees with the owned parse.

use proptest::prelude::*;
use siem_bridge::event::crn::{Crn, Cuts};
use siem_bridge::event::Disposition;
use siem_bridge::process::Processor;

use crate::gen::{config, json_string, nasty_string};

/// Percent-encodes `%`, `/`, `*` and (in keys) `=`, plus every non-ASCII
/// character: the minimal encoding that makes a piece unambiguous.
fn encode(s: &str, key: bool) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '%' | '/' | '*') || (key && c == '=') || !c.is_ascii() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{0,12}",
        nasty_string(),
        Just("organization".to_owned()),
        Just("environment".to_owned()),
        Just("kafka".to_owned()),
        Just("cloud-cluster".to_owned()),
        Just("topic".to_owned()),
    ]
}

/// The enrichment of an event whose `data.resourceName` is `crn`.
fn check_enrichment(crn: &str) {
    let text = format!(
        r#"{{"id":"1","source":"crn://confluent.cloud/","specversion":"1.0","type":"io.confluent.kafka.server/authorization","data":{{"methodName":"kafka.Produce","resourceName":{}}}}}"#,
        json_string(crn, &[false])
    );
    let Disposition::Forward(e) = Processor::default().process(text.as_bytes(), None, 0) else {
        panic!("not forwarded: {text}");
    };
    let info = e.enrichment.crn();
    let parsed = Crn::parse(crn);
    assert_eq!(info.raw, Some(crn));
    match &parsed {
        None => assert!(!info.valid && info.authority.is_none()),
        Some(p) => {
            assert_eq!(info.authority, Some(p.authority.as_str()), "{crn}");
            assert_eq!(info.valid, p.components.is_some(), "{crn}");
            assert_eq!(info.is_pattern, p.is_pattern, "{crn}");
            if let Some(list) = &p.components {
                let got: Vec<(&str, &str)> = info.components().unwrap().collect();
                let want: Vec<(&str, &str)> =
                    list.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                assert_eq!(got, want, "{crn}");
                assert_eq!(info.organization, p.get("organization"), "{crn}");
                assert_eq!(info.environment, p.get("environment"), "{crn}");
                let cluster = p
                    .get("cloud-cluster")
                    .or(p.get("kafka"))
                    .or(p.get("kafka-cluster"));
                assert_eq!(info.cluster, cluster, "{crn}");
                assert_eq!(info.resource_type, p.last().map(|l| l.0.as_str()));
                assert_eq!(info.resource_name, p.last().map(|l| l.1.as_str()));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,64}", tail in "[/=%*a-f0-9]{0,16}") {
        for raw in [s.clone(), format!("crn://{s}{tail}"), format!("crn:///{tail}{s}")] {
            let parsed = Crn::parse(&raw);
            assert_eq!(parsed.is_some(), raw.starts_with("crn://"));
            assert_eq!(Cuts::of(&raw).is_some(), parsed.is_some());
            if raw.starts_with("crn://") {
                check_enrichment(&raw);
            }
        }
    }

    #[test]
    fn encoded_components_round_trip(
        authority in piece(),
        pairs in prop::collection::vec((piece(), piece()), 0..6),
        empty_segments in prop::collection::vec(any::<bool>(), 0..8),
        star in any::<bool>(),
    ) {
        let mut raw = format!("crn://{}", encode(&authority, false));
        for (i, (k, v)) in pairs.iter().enumerate() {
            raw.push('/');
            if empty_segments.get(i).copied().unwrap_or(false) {
                raw.push('/'); // an empty segment, dropped
            }
            raw.push_str(&encode(k, true));
            raw.push('=');
            raw.push_str(&encode(v, false));
        }
        if star && !pairs.is_empty() {
            raw.push('*');
        }
        let p = Crn::parse(&raw).expect("crn:// prefix");
        prop_assert_eq!(&p.authority, &authority);
        let mut want = pairs.clone();
        if star {
            if let Some(last) = want.last_mut() {
                last.1.push('*');
            }
        }
        prop_assert_eq!(p.components.as_ref(), Some(&want), "{}", raw);
        prop_assert_eq!(p.is_pattern, star && !pairs.is_empty());
        for (k, _) in &want {
            let last = want.iter().rev().find(|(k2, _)| k2 == k).map(|(_, v)| v.as_str());
            prop_assert_eq!(p.get(k), last);
        }
        check_enrichment(&raw);
    }

    #[test]
    fn a_segment_without_equals_makes_it_invalid(
        pairs in prop::collection::vec(("[a-z]{1,6}", "[a-z0-9]{0,6}"), 0..4),
        bad in "[a-z0-9%*]{1,8}",
        at in any::<prop::sample::Index>(),
    ) {
        let mut segs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        segs.insert(at.index(segs.len() + 1), bad);
        let raw = format!("crn://confluent.cloud/{}", segs.join("/"));
        let p = Crn::parse(&raw).unwrap();
        prop_assert!(p.components.is_none(), "{}", raw);
        prop_assert!(!p.is_pattern);
        check_enrichment(&raw);
    }
}
