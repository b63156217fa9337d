use super::*;

#[test]
fn defaults_listen_on_loopback_with_seven_days() {
    let c: ObservabilityConfig = toml::from_str("").unwrap();
    assert_eq!(c, ObservabilityConfig::default());
    assert_eq!(c.listen, "127.0.0.1:9464");
    assert_eq!(c.retention(), Duration::from_secs(604_800));
    assert!(c.check().is_empty());
}

#[test]
fn a_host_name_is_refused_unless_disabled() {
    let mut c = ObservabilityConfig {
        listen: "localhost:9464".into(),
        retention_hours: 0,
        ..Default::default()
    };
    assert_eq!(
        c.check(),
        vec![
            (
                "listen".to_owned(),
                "`localhost:9464` is not an IP address and port such as 127.0.0.1:9464".to_owned()
            ),
            ("retention_hours".to_owned(), "must be positive".to_owned())
        ]
    );
    c.enabled = false;
    c.retention_hours = 1;
    assert!(c.check().is_empty());
}
