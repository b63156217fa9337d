use super::*;

#[test]
fn reads_as_words() {
    let t = "confluent-audit-log-events".to_owned();
    assert_eq!(
        partitions(&[(t.clone(), 0), (t.clone(), 1), ("x".into(), 2)]),
        "confluent-audit-log-events partitions 0, 1; x partition 2"
    );
    assert_eq!(
        offsets(&[(t.clone(), 0, Some(95)), (t, 1, None)]),
        "confluent-audit-log-events: partition 0 at offset 95, partition 1 nothing stored"
    );
    assert_eq!(partitions(&[]), "none");
}
