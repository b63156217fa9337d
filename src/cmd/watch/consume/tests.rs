use super::*;

#[test]
fn no_group_and_no_commits_whatever_the_options() {
    let mut k = KafkaConfig {
        bootstrap_servers: "b:9092".into(),
        ..Default::default()
    };
    k.librdkafka_options
        .insert("fetch.min.bytes".into(), "1".into());
    let group = throwaway_group();
    assert!(group.starts_with("siem-bridge-watch-"), "{group}");
    assert_ne!(throwaway_group(), group);
    let c = consumer_config(&k, &group).unwrap();
    assert_eq!(c.get("group.id"), Some(group.as_str()));
    assert_eq!(c.get("enable.auto.commit"), Some("false"));
    assert_eq!(c.get("enable.auto.offset.store"), Some("false"));
    assert_eq!(c.get("fetch.min.bytes"), Some("1"));
    assert_eq!(
        c.get("fetch.queue.backoff.ms"),
        Some(crate::kafka::FETCH_QUEUE_BACKOFF_MS.to_string().as_str())
    );
}

#[test]
fn progress_counts() {
    let mut p = Part {
        topic: "t".into(),
        partition: 0,
        start: 10,
        high_at_start: 30,
        next: 10,
        done: false,
    };
    assert_eq!((p.backlog(), p.caught_up()), (20, 0));
    p.next = 25;
    assert_eq!(p.caught_up(), 15);
    p.next = 99;
    assert_eq!(p.caught_up(), 20);
}
