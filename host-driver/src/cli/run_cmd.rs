//! `pagepress run`: the swap workload against a device backend.
//!
//! Threads touch a working set larger than the RAM budget; reclaim swaps pages
//! out to the device (backend opened with `backend::open`), which writes back
//! to the backing file when its memory is full; every page read back is
//! checked. Exits non-zero if any page is lost or corrupted.

use super::CliResult;
use pagepress::backend::{self, BackendKind, DeviceConfig};
use pagepress::pool::CompressedPool;
use pagepress::swap::hooks::Hooks;
use pagepress::swap::stats::Histogram;
use pagepress::swap::workload::{self, PageSet, Pattern, WorkloadConfig};
use pagepress::swap::{Config, SwapinMode, System};
use pagepress_abi::format::PAGE_SIZE;
use pagepress_abi::stats::StatCounter;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// A byte size: a number with an optional K, M or G suffix (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mul) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1u64 << 10),
        Some('m' | 'M') => (&s[..s.len() - 1], 1 << 20),
        Some('g' | 'G') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("bad size `{s}` (e.g. 4096, 64K, 16M, 1G)"))?;
    n.checked_mul(mul)
        .ok_or_else(|| format!("size `{s}` overflows"))
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Device backend: soft (the device model), sim (the Verilated RTL,
    /// cargo feature `rtl`) or vfio.
    #[arg(long, default_value = "soft", value_parser = super::one_of::<BackendKind>(BackendKind::ALL.map(BackendKind::name)))]
    pub backend: BackendKind,
    /// Worker threads touching pages.
    #[arg(long, default_value_t = 2)]
    pub threads: u32,
    /// RAM budget for resident pages (bytes; K/M/G suffix).
    #[arg(long, default_value = "8M", value_parser = parse_size)]
    pub ram: u64,
    /// Device memory for compressed pages.
    #[arg(long, default_value = "4M", value_parser = parse_size)]
    pub device_mem: u64,
    /// Working set the threads touch (larger than --ram).
    #[arg(long, default_value = "32M", value_parser = parse_size)]
    pub working_set: u64,
    /// Stop after this many seconds (whichever of --ops/--duration comes first).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Total page touches across threads (default 100000; 3000 on the sim
    /// backend, whose device runs at simulation speed).
    #[arg(long)]
    pub ops: Option<u64>,
    /// Backing swap file, created or truncated (default: a temporary file,
    /// removed afterwards).
    #[arg(long)]
    pub backing_file: Option<PathBuf>,
    /// Folio order of first-touch allocations (0 = 4 KiB pages; 2 = 16 KiB).
    #[arg(long, default_value_t = 0)]
    pub order: u32,
    /// Access pattern: uniform, zipf or sequential.
    #[arg(long, default_value = "zipf", value_parser = super::one_of::<Pattern>(Pattern::ALL.map(Pattern::name)))]
    pub pattern: Pattern,
    /// Percentage of touches that write a new page.
    #[arg(long, default_value_t = 30)]
    pub write_pct: u32,
    /// Page contents from a corpus file (`pagepress corpus`); default:
    /// synthetic pages of mixed compressibility.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Build a real-page corpus now from child processes and use it.
    #[arg(long, conflicts_with = "corpus")]
    pub build_corpus: bool,
    /// Always swap in through the swap cache (no skip-swapcache path).
    #[arg(long)]
    pub always_swapcache: bool,
    /// PRNG seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the result as JSON (no progress bar).
    #[arg(long)]
    pub json: bool,
}

fn load_pages(args: &RunArgs, want: usize) -> Result<PageSet, String> {
    let corpus = match (&args.corpus, args.build_corpus) {
        (None, false) => return Ok(PageSet::synthetic(want.clamp(64, 4096), args.seed)),
        (Some(p), _) => pagepress::corpus::load_or_build(Some(p)),
        (None, true) => pagepress::corpus::load_or_build(None),
    }
    .map_err(|e| format!("corpus: {e}"))?;
    let mut data = Vec::with_capacity(corpus.page_count() * PAGE_SIZE);
    for p in corpus.pages() {
        data.extend_from_slice(&p[..]);
    }
    PageSet::from_bytes(data).map_err(|e| format!("corpus: {e}"))
}

/// The Verilated device's figures for the report.
struct SimSummary {
    clock_mhz: u32,
    device_cycles: u64,
    store: (usize, u64, u64),
    load: (usize, u64, u64),
}

/// (samples, p50, p99) of cycle samples.
fn percentiles(v: &[u64]) -> (usize, u64, u64) {
    let mut v = v.to_vec();
    v.sort_unstable();
    let at = |q: f64| {
        v.get(((v.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0)
    };
    (v.len(), at(0.5), at(0.99))
}

fn sim_summary(f: &backend::SimFigures) -> SimSummary {
    SimSummary {
        clock_mhz: f.clock_mhz,
        device_cycles: f.device_cycles,
        store: percentiles(&f.store_cycles),
        load: percentiles(&f.load_cycles),
    }
}

impl SimSummary {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "clock_mhz": self.clock_mhz,
            "device_cycles": self.device_cycles,
            "store_cycles_p50": self.store.1,
            "store_cycles_p99": self.store.2,
            "stores_timed": self.store.0,
            "load_cycles_p50": self.load.1,
            "load_cycles_p99": self.load.2,
            "loads_timed": self.load.0,
        })
    }

    fn print(&self) {
        let us = |c: u64| c as f64 / self.clock_mhz.max(1) as f64;
        println!("{:<40} {:>14}", "sim: device cycles", self.device_cycles);
        for (what, (n, p50, p99)) in [("STORE", self.store), ("LOAD", self.load)] {
            println!(
                "  {:<38} {:>14}",
                format!("sim: {what} cycles/page p50 / p99"),
                format!("{p50} / {p99}")
            );
            println!(
                "  {:<38} {:>14}",
                format!("  at {} MHz (us), {n} timed", self.clock_mhz),
                format!("{:.2} / {:.2}", us(p50), us(p99))
            );
        }
    }
}

fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

pub fn run(args: RunArgs) -> CliResult {
    let ops = args.ops.unwrap_or(match args.backend {
        BackendKind::Sim => 3_000,
        _ => 100_000,
    });
    if args.threads == 0 || args.order > 8 {
        return Err("--threads must be > 0 and --order at most 8".into());
    }
    let page = pagepress_abi::format::PAGE_SIZE as u64;
    if args.ram < page || args.device_mem < page || args.working_set < page {
        return Err(
            "--ram, --device-mem and --working-set must each be at least one page (4K)".into(),
        );
    }
    if ops == 0 || args.duration.is_some_and(|d| !(d > 0.0 && d.is_finite())) {
        return Err("--ops and --duration must be positive".into());
    }
    let page = PAGE_SIZE as u64;
    let ram_pages = (args.ram / page).max(16);
    let ws_pages = (args.working_set / page).max(1);
    let cluster_pages = 64u32.max(1 << args.order);
    // Room for the whole working set twice over, in whole clusters.
    let swap_slots = ((ws_pages * 2).div_ceil(cluster_pages as u64) * cluster_pages as u64)
        .min(u32::MAX as u64 / 2) as u32;
    let dev_cfg = DeviceConfig {
        devmem_bytes: args.device_mem,
        max_slots: swap_slots,
        queues: args.threads + 1,
        ..DeviceConfig::default()
    };
    let opened = backend::open(args.backend, &dev_cfg)?;
    let pool: Arc<dyn CompressedPool> = opened.pool.clone();
    let cfg = Config {
        ram_pages,
        swap_slots,
        cluster_pages,
        order: args.order,
        swapin: if args.always_swapcache {
            SwapinMode::AlwaysCache
        } else {
            SwapinMode::SkipWhenExclusive
        },
        writeback_batch: 16,
    };
    let sys = System::new(cfg, pool.clone(), Hooks::new());
    sys.swapon(args.backing_file.as_deref())?;
    let pages = Arc::new(load_pages(&args, ws_pages as usize)?);

    let wl = WorkloadConfig {
        threads: args.threads,
        working_set: ws_pages,
        ops,
        duration: args.duration.map(Duration::from_secs_f64),
        pattern: args.pattern,
        write_pct: args.write_pct.min(100),
        seed: args.seed,
    };
    let bar = if args.json || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new(ops);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} touches ({per_sec})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    };
    let mm = sys.new_mm(ws_pages);
    let report = workload::run(&sys, &mm, &wl, pages, &|d| bar.set_position(d));
    bar.finish_and_clear();
    let dstats = pool.stats().ok();
    sys.exit_mm(&mm)?;
    sys.swapoff()?;

    let st = &sys.stats;
    let c = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    // Rates cover the timed phase (not the populate and final check passes).
    let faults = report.main_faults;
    let dget = |k: StatCounter| dstats.map_or(0, |d| d.get(k));
    let dev_ops = report.main_device_cmds;
    let ratio = {
        let input = dget(StatCounter::StoredInputBytes) as f64;
        let out = dget(StatCounter::StoredBytes) as f64;
        if out > 0.0 { input / out } else { 0.0 }
    };
    let lat = |h: &Histogram| (h.count(), us(h.quantile(0.5)), us(h.quantile(0.99)));
    let lats = [
        ("fault", lat(&st.fault_ns)),
        ("store", lat(&st.store_ns)),
        ("load", lat(&st.load_ns)),
        ("writeback", lat(&st.writeback_ns)),
    ];
    let rejects = [
        ("incompressible", c(&st.reject_incompressible)),
        ("no_space", c(&st.reject_no_space)),
        ("timeout", c(&st.reject_timeout)),
        ("other", c(&st.reject_other)),
    ];
    let host = pool.host_counters();
    let failed = report.corrupted + report.lost + sys.violations();
    let sim = opened.sim_figures.as_ref().map(|f| sim_summary(&f()));

    if args.json {
        let mut lat_j = serde_json::Map::new();
        for (k, (n, p50, p99)) in lats {
            lat_j.insert(
                k.into(),
                serde_json::json!({"count": n, "p50_us": p50, "p99_us": p99}),
            );
        }
        let j = serde_json::json!({
            "backend": args.backend.name(),
            "threads": args.threads,
            "ram_pages": ram_pages,
            "working_set_pages": ws_pages,
            "device_mem_bytes": args.device_mem,
            "order": args.order,
            "pattern": args.pattern.name(),
            "ops": report.ops,
            "seconds": secs,
            "faults": faults,
            "faults_per_sec": faults as f64 / secs,
            "device_ops_per_sec": dev_ops as f64 / secs,
            "latency": lat_j,
            "compression_ratio": ratio,
            "device_mem_used_bytes": dget(StatCounter::DevmemUsed),
            "stored_pages": c(&st.stored_pages),
            "same_filled_pages": c(&st.same_filled_pages),
            "writebacks": c(&st.writebacks),
            "file_writes": c(&st.file_writes),
            "rejections": rejects.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
            "host_fallbacks": host.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
            "protocol": st.snapshot().into_iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
            "pages_verified": report.verified,
            "pages_corrupted": report.corrupted,
            "pages_lost": report.lost,
            "violations": sys.violations(),
            "errors": report.errors,
            "violation_log": st.violation_descriptions(),
        });
        let mut j = j;
        if let Some(s) = &sim {
            j["sim"] = s.json();
        }
        println!("{}", serde_json::to_string_pretty(&j)?);
    } else {
        println!(
            "pagepress run: backend {:?}, {} threads, RAM {} pages, working set {} pages, order {}, {:?}",
            args.backend, args.threads, ram_pages, ws_pages, args.order, args.pattern
        );
        println!("{:<40} {:>14}", "touches", report.ops);
        println!("{:<40} {:>14.2}", "seconds", secs);
        println!("{:<40} {:>14.0}", "faults/s", faults as f64 / secs);
        println!("{:<40} {:>14.0}", "device ops/s", dev_ops as f64 / secs);
        println!(
            "{:<40} {:>10} {:>10} {:>10}",
            "latency (us)", "count", "p50", "p99"
        );
        for (k, (n, p50, p99)) in lats {
            println!("  {:<38} {:>10} {:>10.1} {:>10.1}", k, n, p50, p99);
        }
        println!("{:<40} {:>14.2}", "compression ratio", ratio);
        println!(
            "{:<40} {:>14}",
            "device memory used (bytes)",
            dget(StatCounter::DevmemUsed)
        );
        println!(
            "{:<40} {:>14}",
            "pages stored on device",
            c(&st.stored_pages)
        );
        println!("{:<40} {:>14}", "  same-filled", c(&st.same_filled_pages));
        println!("{:<40} {:>14}", "writebacks to file", c(&st.writebacks));
        println!(
            "{:<40} {:>14}",
            "rejected pages to file",
            c(&st.file_writes)
        );
        for (k, v) in rejects {
            println!("  {:<38} {:>14}", format!("rejected: {k}"), v);
        }
        for (k, v) in &host {
            println!("  {:<38} {:>14}", format!("host: {k}"), v);
        }
        println!(
            "{:<40} {:>14}",
            "large folios swapped in",
            c(&st.swapin_large)
        );
        println!(
            "{:<40} {:>14}",
            "large folio fallbacks",
            c(&st.large_fallback_mixed) + c(&st.large_fallback_other)
        );
        println!("{:<40} {:>14}", "pages verified", report.verified);
        println!("{:<40} {:>14}", "pages corrupted", report.corrupted);
        println!("{:<40} {:>14}", "pages lost", report.lost);
        for e in &report.errors {
            println!("  error: {e}");
        }
        for v in st.violation_descriptions().iter() {
            println!("  violation: {v}");
        }
        if let Some(s) = &sim {
            s.print();
        }
    }
    if failed > 0 {
        return Err(format!(
            "{} pages corrupted, {} lost, {} protocol violations",
            report.corrupted,
            report.lost,
            sys.violations()
        )
        .into());
    }
    Ok(())
}
