use super::*;

fn parse(toml: &str) -> ElasticsearchConfig {
    toml::from_str(toml).unwrap()
}

fn keys(c: &ElasticsearchConfig) -> Vec<String> {
    c.check().into_iter().map(|(k, _)| k).collect()
}

#[test]
fn defaults() {
    let c = parse(r#"endpoint = "https://es:9200""#);
    assert_eq!(c.flavor, Flavor::Elasticsearch);
    assert_eq!(c.action, Action::Create);
    assert_eq!(c.compression, Compression::Gzip);
    assert_eq!(c.max_batch_bytes, 5 * 1024 * 1024);
    assert!(c.tls.verify);
    assert!(c.check().is_empty(), "{:?}", c.check());
    match c.target().unwrap() {
        Target::Index(p) => assert_eq!(
            p.render(1_741_078_801_112_000_000),
            "confluent-audit-2025.03.04"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_key_is_refused() {
    let e =
        toml::from_str::<ElasticsearchConfig>("endpoint = \"http://x\"\nindx = \"a\"").unwrap_err();
    assert!(e.to_string().contains("unknown field `indx`"), "{e}");
}

#[test]
fn opensearch_refuses_elasticsearch_only_settings() {
    let c = parse(
        r#"endpoint = "http://os:9200"
           flavor = "opensearch"
           include_source_on_error = false
           api_key = "abc""#,
    );
    assert_eq!(keys(&c), ["include_source_on_error", "api_key"]);
}

#[test]
fn bad_values_are_each_reported() {
    let c = parse(
        r#"endpoint = "ftp://x"
           index = "Audit-%Y"
           max_batch_events = 0
           timeout_secs = 0
           user = "u""#,
    );
    assert_eq!(
        keys(&c),
        [
            "endpoint",
            "index",
            "max_batch_events",
            "timeout_secs",
            "password"
        ]
    );
}

#[test]
fn data_stream_excludes_index_and_index_action() {
    let c = parse(
        r#"endpoint = "http://x"
           index = "a-%Y"
           data_stream = "logs-confluent.audit-default""#,
    );
    assert_eq!(keys(&c), ["data_stream"]);
    let c = parse(
        r#"endpoint = "http://x"
           action = "index"
           data_stream = "logs-confluent.audit-default""#,
    );
    assert_eq!(keys(&c), ["action"]);
}

#[test]
fn a_secret_from_an_empty_variable_is_refused() {
    let mut c = ElasticsearchConfig::new("http://x");
    c.user = Some("elastic".into());
    c.password = Some(Secret::new(""));
    let p = c.auth().unwrap_err();
    assert_eq!(p.key, "password");
    assert!(keys(&c).contains(&"password".to_owned()), "{:?}", keys(&c));
    c.user = None;
    c.password = None;
    c.bearer_token = Some(Secret::new(" "));
    assert_eq!(c.auth().unwrap_err().key, "bearer_token");
}

#[test]
fn auth_headers() {
    let mut c = ElasticsearchConfig::new("http://x");
    assert_eq!(c.auth().unwrap(), None);
    c.user = Some("elastic".into());
    c.password = Some(Secret::new("changeme"));
    // base64("elastic:changeme")
    assert_eq!(
        c.auth().unwrap().unwrap().expose(),
        "Basic ZWxhc3RpYzpjaGFuZ2VtZQ=="
    );
    c.bearer_token = Some(Secret::new("tok"));
    assert_eq!(c.auth().unwrap_err().key, "user", "two schemes at once");
    c.user = None;
    c.password = None;
    assert_eq!(c.auth().unwrap().unwrap().expose(), "Bearer tok");
    c.bearer_token = None;
    c.api_key = Some(Secret::new(
        "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
    ));
    assert_eq!(
        c.auth().unwrap().unwrap().expose(),
        "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="
    );
    c.api_key = Some(Secret::new("id1:key1"));
    assert_eq!(c.auth().unwrap().unwrap().expose(), "ApiKey aWQxOmtleTE=");
}

#[test]
fn secrets_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pw");
    std::fs::write(&p, "s3cret\n").unwrap();
    let mut c = ElasticsearchConfig::new("http://x");
    c.user = Some("u".into());
    c.password_file = Some(p.to_str().unwrap().into());
    // base64("u:s3cret")
    assert_eq!(c.auth().unwrap().unwrap().expose(), "Basic dTpzM2NyZXQ=");
    c.password_file = Some("/nonexistent/pw".into());
    assert_eq!(keys(&c), ["password"]);
    assert!(!format!("{c:?}").contains("s3cret"));
}
