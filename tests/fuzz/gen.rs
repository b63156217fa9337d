//! Shared generators: the case budget, fixture events and their mutations,
//! and a JSON writer that escapes characters at random.

use proptest::prelude::*;
use proptest::test_runner::Config;

/// Cases per target: `FUZZ_CASES` when set (long runs), else `default`
/// (the bounded run of the normal test suite).
pub fn config(default: u32) -> Config {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        // Shrinking a long run's failure should not take longer than the run.
        max_shrink_iters: 4096,
        ..Config::default()
    }
}

/// The fixture events (`tests/data/audit-events/sample.jsonl`), one per line.
pub fn fixtures() -> &'static [String] {
    static LINES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LINES.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/audit-events/sample.jsonl"
        );
        std::fs::read_to_string(path)
            .expect("tests/data/audit-events/sample.jsonl")
            .lines()
            .filter(|l| !l.is_empty() && l.len() < 50_000)
            .map(str::to_owned)
            .collect()
    })
}

/// Snippets that matter to a JSON scanner: quotes, escapes, structure,
/// number edges, known keys, multibyte text.
const TOKENS: &[&str] = &[
    "\"",
    "\\",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "0",
    "-0",
    "1e400",
    "1.5e-7",
    "-",
    ".",
    " ",
    "\t",
    "\n",
    "null",
    "true",
    "fals",
    "\\u0041",
    "\\ud83d\\ude00",
    "\\ud800",
    "\\u00e9",
    "\\n",
    "\\\"",
    "\u{1}",
    "\u{7f}",
    "é",
    "😀",
    "\"id\":\"x\",",
    "\"\":1,",
    "\"type\":",
    "\"data\":{}",
    "\"time\":\"2025-01-01T00:00:00Z\",",
    "12345678901234567890123",
    "\"principal\":\"User:1\",",
    "\"granted\":",
    "[[[[",
    "]]]]",
];

/// One edit of a text: delete a span, insert a token, replace a span by a
/// token, duplicate a span, or swap two halves.
#[derive(Debug, Clone)]
pub enum Edit {
    Delete(prop::sample::Index, u8),
    Insert(prop::sample::Index, usize),
    Replace(prop::sample::Index, u8, usize),
    Duplicate(prop::sample::Index, u8),
    Byte(prop::sample::Index, u8),
}

pub fn edit() -> impl Strategy<Value = Edit> {
    let tok = 0..TOKENS.len();
    prop_oneof![
        (any::<prop::sample::Index>(), 1u8..16).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<prop::sample::Index>(), tok.clone()).prop_map(|(i, t)| Edit::Insert(i, t)),
        (any::<prop::sample::Index>(), 1u8..8, tok).prop_map(|(i, n, t)| Edit::Replace(i, n, t)),
        (any::<prop::sample::Index>(), 1u8..32).prop_map(|(i, n)| Edit::Duplicate(i, n)),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Byte(i, b)),
    ]
}

/// Applies `edits` to `text` as bytes (so a `Byte` edit may leave it
/// invalid UTF-8, which is a case worth having).
pub fn apply(text: &str, edits: &[Edit]) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    for e in edits {
        let at = |i: &prop::sample::Index, len: usize| if len == 0 { 0 } else { i.index(len + 1) };
        match e {
            Edit::Delete(i, n) => {
                let s = at(i, b.len()).min(b.len());
                let end = (s + *n as usize).min(b.len());
                b.drain(s..end);
            }
            Edit::Insert(i, t) => {
                let s = at(i, b.len());
                b.splice(s..s, TOKENS[*t].bytes());
            }
            Edit::Replace(i, n, t) => {
                let s = at(i, b.len()).min(b.len());
                let end = (s + *n as usize).min(b.len());
                b.splice(s..end, TOKENS[*t].bytes());
            }
            Edit::Duplicate(i, n) => {
                let s = at(i, b.len()).min(b.len());
                let end = (s + *n as usize).min(b.len());
                let dup = b[s..end].to_vec();
                b.splice(end..end, dup);
            }
            Edit::Byte(i, v) => {
                if !b.is_empty() {
                    let s = i.index(b.len());
                    b[s] = *v;
                }
            }
        }
    }
    b
}

/// A fixture line with up to `max` edits.
pub fn mutated_fixture(max: usize) -> impl Strategy<Value = Vec<u8>> {
    (
        any::<prop::sample::Index>(),
        prop::collection::vec(edit(), 0..=max),
    )
        .prop_map(|(line, edits)| {
            let lines = fixtures();
            apply(&lines[line.index(lines.len())], &edits)
        })
}

/// A fixture line pretty-printed (line breaks and indentation between
/// tokens, as Confluent Platform tools and humans write it), with up to
/// `max` edits.
pub fn pretty_fixture(max: usize) -> impl Strategy<Value = Vec<u8>> {
    (
        any::<prop::sample::Index>(),
        prop::collection::vec(edit(), 0..=max),
        any::<bool>(),
    )
        .prop_map(|(line, edits, crlf)| {
            let lines = fixtures();
            let text = &lines[line.index(lines.len())];
            let pretty = match serde_json::from_str::<serde_json::Value>(text) {
                Ok(v) => serde_json::to_string_pretty(&v).unwrap(),
                Err(_) => text.clone(),
            };
            let pretty = if crlf {
                pretty.replace('\n', "\r\n")
            } else {
                pretty
            };
            apply(&pretty, &edits)
        })
}

/// Strings that stress escaping: quotes, backslashes, control
/// characters, separators of CEF/LEEF/CRNs, multibyte and astral text.
pub fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,24}",
        "[\"\\\\\n\r\t|=^\\]/:%+*a-z\u{0}-\u{1f}\u{7f}é€😀\u{feff}\u{2028}]{0,24}",
        Just(String::new()),
        Just("User:sa-1".to_owned()),
        Just("crn://confluent.cloud/organization=o/environment=e".to_owned()),
    ]
}

/// `s` as a JSON string literal where each character is written plainly
/// or as a `\uXXXX` escape (surrogate pairs for astral characters), as
/// `escape` picks: JSON that serde_json never writes but must read.
pub fn json_string(s: &str, escape: &[bool]) -> String {
    let mut out = String::from("\"");
    for (n, c) in s.chars().enumerate() {
        let forced = matches!(c, '"' | '\\') || (c as u32) < 0x20;
        if forced
            || escape
                .get(n % escape.len().max(1))
                .copied()
                .unwrap_or(false)
        {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{:04x}", u));
            }
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}
