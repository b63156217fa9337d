//! The pipeline running in the background of a test, with a handle on its
//! stats and offset tracker.

use std::sync::{Arc, Mutex};

use siem_bridge::config::Config;
use siem_bridge::pipeline::{self, stats::Stats, Handle, Summary};
use siem_bridge::sink::Sink;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A pipeline running in the background.
pub struct Running {
    pub shutdown: CancellationToken,
    pub handle: Arc<Mutex<Option<Handle>>>,
    pub task: JoinHandle<Summary>,
}

impl Running {
    pub fn start(config: Config, sinks: Vec<Arc<dyn Sink>>) -> Running {
        let shutdown = CancellationToken::new();
        let handle: Arc<Mutex<Option<Handle>>> = Arc::default();
        let h = handle.clone();
        let task = tokio::spawn({
            let shutdown = shutdown.clone();
            async move {
                pipeline::run(config.pipeline_parts(sinks), shutdown, move |x| {
                    *h.lock().unwrap() = Some(x)
                })
                .await
                .unwrap()
            }
        });
        Running {
            shutdown,
            handle,
            task,
        }
    }

    pub fn read(&self) -> u64 {
        self.handle
            .lock()
            .unwrap()
            .as_ref()
            .map_or(0, |h| Stats::get(&h.stats.read))
    }

    /// Assignments seen so far (0 before the consumer exists).
    pub fn assignments(&self) -> u64 {
        self.handle
            .lock()
            .unwrap()
            .as_ref()
            .map_or(0, |h| h.tracker.assignments())
    }

    pub fn with<T>(&self, f: impl FnOnce(&Handle) -> T) -> T {
        f(self.handle.lock().unwrap().as_ref().expect("started"))
    }

    pub async fn stop(self) -> Summary {
        self.shutdown.cancel();
        self.task.await.unwrap()
    }
}
