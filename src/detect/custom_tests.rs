//! User-defined rules: count, distinct, new value, sequence.

use super::tests::{authz, run_lines};
use super::*;

const T0: i64 = 1_741_078_800;

fn cfg(toml_text: &str) -> DetectConfig {
    toml::from_str(toml_text).expect("valid [detect]")
}

fn read(id: &str, t: i64, user: &str, topic: &str, granted: bool) -> String {
    authz(
        id,
        T0 + t,
        user,
        "10.0.0.4",
        "kafka.FetchConsumer",
        "Read",
        &format!("topic={topic}"),
        granted,
    )
}

#[test]
fn custom_count_and_distinct() {
    let c = cfg(r#"
[[custom]]
name = "many_reads"
kind = "count"
match = { operation = "Read" }
group_by = ["principal"]
threshold = 3
window_secs = 60
[[custom]]
name = "topic_sweep"
kind = "distinct"
match = { verdict = "denied" }
group_by = ["principal"]
field = "resource_name"
threshold = 3
window_secs = 60
"#);
    let lines = [
        read("a", 0, "eve", "t1", false),
        read("b", 5, "eve", "t2", false),
        read("c", 10, "eve", "t2", false),
        read("d", 15, "eve", "t3", false),
    ];
    let a = run_lines(&c, &lines);
    let count: Vec<_> = a.iter().filter(|x| x.rule == "many_reads").collect();
    assert_eq!(count.len(), 1);
    assert_eq!(count[0].event_count, 4);
    let sweep: Vec<_> = a.iter().filter(|x| x.rule == "topic_sweep").collect();
    assert_eq!(sweep.len(), 1);
    assert_eq!(sweep[0].event_ids, ["a", "b", "c", "d"]);
    // Two distinct topics only: no sweep.
    let a = run_lines(&c, &lines[..3]);
    assert!(a.iter().all(|x| x.rule != "topic_sweep"));
}

#[test]
fn custom_new_value_and_sequence() {
    let c = cfg(r#"
[[custom]]
name = "new_topic_for_principal"
kind = "new_value"
match = { verdict = "allowed" }
group_by = ["principal"]
field = "resource_name"
[[custom]]
name = "denied_read_then_any_grant"
kind = "sequence"
match = { verdict = "denied" }
then = { verdict = "allowed" }
group_by = ["principal"]
window_secs = 30
"#);
    let a = run_lines(
        &c,
        &[
            read("a", 0, "eve", "t1", true),
            read("b", 5, "eve", "t1", true),
            read("c", 10, "eve", "t9", true),
            read("d", 20, "eve", "t5", false),
            read("e", 25, "eve", "t1", true),
        ],
    );
    let nv: Vec<_> = a
        .iter()
        .filter(|x| x.rule == "new_topic_for_principal")
        .collect();
    assert_eq!(nv.len(), 1);
    assert_eq!(nv[0].event_ids, ["c"]);
    let sq: Vec<_> = a
        .iter()
        .filter(|x| x.rule == "denied_read_then_any_grant")
        .collect();
    assert_eq!(sq.len(), 1);
    assert_eq!(sq[0].event_ids, ["d", "e"]);
}
