//! Transport figures: command round trips through the driver and the soft
//! device, shared by the criterion bench (`benches/protocol.rs`) and the table
//! it prints with `--table`.
//!
//! Each workload runs on a fresh soft device (driver queues = device queues =
//! 2). `Inline` runs the device's queue engine in the submitting thread — no
//! thread hand-off, so the figure is the driver's own cost plus the model's
//! work; `Threads` is the device as it normally runs, a worker thread woken
//! by the doorbell.

use pagepress::backend::open_soft;
use pagepress::device::{ClientConfig, DeviceClient};
use pagepress::pool::CompressedPool;
use pagepress_abi::format::PAGE_SIZE;
use pagepress_firmware::model::{Execution, SoftConfig};
use std::fmt::Write as _;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// What one iteration does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// One NOP command, submitted and completed.
    Nop,
    /// STORE of a zero page then LOAD of it: the transport and the
    /// same-filled path, no compression.
    ZeroStoreLoad,
    /// STORE of a text-like 4 KiB page then LOAD of it: compression included.
    TextStoreLoad,
}

impl Workload {
    pub const ALL: [Workload; 3] = [
        Workload::Nop,
        Workload::ZeroStoreLoad,
        Workload::TextStoreLoad,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Nop => "nop round trip",
            Workload::ZeroStoreLoad => "zero page store+load",
            Workload::TextStoreLoad => "text page store+load",
        }
    }

    /// Commands per iteration.
    pub fn commands(self) -> u32 {
        match self {
            Workload::Nop => 1,
            _ => 2,
        }
    }
}

/// A compressible page (words from a small vocabulary), different per seed.
pub fn text_page(seed: u64) -> Vec<u8> {
    // The shared synthetic text class, stamped with the seed so pages differ.
    let mut p = pagepress_codec::corpus::SyntheticClass::Text
        .page(seed)
        .to_vec();
    p[..8].copy_from_slice(&seed.to_le_bytes());
    p
}

/// Opens a soft device for the benchmarks.
pub fn open_device(execution: Execution) -> Arc<DeviceClient> {
    let soft = SoftConfig {
        devmem_bytes: 16 << 20,
        max_slots: 1 << 16,
        num_queues: 2,
        workers: 2,
        execution,
        ..SoftConfig::default()
    };
    let client = ClientConfig {
        queues: 2,
        queue_log2: 6,
        ..ClientConfig::default()
    };
    open_soft(soft, &client).expect("soft device").0
}

/// Per-thread state of a workload.
pub struct Runner {
    client: Arc<DeviceClient>,
    workload: Workload,
    slot: u32,
    page: Vec<u8>,
    out: Vec<u8>,
}

impl Runner {
    /// A runner using slot `slot` (distinct per thread).
    pub fn new(client: Arc<DeviceClient>, workload: Workload, slot: u32) -> Self {
        let page = match workload {
            Workload::TextStoreLoad => text_page(slot as u64),
            _ => vec![0u8; PAGE_SIZE],
        };
        Runner {
            client,
            workload,
            slot,
            page,
            out: vec![0u8; PAGE_SIZE],
        }
    }

    /// One iteration.
    pub fn step(&mut self) {
        match self.workload {
            Workload::Nop => self.client.nop().expect("nop"),
            _ => {
                self.client.store(self.slot, &self.page).expect("store");
                self.client
                    .load(self.slot, &mut self.out, false)
                    .expect("load");
                debug_assert_eq!(self.out, self.page);
            }
        }
    }
}

/// Runs `iters` iterations on each of `threads` threads sharing one client;
/// returns the wall time for all of them.
pub fn run_threads(
    client: &Arc<DeviceClient>,
    workload: Workload,
    threads: u32,
    iters: u64,
) -> Duration {
    let barrier = Arc::new(Barrier::new(threads as usize + 1));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let mut r = Runner::new(Arc::clone(client), workload, 1000 + t);
            let b = Arc::clone(&barrier);
            std::thread::spawn(move || {
                r.step(); // warm: bounce buffers, first-touch of the entry
                b.wait();
                for _ in 0..iters {
                    r.step();
                }
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    for h in handles {
        h.join().expect("bench thread");
    }
    start.elapsed()
}

/// One row of the table: nanoseconds per iteration per thread (latency) and
/// iterations per second over all threads (throughput).
#[derive(Clone, Copy, Debug)]
pub struct Figure {
    pub execution: Execution,
    pub workload: Workload,
    pub threads: u32,
    pub ns_per_iter: f64,
    pub iters_per_sec: f64,
}

/// Measures one configuration for about `budget`.
pub fn measure(execution: Execution, workload: Workload, threads: u32, budget: Duration) -> Figure {
    let client = open_device(execution);
    // Calibrate on a short run, then run for the budget.
    let probe = 200;
    let t = run_threads(&client, workload, threads, probe);
    let per = t.as_secs_f64() / probe as f64;
    let iters = ((budget.as_secs_f64() / per.max(1e-9)) as u64).clamp(probe, 2_000_000);
    let t = run_threads(&client, workload, threads, iters);
    Figure {
        execution,
        workload,
        threads,
        ns_per_iter: t.as_secs_f64() * 1e9 / iters as f64,
        iters_per_sec: (iters * threads as u64) as f64 / t.as_secs_f64(),
    }
}

/// CPU time of the codec alone for the text page (compress + decompress), the
/// part of a text store+load that is not transport.
pub fn codec_ns(budget: Duration) -> f64 {
    let page: [u8; PAGE_SIZE] = text_page(1000).try_into().expect("one page");
    let mut frame = Vec::with_capacity(PAGE_SIZE + 16);
    let mut out = [0u8; PAGE_SIZE];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        frame.clear();
        pagepress_codec::compress_page(&page, &mut frame);
        pagepress_codec::decompress_page(&frame, &mut out).expect("decode");
        n += 1;
    }
    start.elapsed().as_secs_f64() * 1e9 / n as f64
}

/// Measures every workload with 1 and 2 threads, inline and threaded, and
/// renders the Markdown table recorded in `docs/transport.md`.
pub fn protocol_table(budget: Duration) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| device engine | workload | threads | ns / iteration (per thread) | ns / command | iterations/s (all threads) |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for execution in [Execution::Inline, Execution::Threads] {
        for workload in Workload::ALL {
            for threads in [1, 2] {
                let f = measure(execution, workload, threads, budget);
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {:.0} | {:.0} | {:.0} |",
                    match execution {
                        Execution::Inline => "inline",
                        Execution::Threads => "thread",
                    },
                    workload.name(),
                    threads,
                    f.ns_per_iter,
                    f.ns_per_iter / workload.commands() as f64,
                    f.iters_per_sec
                );
            }
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Codec alone (compress + decompress of the text page, one thread): {:.0} ns",
        codec_ns(budget)
    );
    s
}
