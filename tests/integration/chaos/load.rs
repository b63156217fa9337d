//! Continuous load: `evt-<n>` produced to tansu at a steady rate, each
//! record's landing place (partition, offset) kept from its delivery
//! report, so committed offsets can be checked against delivered ids.
//! Optionally every k-th record is not JSON (`bad-<n>`): it must reach
//! the dead-letter store, never a sink.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;

use crate::support::kafka::{event, TOPIC};

type Landed = Arc<Mutex<Vec<Option<(i32, i64)>>>>;

pub struct Load {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
    landed: Landed,
    bad_every: Option<usize>,
}

/// What was produced, once every send has its delivery report.
pub struct Produced {
    /// Record `n` → where it landed (`None`: the producer gave up on it).
    pub landed: Vec<Option<(i32, i64)>>,
    pub bad_every: Option<usize>,
    pub partitions: i32,
}

impl Produced {
    pub fn is_bad(&self, n: usize) -> bool {
        self.bad_every.is_some_and(|k| n % k == k - 1)
    }
    pub fn id(&self, n: usize) -> String {
        match self.is_bad(n) {
            true => format!("bad-{n}"),
            false => format!("evt-{n}"),
        }
    }
    /// The next offset of each partition after everything produced.
    pub fn ends(&self) -> Vec<i64> {
        let mut ends = vec![0; self.partitions as usize];
        for (p, o) in self.landed.iter().flatten() {
            ends[*p as usize] = ends[*p as usize].max(o + 1);
        }
        ends
    }
    /// Records the producer could not deliver (not the bridge's concern).
    pub fn unsent(&self) -> usize {
        self.landed.iter().filter(|l| l.is_none()).count()
    }
}

impl Load {
    /// Produces `rate` records a second over `partitions` partitions,
    /// round-robin, until stopped.
    pub fn start(bootstrap: &str, partitions: i32, rate: usize, bad_every: Option<usize>) -> Load {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("linger.ms", "5")
            .set("compression.type", "none")
            .set("acks", "all")
            // Rides out broker restarts.
            .set("message.timeout.ms", "600000")
            .create()
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let landed: Landed = Arc::default();
        let (st, l) = (stop.clone(), landed.clone());
        let task = tokio::spawn(async move {
            let tick = Duration::from_millis(50);
            let per_tick = (rate / 20).max(1);
            let mut acks = Vec::new();
            let mut next = tokio::time::Instant::now();
            while !st.load(Ordering::Relaxed) {
                let first = l.lock().unwrap().len();
                l.lock().unwrap().resize(first + per_tick, None);
                let mut pending = Vec::with_capacity(per_tick);
                for n in first..first + per_tick {
                    let bad = bad_every.is_some_and(|k| n % k == k - 1);
                    let value = match bad {
                        true => format!("bad-{n} is not JSON"),
                        false => event(n),
                    };
                    let key = n.to_string();
                    let record = FutureRecord::to(TOPIC)
                        .payload(&value)
                        .key(&key)
                        .partition(n as i32 % partitions);
                    // Queue full: stays None (counted unsent).
                    if let Ok(f) = producer.send_result(record) {
                        pending.push((n, f));
                    }
                }
                let l2 = l.clone();
                acks.push(tokio::spawn(async move {
                    for (n, f) in pending {
                        if let Ok(Ok(d)) = f.await {
                            l2.lock().unwrap()[n] = Some((d.partition, d.offset));
                        }
                    }
                }));
                next += tick;
                tokio::time::sleep_until(next).await;
            }
            for a in acks {
                let _ = a.await;
            }
        });
        Load {
            stop,
            task,
            landed,
            bad_every,
        }
    }

    /// Records produced so far (sent, not necessarily acknowledged).
    pub fn count(&self) -> usize {
        self.landed.lock().unwrap().len()
    }

    /// What has landed so far (the load goes on).
    pub fn snapshot(&self, partitions: i32) -> Produced {
        Produced {
            landed: self.landed.lock().unwrap().clone(),
            bad_every: self.bad_every,
            partitions,
        }
    }

    /// Stops producing and waits for every delivery report.
    pub async fn stop(self, partitions: i32) -> Produced {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
        let landed = self.landed.lock().unwrap().clone();
        Produced {
            landed,
            bad_every: self.bad_every,
            partitions,
        }
    }
}
