//! A closed-loop load generator: a fixed number of clients, each sending its next request as
//! soon as the previous one answers, for a duration; latencies go into HDR histograms.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

pub struct Stats {
    pub ops: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub hist: Histogram<u64>,
    pub first_error: Option<String>,
}

impl Stats {
    pub fn throughput(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Latency at a quantile, in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        self.hist.value_at_quantile(q) as f64 / 1000.0
    }
}

pub async fn run<F, Fut>(concurrency: usize, duration: Duration, op: F) -> Stats
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let op = Arc::new(op);
    let seq = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (op, seq) = (op.clone(), seq.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds");
            let (mut ops, mut errors, mut first_error) = (0u64, 0u64, None);
            while Instant::now() < deadline {
                let n = seq.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let outcome = op(n).await;
                let micros = t.elapsed().as_micros() as u64;
                let _ = hist.record(micros.clamp(1, 120_000_000));
                ops += 1;
                if let Err(e) = outcome {
                    errors += 1;
                    first_error.get_or_insert(e);
                }
            }
            (hist, ops, errors, first_error)
        }));
    }
    let mut stats = Stats {
        ops: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        hist: Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds"),
        first_error: None,
    };
    for task in tasks {
        if let Ok((hist, ops, errors, first_error)) = task.await {
            let _ = stats.hist.add(&hist);
            stats.ops += ops;
            stats.errors += errors;
            if stats.first_error.is_none() {
                stats.first_error = first_error;
            }
        }
    }
    stats.elapsed = started.elapsed();
    stats
}
