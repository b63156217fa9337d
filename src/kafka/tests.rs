//! The `[kafka]` settings and the consumer configuration they give.

use super::*;
use crate::secret::Secret;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::Consumer;
use rdkafka::TopicPartitionList;

#[test]
fn confluent_cloud_from_environment() {
    let mut k = KafkaConfig::default();
    let env = |v: &str| match v {
        "CONFLUENT_BOOTSTRAP_SERVERS" => Some("pkc-1.confluent.cloud:9092".to_owned()),
        "CONFLUENT_API_KEY" => Some("KEY".to_owned()),
        "CONFLUENT_API_SECRET" => Some("SECRET".to_owned()),
        _ => None,
    };
    assert!(k.apply_env(env).is_empty());
    assert_eq!(k.security_protocol, SecurityProtocol::SaslSsl);
    assert_eq!(k.sasl_mechanism.as_deref(), Some("PLAIN"));
    assert_eq!(k.sasl_username.as_deref(), Some("KEY"));
    assert!(!format!("{k:?}").contains("SECRET"));
    let c = k.consumer_config().unwrap();
    assert_eq!(c.get("sasl.password"), Some("SECRET"));
    assert_eq!(c.get("enable.auto.offset.store"), Some("false"));
    assert!(k.check().is_empty());
}

#[test]
fn a_key_without_its_secret_is_refused_naming_the_missing_variable() {
    for (set, missing) in [
        ("CONFLUENT_API_KEY", "CONFLUENT_API_SECRET"),
        ("CONFLUENT_API_SECRET", "CONFLUENT_API_KEY"),
    ] {
        let mut k = KafkaConfig::default();
        let problems = k.apply_env(|v: &str| match v {
            "CONFLUENT_BOOTSTRAP_SERVERS" => Some("pkc-1:9092".to_owned()),
            v if v == set => Some("X".to_owned()),
            // Empty counts as unset.
            v if v == missing => Some(String::new()),
            _ => None,
        });
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, "sasl_password");
        assert!(
            problems[0]
                .1
                .starts_with(&format!("{set} is set but {missing} is not")),
            "{problems:?}"
        );
        assert_eq!(k.security_protocol, SecurityProtocol::Plaintext);
    }
}

#[test]
fn credentials_that_would_not_be_sent_or_are_empty_are_refused() {
    let k = KafkaConfig {
        bootstrap_servers: "x:9092".into(),
        sasl_username: Some("KEY".into()),
        sasl_password: Some(Secret::new("")),
        ..Default::default()
    };
    let keys: Vec<String> = k.check().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["security_protocol", "sasl_password"]);
    // Zero-config with only CONFLUENT_BOOTSTRAP_SERVERS, at a Cloud cluster.
    let mut k = KafkaConfig::default();
    assert!(k
        .apply_env(|v: &str| {
            (v == "CONFLUENT_BOOTSTRAP_SERVERS")
                .then(|| "pkc-1.us-west-2.aws.confluent.cloud:9092".to_owned())
        })
        .is_empty());
    let problems = k.check();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .1
            .starts_with("is plaintext, but Confluent Cloud accepts only sasl_ssl"),
        "{problems:?}"
    );
}

#[test]
fn reserved_options_are_refused() {
    let mut k = KafkaConfig {
        bootstrap_servers: "x:9092".into(),
        ..Default::default()
    };
    k.librdkafka_options
        .insert("enable.auto.offset.store".into(), Secret::new("true"));
    k.librdkafka_options
        .insert("fetch.min.bytes".into(), Secret::new("1"));
    k.librdkafka_options.insert(
        "sasl.oauthbearer.client.secret".into(),
        Secret::new("oidc-secret"),
    );
    assert!(!format!("{k:?}").contains("oidc-secret"));
    let problems = k.check();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].0.contains("enable.auto.offset.store"));
}

#[test]
fn prefetch_backoff_is_short_unless_overridden() {
    let mut k = KafkaConfig {
        bootstrap_servers: "x:9092".into(),
        ..Default::default()
    };
    let c = k.consumer_config().unwrap();
    assert_eq!(c.get("fetch.queue.backoff.ms"), Some("10"));
    assert_eq!(c.get("queued.max.messages.kbytes"), Some("4096"));
    k.librdkafka_options
        .insert("fetch.queue.backoff.ms".into(), Secret::new("1000"));
    let c = k.consumer_config().unwrap();
    assert_eq!(c.get("fetch.queue.backoff.ms"), Some("1000"));
}

/// Reads a backlog 60 times the prefetch bound, in many small message
/// sets, with the consumer configuration. Returns the seconds taken.
async fn catch_up_secs(options: &[(&str, &str)]) -> f64 {
    use rdkafka::consumer::StreamConsumer;
    use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
    use rdkafka::Message;
    use std::time::{Duration, Instant};

    const N: usize = 2000;
    let kafka = crate::mock::MockKafka::start(1).unwrap();
    kafka.create_topic("t", 4).unwrap();
    let producer: ThreadedProducer<_> = ClientConfig::new()
        .set("bootstrap.servers", kafka.bootstrap_servers())
        .set("batch.num.messages", "25")
        .create()
        .unwrap();
    let payload = vec![b'x'; 1000];
    for i in 0..N {
        producer
            .send(
                BaseRecord::<(), _>::to("t")
                    .payload(&payload)
                    .partition(i as i32 % 4),
            )
            .map_err(|(e, _)| e)
            .unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    let mut k = KafkaConfig {
        bootstrap_servers: kafka.bootstrap_servers(),
        topics: vec!["t".into()],
        prefetch_kbytes: 32,
        ..Default::default()
    };
    for (key, v) in options {
        k.librdkafka_options.insert((*key).into(), Secret::new(*v));
    }
    let consumer: StreamConsumer = k.consumer_config().unwrap().create().unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..4 {
        tpl.add_partition_offset("t", p, rdkafka::Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let start = Instant::now();
    let read = async {
        for _ in 0..N {
            let m = consumer.recv().await.unwrap();
            assert_eq!(m.payload().map(<[u8]>::len), Some(1000));
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("backlog read within a minute");
    start.elapsed().as_secs_f64()
}

/// Each fetch overfills the 32 KiB prefetch queue. With librdkafka's
/// default `fetch.queue.backoff.ms` (1 s) every partition then waits a
/// second before fetching again: this took 9.5 s (about ten rounds);
/// with [`FETCH_QUEUE_BACKOFF_MS`] it takes well under a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_prefetch_queue_does_not_stall_the_consumer() {
    let secs = catch_up_secs(&[]).await;
    assert!(secs < 5.0, "2000 records took {secs:.1} s");
}
