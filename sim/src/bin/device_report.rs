//! `cargo run -p pagepress-sim --release --bin device-report [-- --pages N] [--no-synth]`
//!
//! The whole Verilated device (`SIM_DEVICE`) under the harness with its PCIe
//! latency model: STORE then LOAD of real pages one command at a time
//! (doorbell to completion, cycles per page, median and p99, and what they
//! project to at the device clock), pages per second of the simulation,
//! Verilator cycles per second of the whole device, and `yosys synth_xilinx`
//! area of the device and of each block. Prints Markdown; `docs/device-report.md`
//! holds the latest output.
//!
//! Real pages: the corpus file named by `PAGEPRESS_CORPUS`, else the anonymous
//! memory of a Python child process (`pagepress_sim::pages::real`).

use pagepress_abi::format::PAGE_SIZE;
use pagepress_abi::{Command, DeviceKind, Opcode, Status};
use pagepress_firmware::params::SIM_DEVICE;
use pagepress_firmware::rtl::control_plane::control_plane_verilog;
use pagepress_firmware::rtl::executor::{alloc_bits, executor_verilog, node_bits, top_bits};
use pagepress_pcie::DeviceBackend;
use pagepress_pcie::raw_queue::RawQueue;
use pagepress_rtl::synth::{SynthStats, synth_xilinx};
use pagepress_sim::harness::{HarnessConfig, SimDevice};
use pagepress_sim::{Device, Model, VERILOG, pages};
use std::time::{Duration, Instant};

/// Reference points for the table (per 4 KiB page).
const ZRAM_LZ4_LOAD_US: f64 = 1.7;
const IAA_BATCHED_COMPRESS_US: f64 = 0.7;

fn main() {
    if let Err(e) = run() {
        eprintln!("device-report: error: {e}");
        std::process::exit(1);
    }
}

fn arg_value(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn percentile(v: &[u64], q: f64) -> u64 {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.get(((v.len() as f64 - 1.0) * q).round() as usize)
        .copied()
        .unwrap_or(0)
}

fn run() -> Result<(), String> {
    let n: usize = match arg_value("--pages") {
        Some(s) => s
            .parse()
            .map_err(|_| format!("--pages: `{s}` is not a count"))?,
        None => 256,
    };
    if n == 0 {
        return Err("--pages must be at least 1".into());
    }
    let set = pages::real(n)?;
    let cfg = HarnessConfig::default();
    let clock_mhz = cfg.clock_mhz;
    let dma_latency = cfg.dma_latency;
    let dev = SimDevice::new(Device::new(), cfg);
    let backend: &dyn DeviceBackend = &*dev;
    let mut q = RawQueue::open(backend, 0, 6, true).map_err(|e| e.to_string())?;
    let input = backend
        .dma_alloc(set.len() * PAGE_SIZE)
        .map_err(|e| e.to_string())?;
    let output = backend.dma_alloc(PAGE_SIZE).map_err(|e| e.to_string())?;
    for (i, (_, p)) in set.iter().enumerate() {
        input.write_bytes(i * PAGE_SIZE, &p[..]);
    }
    let timeout = Duration::from_secs(30);
    let cycles0 = dev.stats().device_cycles;
    let t = Instant::now();
    let mut stored = Vec::new();
    for (i, _) in set.iter().enumerate() {
        let cmd = Command::new(
            Opcode::Store,
            i as u16,
            i as u32,
            1,
            input.iova() + (i * PAGE_SIZE) as u64,
        );
        let c = q.execute(&cmd, timeout).map_err(|e| e.to_string())?;
        if c.status == Status::Ok as u8 {
            stored.push(i);
        }
    }
    let mut mismatches = 0;
    let mut page = vec![0u8; PAGE_SIZE];
    for &i in &stored {
        let cmd = Command::new(Opcode::Load, i as u16, i as u32, 1, output.iova());
        let c = q.execute(&cmd, timeout).map_err(|e| e.to_string())?;
        output.read_bytes(0, &mut page);
        if c.status != Status::Ok as u8 || page[..] != set[i].1[..] {
            mismatches += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let st = dev.stats();
    if let Some(f) = dev.failure() {
        return Err(format!("the device failed: {f}"));
    }
    if mismatches > 0 {
        return Err(format!("{mismatches} pages came back wrong"));
    }
    let cycles = st.device_cycles - cycles0;
    let us = |c: u64| c as f64 / clock_mhz as f64;
    println!(
        "## Device latency, one command at a time ({} real pages)\n",
        set.len()
    );
    println!(
        "Doorbell to completion per 4 KiB page; DMA latency {dma_latency} cycles \
         (a PCIe round trip of 850 ns at {clock_mhz} MHz); {} of {} pages stored \
         (the rest are incompressible).\n",
        stored.len(),
        set.len()
    );
    println!(
        "| command | p50 cycles | p99 cycles | p50 µs @ {clock_mhz} MHz | p99 µs | reference |"
    );
    println!("|---|---:|---:|---:|---:|---|");
    for (what, v, reference) in [
        (
            "STORE",
            &st.store_cycles,
            format!("Intel IAA ≈{IAA_BATCHED_COMPRESS_US} µs/page batched compress"),
        ),
        (
            "LOAD",
            &st.load_cycles,
            format!("zram lz4 {ZRAM_LZ4_LOAD_US} µs/page load"),
        ),
    ] {
        let (p50, p99) = (percentile(v, 0.5), percentile(v, 0.99));
        println!(
            "| {what} | {p50} | {p99} | {:.2} | {:.2} | {reference} |",
            us(p50),
            us(p99)
        );
    }
    println!("\n## Simulation speed\n");
    println!("| figure | value |\n|---|---:|");
    println!("| commands | {} |", set.len() + stored.len());
    println!(
        "| pages per second (STORE + LOAD, wall clock) | {:.0} |",
        (set.len() + stored.len()) as f64 / secs
    );
    println!("| device cycles simulated | {cycles} |");
    println!(
        "| Verilator cycles per second (whole device) | {:.2} M |",
        cycles as f64 / secs / 1e6
    );
    if std::env::args().all(|a| a != "--no-synth") {
        area()?;
    }
    Ok(())
}

fn area() -> Result<(), String> {
    // (label, file name for yosys, Verilog).
    type Figure = (&'static str, &'static str, String);
    let p = &SIM_DEVICE;
    // The Verilated models' own Verilog (the device, the codec cores), then
    // the device's two halves.
    let mut blocks: Vec<Figure> = VERILOG
        .iter()
        .map(|&(name, v)| (name, name, v.to_string()))
        .collect();
    blocks.extend([
        (
            "control plane (registers, queue engine)",
            "control_plane",
            control_plane_verilog(p, DeviceKind::Sim),
        ),
        (
            "executor (with index, allocator, engines)",
            "executor",
            executor_verilog::<
                { alloc_bits(&SIM_DEVICE) },
                { node_bits(&SIM_DEVICE) },
                { top_bits(&SIM_DEVICE) },
            >(p),
        ),
    ]);
    println!("\n## Area (`yosys synth_xilinx`, 7-series cells)\n");
    println!("| block | LUT | FF | RAMB36 | RAMB18 | DSP |\n|---|---:|---:|---:|---:|---:|");
    for (name, file, v) in blocks {
        let s: SynthStats = synth_xilinx(file, &v)?;
        println!(
            "| {name} | {} | {} | {} | {} | {} |",
            s.luts, s.ffs, s.bram36, s.bram18, s.dsps
        );
    }
    Ok(())
}
