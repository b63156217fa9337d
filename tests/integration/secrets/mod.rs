//! Secret hygiene (`docs/fuzzing.md` §"Secret hygiene"): known secret
//! values for every kind of credential the bridge takes (Kafka API
//! secret, HEC token, Elasticsearch password and API key, the TLS key
//! passphrase given to librdkafka) never appear in what the binary prints
//! at any log level, in `/metrics`, `/health`, `/ready`, dead-letter files,
//! or `Debug` output (what a panic message would carry); TLS verification
//! is on by default for every TLS client; the endpoints bind to loopback.

mod binary;
mod defaults;

use base64::Engine;

/// `(environment variable, value)`: the config files name the variables.
pub const SECRETS: [(&str, &str); 5] = [
    // Opaque values, so that no half of one is a word the logs use.
    ("SB_TEST_KAFKA_SECRET", "Kq7Zv2Lm9xWp3Rt8Hd"),
    ("SB_TEST_HEC_TOKEN", "1b9d3f2e-77c4-4b1e-9a5c-8e0f6d2a4c71"),
    ("SB_TEST_ES_PASSWORD", "Hn4k8Rw2zPq6Jm1Tx"),
    ("SB_TEST_ES_API_KEY", "Tz6p1Vq3yBn8Wd4Ks0"),
    ("SB_TEST_TLS_PASS", "Bc5mJx9Lq2Vr7Np4Gh"),
];

/// Every form a secret could leak in: itself, and the encodings that go
/// on the wire (HTTP Basic auth, base64, Splunk's header value).
pub fn needles() -> Vec<(String, String)> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut out = Vec::new();
    for (var, value) in SECRETS {
        out.push((var.to_owned(), value.to_owned()));
        out.push((format!("{var} (base64)"), b64(value)));
        // Distinctive halves: a secret cut by a truncated log line still
        // counts.
        out.push((
            format!("{var} (first half)"),
            value[..value.len() / 2].to_owned(),
        ));
        out.push((
            format!("{var} (second half)"),
            value[value.len() / 2..].to_owned(),
        ));
    }
    out.push((
        "basic auth".to_owned(),
        b64(&format!("elastic:{}", SECRETS[2].1)),
    ));
    out
}

/// Fails naming the secret and where it showed, with some context.
pub fn assert_clean(what: &str, text: &str) {
    for (name, needle) in needles() {
        if let Some(i) = text.find(&needle) {
            let from = text[..i]
                .char_indices()
                .rev()
                .nth(200)
                .map_or(0, |(j, _)| j);
            let to = (i + needle.len() + 200).min(text.len());
            let to = (to..=text.len())
                .find(|&j| text.is_char_boundary(j))
                .unwrap();
            panic!("{name} appears in {what}:\n…{}…", &text[from..to]);
        }
    }
}

/// The environment that defines every secret variable.
pub fn secret_env() -> Vec<(&'static str, &'static str)> {
    SECRETS.to_vec()
}

/// The check itself finds a secret, in any of its forms.
#[test]
#[should_panic(expected = "SB_TEST_ES_PASSWORD (base64) appears in a log line")]
fn the_check_finds_an_encoded_secret() {
    let b64 = base64::engine::general_purpose::STANDARD.encode(SECRETS[2].1);
    assert_clean("a log line", &format!("Authorization: Basic x {b64}"));
}
