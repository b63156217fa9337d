use super::*;

const KEY: &str = "0123456789abcdef0123456789abcdef";

fn parse(toml: &str) -> Result<WebhookConfig, toml::de::Error> {
    toml::from_str(toml)
}

fn keys(c: &WebhookConfig) -> Vec<String> {
    c.check().into_iter().map(|(k, _)| k).collect()
}

#[test]
fn defaults() {
    let c = parse("url = \"https://hooks.example.com/alerts\"").unwrap();
    assert_eq!(c.format, Format::Generic);
    assert_eq!(c.timeout_secs, 10);
    assert_eq!(c.source, "siem-bridge");
    assert_eq!(c.component, "confluent-audit-log");
    assert!(c.headers.is_empty() && c.links.is_empty());
    assert!(c.check().is_empty(), "{:?}", c.check());

    let pd = parse(&format!("format = \"pagerduty\"\nrouting_key = \"{KEY}\"")).unwrap();
    assert_eq!(pd.url().unwrap().as_str(), PAGERDUTY_URL);
    assert!(pd.check().is_empty(), "{:?}", pd.check());
    assert_eq!(pd.routing_key().unwrap().expose(), KEY);
}

#[test]
fn unknown_keys_are_refused() {
    let e = parse("url = \"https://h.example.com\"\nroutingkey = \"x\"").unwrap_err();
    assert!(e.to_string().contains("routingkey"), "{e}");
    let e = parse("format = \"opsgenie\"").unwrap_err();
    assert!(e.to_string().contains("opsgenie"), "{e}");
    let e =
        parse("url = \"https://h\"\n[[links]]\nhref = \"https://x\"\nlabel = \"y\"").unwrap_err();
    assert!(e.to_string().contains("label"), "{e}");
}

#[test]
fn url_must_be_http() {
    let c = WebhookConfig::new(Format::Generic);
    assert_eq!(keys(&c), ["url"], "generic needs a url");
    for bad in ["ftp://h.example.com/x", "not a url"] {
        let mut c = WebhookConfig::new(Format::Generic);
        c.url = Some(bad.into());
        assert_eq!(keys(&c), ["url"], "{bad}");
    }
}

#[test]
fn pagerduty_needs_a_routing_key() {
    let c = WebhookConfig::new(Format::Pagerduty);
    let problems = c.check();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "routing_key");
    assert!(problems[0].1.contains("routing_key_file"), "{problems:?}");

    let mut short = WebhookConfig::new(Format::Pagerduty);
    short.routing_key = Some(Secret::new("secret-value-xyz"));
    let p = short.check();
    assert_eq!(p[0].0, "routing_key");
    assert!(!p[0].1.contains("secret-value-xyz"), "never printed: {p:?}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pd");
    std::fs::write(&path, format!("{KEY}\n")).unwrap();
    let mut from_file = WebhookConfig::new(Format::Pagerduty);
    from_file.routing_key_file = Some(path.to_str().unwrap().to_owned());
    assert!(from_file.check().is_empty(), "{:?}", from_file.check());
    from_file.routing_key = Some(Secret::new(KEY));
    assert_eq!(keys(&from_file), ["routing_key"], "both given");
}

#[test]
fn every_problem_names_its_key() {
    let mut c = WebhookConfig::new(Format::Generic);
    c.url = Some("https://h.example.com/hook".into());
    c.timeout_secs = 0;
    c.routing_key = Some(Secret::new(KEY));
    c.links = vec![Link {
        href: "https://x".into(),
        text: None,
    }];
    c.auth_header_file = Some("/nonexistent/siem-bridge/auth".into());
    c.headers
        .insert("Authorization".into(), Secret::new("Bearer x"));
    c.headers
        .insert("Content-Type".into(), Secret::new("text/plain"));
    c.headers.insert("bad name".into(), Secret::new("v"));
    c.headers.insert("X-Ok".into(), Secret::new("line\nbreak"));
    c.tls.cert_file = Some("/nonexistent/cert.pem".into());
    let k = keys(&c);
    for want in [
        "timeout_secs",
        "routing_key",
        "links",
        "auth_header",
        "headers.Authorization",
        "headers.Content-Type",
        "headers.bad name",
        "headers.X-Ok",
        "tls.cert_file",
    ] {
        assert!(k.iter().any(|x| x == want), "{want} missing in {k:?}");
    }

    let mut pd = WebhookConfig::new(Format::Pagerduty);
    pd.routing_key = Some(Secret::new(KEY));
    pd.auth_header = Some(Secret::new("Bearer x"));
    pd.source = " ".into();
    pd.links = vec![Link {
        href: "javascript:alert(1)".into(),
        text: None,
    }];
    pd.url = Some("mailto:x@example.com".into());
    assert_eq!(
        keys(&pd),
        ["url", "auth_header", "source", "links[0].href"],
        "{:?}",
        pd.check()
    );
}
