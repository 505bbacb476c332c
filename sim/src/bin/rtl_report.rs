//! `cargo run -p pagepress-sim --release --bin rtl-report [-- --no-synth] [--pages N]`
//!
//! Prints the RTL figures as a Markdown table: bytes per cycle of the
//! compressor and decompressor on the real-page corpus (median and worst
//! page) and on the synthetic classes, Verilator simulated cycles per second,
//! and `yosys synth_xilinx` LUT/FF/BRAM/DSP of each core.
//!
//! Real pages: the corpus file named by `PAGEPRESS_CORPUS`, else the anonymous
//! memory of a Python child process (`pagepress_sim::pages::real`).

use pagepress_codec::{PAGE_SIZE, Page, compress_page};
use pagepress_sim::engines::{self, status};
use pagepress_sim::pages::{self, Labelled};
use pagepress_sim::{Compressor, Decompressor, Model, VERILOG};
use std::time::Instant;

struct Figures {
    comp: Vec<u64>,
    decomp: Vec<u64>,
    stream_cycles: u64,
    sim_cycles: u64,
    sim_secs: f64,
}

fn measure(set: &[Labelled]) -> Result<Figures, String> {
    let mut c = Compressor::new();
    let mut d = Decompressor::new();
    // Let the compressor finish its power-up table clear.
    c.step_n(5000);
    let (c0, d0) = (c.cycles(), d.cycles());
    let t = Instant::now();
    let mut f = Figures {
        comp: Vec::new(),
        decomp: Vec::new(),
        stream_cycles: 0,
        sim_cycles: 0,
        sim_secs: 0.0,
    };
    for (label, page) in set {
        // Latency of one page alone in the compressor.
        let (frames, _) = engines::compress_stream(&mut c, &[&**page])?;
        let mut want = Vec::new();
        compress_page(page, &mut want);
        if frames[0].frame != want {
            return Err(format!("{label}: RTL frame differs from the reference"));
        }
        f.comp.push(frames[0].cycles);
        let r = engines::decompress(&mut d, &want)?;
        if r.status != status::OK || r.out[..] != page[..] {
            return Err(format!("{label}: RTL decompression failed"));
        }
        f.decomp.push(r.cycles);
    }
    // Streaming: the whole set back to back.
    let all: Vec<&Page> = set.iter().map(|(_, p)| &**p).collect();
    f.stream_cycles = engines::compress_stream(&mut c, &all)?.1;
    f.sim_secs = t.elapsed().as_secs_f64();
    f.sim_cycles = c.cycles() - c0 + d.cycles() - d0;
    Ok(f)
}

fn bpc(cycles: u64) -> f64 {
    PAGE_SIZE as f64 / cycles as f64
}

/// (median, worst) bytes per cycle over per-page cycle counts.
fn med_worst(v: &[u64]) -> (f64, f64) {
    let mut s = v.to_vec();
    s.sort_unstable();
    (bpc(s[s.len() / 2]), bpc(*s.last().unwrap()))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let synth = !args.iter().any(|a| a == "--no-synth");
    let n = args
        .iter()
        .position(|a| a == "--pages")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(500usize);
    let (real, real_label) = match pages::real(n) {
        Ok(s) => {
            let label = if std::env::var_os("PAGEPRESS_CORPUS").is_some() {
                "corpus file"
            } else {
                "python child heap"
            };
            (s, label)
        }
        Err(e) => {
            eprintln!("rtl-report: no real pages ({e}); using generated mixed pages");
            let s = (0..n as u64)
                .map(|i| ("mixed".to_string(), pages::generated_page("mixed", i)))
                .collect();
            (s, "generated mixed")
        }
    };
    let mut sets: Vec<(String, Vec<Labelled>)> =
        vec![(format!("real ({real_label}, {} pages)", real.len()), real)];
    for class in pagepress_codec::corpus::SyntheticClass::ALL {
        let s = (0..32u64)
            .map(|i| (class.label().to_string(), class.page(i)))
            .collect();
        sets.push((format!("{} (32 pages)", class.label()), s));
    }

    println!("## Throughput (bytes of page per clock cycle)\n");
    println!(
        "| page set | compress latency B/cycle median | worst | compress streaming B/cycle | decompress B/cycle median | worst |"
    );
    println!("|---|---|---|---|---|---|");
    let (mut cyc, mut secs) = (0u64, 0f64);
    for (name, set) in &sets {
        match measure(set) {
            Ok(f) => {
                let (cm, cw) = med_worst(&f.comp);
                let (dm, dw) = med_worst(&f.decomp);
                let stream = (set.len() * PAGE_SIZE) as f64 / f.stream_cycles as f64;
                println!("| {name} | {cm:.2} | {cw:.2} | {stream:.2} | {dm:.2} | {dw:.2} |");
                cyc += f.sim_cycles;
                secs += f.sim_secs;
            }
            Err(e) => println!("| {name} | error: {e} | | | | |"),
        }
    }
    println!("\nTargets: compress >= 4 B/cycle, decompress >= 8 B/cycle per engine.");
    println!(
        "\nVerilator, harness runs above: {:.2} M simulated cycles/s ({} cycles in {:.1} s, both cores, one FFI call per port access, reference codec checks included).\n",
        cyc as f64 / secs / 1e6,
        cyc,
        secs
    );

    // Model-only speed: clocking each core with one FFI call per cycle.
    let raw_speed = |name: &str, step: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..2_000_000 {
            step();
        }
        println!(
            "Verilator, {name} alone: {:.1} M cycles/s (2 M cycles, one `step` per cycle).",
            2.0 / t.elapsed().as_secs_f64()
        );
    };
    let mut d = Decompressor::new();
    raw_speed("decompressor", &mut || d.step());
    let mut c = Compressor::new();
    raw_speed("compressor", &mut || c.step());

    if synth {
        println!("\n## Area (yosys 0.23 `synth_xilinx -flatten`, 7-series cells)\n");
        println!("| core | LUT | FF | RAMB36 | RAMB18 | DSP | CARRY4 | LUTRAM cells |");
        println!("|---|---|---|---|---|---|---|---|");
        for (name, v) in VERILOG {
            match pagepress_rtl::synth::synth_xilinx(name, v) {
                Ok(s) => println!(
                    "| {name} | {} | {} | {} | {} | {} | {} | {} |",
                    s.luts, s.ffs, s.bram36, s.bram18, s.dsps, s.carry4, s.lutram_cells
                ),
                Err(e) => println!(
                    "| {name} | error: {} | | | | | | |",
                    e.lines().next().unwrap_or("")
                ),
            }
        }
    }
}
