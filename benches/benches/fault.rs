//! Fault-path throughput: pages swapped in per second through the swap
//! protocol (skip-swapcache path, order 0), with 1 and 2 faulting threads,
//! against the in-memory test pool (protocol cost alone) and the soft device
//! (engine inline in the submitting thread, or in its own threads).
//!
//! Each measured round first swaps every page of a 1024-page address space
//! out (untimed), then faults them all back in (timed), verifying contents.
//!
//! `cargo bench -p pagepress-benches --bench fault` runs criterion;
//! `cargo bench -p pagepress-benches --bench fault -- --table` prints the
//! table recorded in docs/protocol.md.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use pagepress::backend::{DeviceConfig, open_soft};
use pagepress::pool::CompressedPool;
use pagepress::swap::hooks::Hooks;
use pagepress::swap::mem_pool::MemPool;
use pagepress::swap::page_table::Mm;
use pagepress::swap::workload::PageSet;
use pagepress::swap::{Config, System};
use pagepress_firmware::model::Execution;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PAGES: u64 = 1024;

#[derive(Clone, Copy, Debug)]
enum Backend {
    Mem,
    SoftInline,
    SoftThreads,
}

impl Backend {
    const ALL: [Backend; 3] = [Backend::Mem, Backend::SoftInline, Backend::SoftThreads];

    fn name(self) -> &'static str {
        match self {
            Backend::Mem => "mem-pool",
            Backend::SoftInline => "soft-inline",
            Backend::SoftThreads => "soft-threads",
        }
    }

    fn open(self) -> Arc<dyn CompressedPool> {
        let dc = DeviceConfig {
            devmem_bytes: 64 << 20,
            max_slots: 4096,
            queues: 4,
            queue_log2: 6,
        };
        match self {
            Backend::Mem => Arc::new(MemPool::new(64 << 20, 4096)),
            Backend::SoftInline | Backend::SoftThreads => {
                let mut sc = dc.soft_config();
                sc.execution = match self {
                    Backend::SoftInline => Execution::Inline,
                    _ => Execution::Threads,
                };
                open_soft(sc, &dc.client_config()).expect("soft device").0
            }
        }
    }
}

struct Setup {
    sys: Arc<System>,
    mm: Arc<Mm>,
    pages: PageSet,
}

fn setup(backend: Backend) -> Setup {
    let cfg = Config {
        ram_pages: PAGES * 4,
        swap_slots: 4096,
        ..Config::default()
    };
    let sys = System::new(cfg, backend.open(), Hooks::new());
    sys.swapon(None).expect("swapon");
    let mm = sys.new_mm(PAGES);
    let pages = PageSet::synthetic(PAGES as usize, 7);
    for va in 0..PAGES {
        sys.access(&mm, va, |p| p.copy_from_slice(pages.page(va as u32)))
            .expect("populate");
    }
    Setup { sys, mm, pages }
}

/// One round: swap everything out (untimed), fault it back with `threads`.
fn round(s: &Setup, threads: u64) -> Duration {
    for va in 0..PAGES {
        s.sys.reclaim_va(&s.mm, va);
    }
    let t0 = Instant::now();
    std::thread::scope(|sc| {
        for t in 0..threads {
            sc.spawn(move || {
                for va in (t * PAGES / threads)..((t + 1) * PAGES / threads) {
                    let ok = s
                        .sys
                        .access(&s.mm, va, |p| p == s.pages.page(va as u32))
                        .expect("fault");
                    assert!(ok, "page {va} corrupted");
                }
            });
        }
    });
    t0.elapsed()
}

fn bench_fault(c: &mut Criterion) {
    let mut g = c.benchmark_group("fault");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(PAGES));
    for backend in Backend::ALL {
        let s = setup(backend);
        for threads in [1u64, 2] {
            g.bench_with_input(
                BenchmarkId::new(backend.name(), threads),
                &threads,
                |b, &t| b.iter_custom(|iters| (0..iters).map(|_| round(&s, t)).sum()),
            );
        }
    }
    g.finish();
}

fn table() {
    println!("| backend | threads | faults/s | ns/fault |");
    println!("|---|---:|---:|---:|");
    for backend in Backend::ALL {
        let s = setup(backend);
        for threads in [1u64, 2] {
            round(&s, threads);
            let rounds = 5;
            let t: Duration = (0..rounds).map(|_| round(&s, threads)).sum();
            let faults = (PAGES * rounds) as f64;
            println!(
                "| {} | {} | {:.0} | {:.0} |",
                backend.name(),
                threads,
                faults / t.as_secs_f64(),
                t.as_nanos() as f64 / faults
            );
        }
    }
}

criterion_group!(benches, bench_fault);

fn main() {
    if std::env::args().any(|a| a == "--table") {
        table();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
