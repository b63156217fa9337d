//! The config loader (`src/config`): any TOML text, however mangled, gives
//! a config or problems, never a panic. Inputs are the shipped example
//! (`config.example.toml`) with lines deleted, duplicated, uncommented
//! (it documents every option in comments) or given odd values, and
//! random TOML-ish text.

use std::io::Write;

use proptest::prelude::*;
use siem_bridge::config;

use crate::gen::config as cases;

fn example() -> &'static str {
    include_str!("../../config.example.toml")
}

/// Values that stress the typed sections: wrong types, extremes, odd
/// strings, undefined and defined `${VAR}`s.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "1e400",
    "nan",
    "inf",
    "0.5",
    "true",
    "\"\"",
    "\"${UNDEFINED_VAR}\"",
    "\"${FUZZ_SET}\"",
    "\"${\"",
    "\"$${X}\"",
    "[]",
    "[1, \"a\"]",
    "{}",
    "{ a = 1 }",
    "\"\\u0000\"",
    "\"é😀\"",
    "\"localhost:0\"",
    "\"0.0.0.0:9\"",
    "\"http://[::1\"",
    "\"https://\"",
    "\"/nonexistent\"",
    "\"*\"",
    "\"crn://x\"",
    "\"1h\"",
    "\"-5s\"",
    "1979-05-27T07:32:00Z",
];

#[derive(Debug, Clone)]
enum LineEdit {
    Delete(prop::sample::Index),
    Duplicate(prop::sample::Index),
    Uncomment(prop::sample::Index),
    Value(prop::sample::Index, usize),
    Garbage(prop::sample::Index, String),
}

fn line_edit() -> impl Strategy<Value = LineEdit> {
    let i = any::<prop::sample::Index>();
    prop_oneof![
        1 => i.clone().prop_map(LineEdit::Delete),
        1 => i.clone().prop_map(LineEdit::Duplicate),
        4 => i.clone().prop_map(LineEdit::Uncomment),
        4 => (i.clone(), 0..VALUES.len()).prop_map(|(i, v)| LineEdit::Value(i, v)),
        1 => (i, "[\\[\\]{}=\"#a-z_. 0-9\n]{0,20}").prop_map(|(i, g)| LineEdit::Garbage(i, g)),
    ]
}

fn mutate(edits: &[LineEdit]) -> String {
    let mut lines: Vec<String> = example().lines().map(str::to_owned).collect();
    for e in edits {
        let n = lines.len();
        if n == 0 {
            break;
        }
        match e {
            LineEdit::Delete(i) => {
                lines.remove(i.index(n));
            }
            LineEdit::Duplicate(i) => {
                let l = lines[i.index(n)].clone();
                lines.insert(i.index(n), l);
            }
            LineEdit::Uncomment(i) => {
                // The next commented line at or after i.
                let start = i.index(n);
                if let Some(k) = (start..n).find(|&k| lines[k].starts_with('#')) {
                    lines[k] = lines[k].trim_start_matches('#').trim_start().to_owned();
                }
            }
            LineEdit::Value(i, v) => {
                let start = i.index(n);
                if let Some(k) =
                    (start..n).find(|&k| !lines[k].starts_with('#') && lines[k].contains(" = "))
                {
                    let key = lines[k].split(" = ").next().unwrap().to_owned();
                    lines[k] = format!("{key} = {}", VALUES[*v]);
                }
            }
            LineEdit::Garbage(i, g) => lines.insert(i.index(n), g.clone()),
        }
    }
    lines.join("\n")
}

fn load(text: &str) {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f.flush().unwrap();
    let env = |name: &str| (name == "FUZZ_SET").then(|| "value".to_owned());
    match config::load(Some(f.path()), &env) {
        Ok(_) => {}
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

proptest! {
    #![proptest_config(cases(300))]

    #[test]
    fn mutated_example_gives_config_or_problems(edits in prop::collection::vec(line_edit(), 0..12)) {
        load(&mutate(&edits));
    }

    #[test]
    fn toml_ish_text_gives_config_or_problems(
        text in "(\\[{1,2}[a-z_.]{0,12}\\]{1,2}\n|[a-z_]{1,12} = (\"[^\"\n]{0,12}\"|[0-9-]{1,6}|true|\\[\\]|\\{\\})\n|#[^\n]{0,8}\n){0,12}"
    ) {
        load(&text);
    }

    #[test]
    fn arbitrary_bytes_give_config_or_problems(raw in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&raw).unwrap();
        let _ = config::load(Some(f.path()), &|_| None);
    }
}

/// The example itself loads (it is what users copy).
#[test]
fn the_example_loads_or_names_its_problems() {
    load(example());
}
