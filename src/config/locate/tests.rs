use super::*;

const DOC: &str = r#"# comment
[kafka]
bootstrap_servers = "x"
group_id = 5

[[sinks]]
type = "file"
path = "/tmp/a"

[[sinks]]
type = "stdout"
bogus = 1

[filter]
drop = [
  { name = "a", verdict = "maybe" },
]
"#;

#[test]
fn finds_lines() {
    let l = Locator::new(DOC);
    assert_eq!(l.line("kafka.group_id"), Some(4));
    assert_eq!(l.line("kafka"), Some(2));
    assert_eq!(l.line("sinks[1].bogus"), Some(12));
    assert_eq!(l.line("sinks[0].path"), Some(8));
    assert_eq!(l.line("filter.drop[0].verdict"), Some(16));
    // Missing keys fall back to the deepest part that exists.
    assert_eq!(l.line("kafka.nope"), Some(2));
    assert_eq!(l.line("nothing"), None);
}
