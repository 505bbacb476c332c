//! Transport benchmarks: NOP round trip, zero-page and text-page store+load,
//! with the soft device's engine inline and in its own thread, 1 and 2 threads.
//!
//! `cargo bench -p pagepress-benches --bench protocol` runs criterion;
//! `cargo bench -p pagepress-benches --bench protocol -- --table` prints the
//! table recorded in docs/transport.md instead.

use criterion::{Criterion, criterion_group};
use pagepress_benches::protocol::{Runner, Workload, open_device, protocol_table, run_threads};
use pagepress_firmware::model::Execution;
use std::sync::Arc;
use std::time::Duration;

fn bench_protocol(c: &mut Criterion) {
    for (label, execution) in [
        ("inline", Execution::Inline),
        ("thread", Execution::Threads),
    ] {
        let mut g = c.benchmark_group(format!("protocol/{label}"));
        g.sample_size(20)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        for workload in Workload::ALL {
            let client = open_device(execution);
            let mut r = Runner::new(Arc::clone(&client), workload, 1);
            g.bench_function(format!("{}/1 thread", workload.name()), |b| {
                b.iter(|| r.step())
            });
            g.bench_function(format!("{}/2 threads", workload.name()), |b| {
                b.iter_custom(|iters| run_threads(&client, workload, 2, iters))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench_protocol);

fn main() {
    if std::env::args().any(|a| a == "--table") {
        print!("{}", protocol_table(Duration::from_millis(300)));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
