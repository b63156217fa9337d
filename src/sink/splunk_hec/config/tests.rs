use super::*;

fn parse(extra: &str) -> Result<SplunkHecConfig, toml::de::Error> {
    toml::from_str(&format!(
        "endpoint = \"https://splunk:8088\"\ntoken = \"t\"\n{extra}"
    ))
}

#[test]
fn defaults() {
    let c = parse("").unwrap();
    assert_eq!(c.sourcetype, "confluent:audit");
    assert_eq!(c.max_batch_bytes, 1_000_000);
    assert_eq!(c.ack_timeout(), Duration::from_secs(300));
    assert!(c.tls.verify);
    assert!(!c.acknowledgements);
    assert_eq!(c.compression, Compression::None);
    assert!(c.check().is_empty(), "{:?}", c.check());
    assert_eq!(
        c.url(EVENT_PATH).unwrap().as_str(),
        "https://splunk:8088/services/collector/event"
    );
}

#[test]
fn path_prefix_is_kept_and_full_paths_refused() {
    let mut c = parse("").unwrap();
    c.endpoint = "https://proxy/splunk".to_owned();
    assert_eq!(
        c.url(ACK_PATH).unwrap().as_str(),
        "https://proxy/splunk/services/collector/ack"
    );
    c.endpoint = "https://splunk:8088/services/collector/event".to_owned();
    let keys: Vec<_> = c.check().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["endpoint"]);
}

#[test]
fn problems_name_their_keys() {
    let mut c =
        parse("max_batch_bytes = 0\nindex = \" \"\n[index_by_severity]\nhigh = \"\"").unwrap();
    c.token = None;
    let keys: Vec<_> = c.check().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "token",
            "index",
            "max_batch_bytes",
            "index_by_severity.high"
        ]
    );
}

#[test]
fn nested_fields_and_unknown_keys_are_refused() {
    assert!(parse("[fields]\nsite = \"eu1\"").is_ok());
    let e = parse("[fields.site]\nname = \"eu1\"").unwrap_err();
    assert!(e.to_string().contains("invalid type"), "{e}");
    assert!(parse("tokn = \"x\"").is_err());
}

#[test]
fn index_routing_keys() {
    let c = parse("[index_by_severity]\ncritical = \"sec\"\n[index_by_type]\n\"io.confluent.kafka.server/authentication\" = \"auth\"").unwrap();
    assert_eq!(c.index_by_severity.get(&Severity::Critical).unwrap(), "sec");
    assert_eq!(c.index_by_type.len(), 1);
    assert!(parse("[index_by_severity]\nsevere = \"x\"").is_err());
}
