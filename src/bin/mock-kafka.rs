//! `mock-kafka`: hosts librdkafka's mock cluster in its own process, so a
//! `siem-bridge run` child can be killed and restarted against a Kafka that
//! outlives it (end-to-end tests).
//!
//! Usage: `mock-kafka [BROKERS] [TOPIC:PARTITIONS]...`. Prints
//! `BOOTSTRAP=<servers>` on stdout, then reads commands on stdin:
//! `down <broker>`, `up <broker>`. Exits when stdin closes.

use std::io::BufRead;

use siem_bridge::mock::MockKafka;

fn main() {
    let mut args = std::env::args().skip(1);
    let brokers: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let kafka = MockKafka::start(brokers).expect("start mock cluster");
    for spec in args {
        let (topic, parts) = spec.split_once(':').unwrap_or((&spec, "1"));
        kafka
            .create_topic(topic, parts.parse().expect("partitions"))
            .expect("create topic");
    }
    println!("BOOTSTRAP={}", kafka.bootstrap_servers());
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        let result = match words.as_slice() {
            ["down", id] => kafka.cluster().broker_down(id.parse().unwrap_or(1)),
            ["up", id] => kafka.cluster().broker_up(id.parse().unwrap_or(1)),
            _ => {
                eprintln!("mock-kafka: unknown command {line:?}");
                Ok(())
            }
        };
        if let Err(e) = result {
            eprintln!("mock-kafka: {line}: {e}");
        }
        println!("OK");
    }
}
