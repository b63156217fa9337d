use super::*;

fn parse(toml_text: &str) -> Result<SyslogConfig, String> {
    toml::from_str(toml_text).map_err(|e| e.to_string())
}

fn keys(c: &SyslogConfig) -> Vec<String> {
    c.check().into_iter().map(|(k, _)| k).collect()
}

#[test]
fn defaults() {
    let c = parse(r#"address = "siem:514""#).unwrap();
    assert_eq!(c.protocol, Protocol::Tcp);
    assert_eq!(c.format, Format::Rfc5424);
    assert_eq!(c.framing(), Framing::OctetCounting);
    assert_eq!(c.facility, Facility(16));
    assert_eq!(c.max_message_bytes(), 8192);
    assert_eq!(c.host_port().unwrap(), ("siem", 514));
    assert!(c.check().is_empty(), "{:?}", c.check());
    let u = parse("address = \"[2001:db8::1]:514\"\nprotocol = \"udp\"").unwrap();
    assert_eq!(u.max_message_bytes(), 8192);
    assert_eq!(u.host_port().unwrap(), ("2001:db8::1", 514));
}

#[test]
fn facility_by_name_or_number() {
    let c = parse("address = \"h:1\"\nfacility = \"local5\"").unwrap();
    assert_eq!(c.facility, Facility(21));
    let c = parse("address = \"h:1\"\nfacility = 13").unwrap();
    assert_eq!(c.facility, Facility(13));
    let e = parse("address = \"h:1\"\nfacility = 24").unwrap_err();
    assert!(e.contains("facility 24 is not in 0–23"), "{e}");
    let e = parse("address = \"h:1\"\nfacility = \"local9\"").unwrap_err();
    assert!(e.contains("unknown facility `local9`"), "{e}");
}

#[test]
fn problems_name_their_key() {
    let c = parse(
        r#"
address = "no-port"
protocol = "tls"
framing = "lf"
max_message_bytes = 100
app_name = "has space"
sd_id = "a-forty-character-sd-id-that-is-too-long@32473"
connect_timeout_secs = 0
[tls]
ca_file = "/does/not/exist.pem"
"#,
    )
    .unwrap();
    assert_eq!(
        keys(&c),
        [
            "address",
            "framing",
            "max_message_bytes",
            "app_name",
            "sd_id",
            "connect_timeout_secs",
            "tls.ca_file"
        ]
    );
    let c = parse("address = \"h:1\"\nprotocol = \"udp\"\nframing = \"lf\"\nmax_message_bytes = 70000\n[tls]\n").unwrap();
    assert_eq!(keys(&c), ["framing", "max_message_bytes", "tls"]);
    let e = parse("address = \"h:1\"\nformat = \"json\"").unwrap_err();
    assert!(e.contains("unknown variant `json`"), "{e}");
}

#[test]
fn sd_id_rules() {
    assert!(check_sd_id("audit@32473").is_ok());
    assert!(check_sd_id("x@1.2.3").is_ok());
    // S1: an SD-ID of 40 characters is refused at configuration time.
    assert!(check_sd_id(&format!("{}@32473", "a".repeat(34))).is_err());
    for bad in [
        "audit", "a b@1", "a=b@1", "a]@1", "a\"@1", "@1", "a@", "a@x", "a@1@2",
    ] {
        assert!(check_sd_id(bad).is_err(), "{bad}");
    }
}

#[test]
fn relp_has_its_own_framing_and_takes_tls() {
    let c = parse("address = \"h:2514\"\nprotocol = \"relp\"").unwrap();
    assert_eq!(c.protocol.as_str(), "relp");
    assert!(c.check().is_empty(), "{:?}", c.check());
    let c = parse("address = \"h:2514\"\nprotocol = \"relp\"\nframing = \"lf\"").unwrap();
    assert_eq!(keys(&c), ["framing"]);
    let c = parse("address = \"h:2514\"\nprotocol = \"relp\"\n[tls]\nverify = true").unwrap();
    assert!(c.check().is_empty(), "{:?}", c.check());
    let c = parse("address = \"h:514\"\nprotocol = \"tcp\"\n[tls]\nverify = true").unwrap();
    assert_eq!(keys(&c), ["tls"]);
    assert_eq!(parse("address = \"h:1\"").unwrap().settle_ms, 1000);
    assert_eq!(parse("address = \"h:1\"").unwrap().resend_window_bytes, 0);
}
