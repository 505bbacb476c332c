//! Whole-core tests: `Compressor` against `pagepress_codec::compress_page`.

use super::*;
use crate::compressor::testutil::tick;
use pagepress_codec::{FrameKind, compress_page};

/// Drives pages through one core instance; returns each frame and its cycle count
/// (first input beat offered to last output beat taken).
pub(crate) struct Bench {
    uut: Box<Compressor>,
    pub clear_cycles: u64,
}

impl Bench {
    pub fn new() -> Bench {
        let mut uut = Box::new(Compressor::default());
        uut.connect_all();
        let mut cycles = 0;
        uut.out_ready.next = true;
        assert!(simulate(&mut *uut, 1000));
        while !uut.in_ready.val() {
            tick(&mut *uut, |u| &mut u.clock);
            cycles += 1;
            assert!(cycles < 10_000, "hash-table clear does not finish");
        }
        Bench {
            uut,
            clear_cycles: cycles,
        }
    }

    /// Compresses `page`; `stall` makes the producer and consumer pause now and then.
    pub fn run(&mut self, page: &[u8; 4096], stall: bool) -> (Vec<u8>, u64, u64) {
        let uut = &mut self.uut;
        let mut beat = 0usize;
        let mut out = Vec::new();
        let mut cycles = 0u64;
        let mut rng = 0x2545_f491u32;
        let (mut len, mut kind) = (0, 0);
        loop {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            let pause = stall && rng.is_multiple_of(5);
            if beat < PAGE_BEATS {
                let w = u64::from_le_bytes(page[beat * 8..beat * 8 + 8].try_into().unwrap());
                uut.in_data.next = w.to_bits();
                uut.in_valid.next = !pause;
            } else {
                uut.in_valid.next = false;
            }
            uut.out_ready.next = !(stall && rng % 7 == 1);
            assert!(simulate(&mut **uut, 1000));
            let took = uut.in_valid.val() && uut.in_ready.val();
            let mut last = false;
            if uut.out_valid.val() && uut.out_ready.val() {
                let nb = uut.out_bytes.val().index();
                out.extend_from_slice(&uut.out_data.val().to_u64().to_le_bytes()[..nb]);
                len = uut.frame_len.val().index();
                kind = uut.frame_kind.val().index() as u64;
                if uut.out_last.val() {
                    last = true;
                } else {
                    assert_eq!(nb, 8, "short beat before the last");
                }
            }
            tick(&mut **uut, |u| &mut u.clock);
            cycles += 1;
            if took {
                beat += 1;
            }
            if last {
                break;
            }
            assert!(cycles < 100_000, "no frame after {cycles} cycles");
        }
        assert_eq!(len, out.len(), "frame_len");
        (out, cycles, kind)
    }
}

impl Bench {
    /// Streams `pages` back to back (input always offered, output always taken unless
    /// `stall`); returns the frames and the clock at which each frame's last beat left.
    pub fn stream(&mut self, pages: &[[u8; 4096]], stall: bool) -> (Vec<Vec<u8>>, Vec<u64>) {
        let uut = &mut self.uut;
        let mut rng = Rng(0x5eed);
        let (mut pi, mut beat) = (0usize, 0usize);
        let mut frames = vec![Vec::new()];
        let mut ends = Vec::new();
        let mut cycles = 0u64;
        uut.out_ready.next = true;
        while frames.len() <= pages.len() {
            if pi < pages.len() {
                let p = &pages[pi];
                let w = u64::from_le_bytes(p[beat * 8..beat * 8 + 8].try_into().unwrap());
                uut.in_data.next = w.to_bits();
                uut.in_valid.next = !(stall && rng.next().is_multiple_of(4));
            } else {
                uut.in_valid.next = false;
            }
            uut.out_ready.next = !(stall && rng.next().is_multiple_of(3));
            assert!(simulate(&mut **uut, 1000));
            if uut.in_valid.val() && uut.in_ready.val() {
                beat += 1;
                if beat == PAGE_BEATS {
                    (pi, beat) = (pi + 1, 0);
                }
            }
            if uut.out_valid.val() && uut.out_ready.val() {
                let nb = uut.out_bytes.val().index();
                let bytes = uut.out_data.val().to_u64().to_le_bytes();
                frames.last_mut().unwrap().extend_from_slice(&bytes[..nb]);
                if uut.out_last.val() {
                    assert_eq!(uut.frame_len.val().index(), frames.last().unwrap().len());
                    frames.push(Vec::new());
                    ends.push(cycles + 1);
                }
            }
            tick(&mut **uut, |u| &mut u.clock);
            cycles += 1;
            assert!(cycles < 20_000 * pages.len() as u64, "stream stuck");
        }
        frames.pop();
        (frames, ends)
    }
}

/// Compresses `page` and checks the frame against the reference; returns the cycles.
pub(crate) fn check(bench: &mut Bench, name: &str, page: &[u8; 4096], stall: bool) -> u64 {
    let mut want = Vec::new();
    let kind = compress_page(page, &mut want);
    let (got, cycles, hw_kind) = bench.run(page, stall);
    assert_eq!(got.len(), want.len(), "{name}: frame length");
    assert!(got == want, "{name}: frame bytes differ");
    let want_kind = match kind {
        FrameKind::Raw => 0,
        FrameKind::Rle => 1,
        FrameKind::Compressed => 2,
    };
    assert_eq!(hw_kind, want_kind, "{name}: frame kind");
    eprintln!(
        "{name}: {kind:?}, {} bytes, {cycles} cycles, {:.2} bytes/cycle",
        want.len(),
        4096.0 / cycles as f64
    );
    cycles
}

pub(crate) struct Rng(u32);
impl Rng {
    pub fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
}

pub(crate) fn text_page(rng: &mut Rng) -> [u8; 4096] {
    let words = [
        &b"the "[..],
        b"compressed ",
        b"memory ",
        b"page ",
        b"offload\n",
        b"swap slot ",
        b"engine, ",
        b"zstd frame ",
    ];
    let mut v = Vec::new();
    while v.len() < 4096 {
        v.extend_from_slice(words[(rng.next() % 8) as usize]);
        if rng.next().is_multiple_of(4) {
            v.extend_from_slice(format!("{} ", rng.next() % 10000).as_bytes());
        }
    }
    v[..4096].try_into().unwrap()
}

#[test]
fn compressor_zero_and_filled_pages() {
    let mut bench = Bench::new();
    // The power-up hash-table clear: one entry per clock.
    assert_eq!(
        bench.clear_cycles,
        pagepress_abi::format::HASH_ENTRIES as u64
    );
    check(&mut bench, "zero", &[0u8; 4096], false);
    check(&mut bench, "0xa5-filled", &[0xa5u8; 4096], true);
    // Same-filled 64-bit words but not byte-filled: a compressed frame.
    let mut page = [0u8; 4096];
    for c in page.chunks_exact_mut(8) {
        c.copy_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
    }
    check(&mut bench, "word-filled", &page, false);
}

#[test]
fn compressor_random_page_is_raw() {
    let mut bench = Bench::new();
    let mut rng = Rng(7);
    let mut page = [0u8; 4096];
    page.iter_mut().for_each(|b| *b = rng.next() as u8);
    check(&mut bench, "random", &page, false);
    // Almost random: one repeated run, still not worth compressing.
    page.copy_within(100..140, 3000);
    check(&mut bench, "random+run", &page, true);
}

#[test]
fn compressor_text_and_half_repeat() {
    let mut bench = Bench::new();
    let mut rng = Rng(99);
    check(&mut bench, "text", &text_page(&mut rng), false);
    let mut page = [0u8; 4096];
    page[..2048].iter_mut().for_each(|b| *b = rng.next() as u8);
    let (a, b) = page.split_at_mut(2048);
    b.copy_from_slice(a);
    check(&mut bench, "half-repeat", &page, true);
}

#[test]
fn compressor_small_alphabets() {
    let mut bench = Bench::new();
    let mut rng = Rng(4242);
    for alphabet in [2u32, 3, 4, 16] {
        let mut page = [0u8; 4096];
        page.iter_mut()
            .for_each(|b| *b = b'a' + (rng.next() % alphabet) as u8);
        check(
            &mut bench,
            &format!("alphabet-{alphabet}"),
            &page,
            alphabet == 3,
        );
    }
}

#[test]
fn compressor_verilog_lints() {
    let mut uut = Compressor::default();
    uut.connect_all();
    lint_core("compressor_top", &uut);
}

/// Area of the whole core; slow (yosys), so run on demand:
/// `cargo test -p pagepress-rtl --lib compressor_synthesis -- --ignored --nocapture`.
#[test]
#[ignore]
fn compressor_synthesis() {
    let s = compressor_synth().unwrap();
    eprintln!(
        "compressor: {} LUT, {} FF, {} RAMB36 + {} RAMB18, {} DSP, {} LUTRAM cells",
        s.luts, s.ffs, s.bram36, s.bram18, s.dsps, s.lutram_cells
    );
    assert!(
        s.bram36_equiv() > 0.0,
        "hash table and buffers map to block RAM"
    );
}

/// 64 pages through one core: the 64th reuses the 1st page's epoch, so every hash entry
/// the 1st page wrote must have been scrubbed in between, or the same text page would
/// find its own stale positions (wrong offsets).
#[test]
fn compressor_epoch_wrap_has_no_stale_matches() {
    let mut bench = Bench::new();
    let mut rng = Rng(31337);
    let text = text_page(&mut rng);
    check(&mut bench, "text (epoch 1)", &text, false);
    for i in 0..super::EPOCHS - 1 {
        let (out, _, _) = bench.run(&[i as u8; 4096], false);
        assert_eq!(out.len(), pagepress_abi::format::RLE_FRAME_SIZE);
    }
    check(&mut bench, "text (epoch 1 again)", &text, false);
}

/// Prints a stream's figures: all clocks per page, and the steady state (clocks between
/// the first and the last frame's end, per page).
fn report(name: &str, ends: &[u64]) {
    let n = ends.len() as u64;
    let total = ends[ends.len() - 1];
    let steady = (total - ends[0]) / (n - 1);
    eprintln!(
        "{name}: {n} pages in {total} clocks ({} clocks/page); steady state {steady} clocks/page = {:.2} bytes/clock",
        total / n,
        4096.0 / steady as f64
    );
}

/// Pages back to back: the front end loads and matches page N+1 while the back end
/// emits page N. Every frame bit-exact; prints the steady-state clocks per page.
#[test]
fn compressor_streams_pages_back_to_back() {
    let mut bench = Bench::new();
    let mut rng = Rng(2024);
    let mut pages = Vec::new();
    for i in 0..8 {
        let mut page = [0u8; 4096];
        match i % 4 {
            0 => page = text_page(&mut rng),
            1 => page.iter_mut().for_each(|b| *b = rng.next() as u8),
            2 => page
                .iter_mut()
                .for_each(|b| *b = b'a' + (rng.next() % 3) as u8),
            _ => {
                page[..2048].iter_mut().for_each(|b| *b = rng.next() as u8);
                page.copy_within(..2048, 2048);
            }
        }
        pages.push(page);
    }
    pages.push([0u8; 4096]);
    let (frames, ends) = bench.stream(&pages, false);
    assert_eq!(frames.len(), pages.len());
    for (i, (page, got)) in pages.iter().zip(&frames).enumerate() {
        let mut want = Vec::new();
        compress_page(page, &mut want);
        assert!(*got == want, "page {i}: frame differs");
    }
    report(
        "stream (text, random, alphabet-3, half-repeat; x2; zero)",
        &ends,
    );
    // Random (raw) pages alone: the steady state of the front end.
    let raw: Vec<[u8; 4096]> = (0..6)
        .map(|_| {
            let mut p = [0u8; 4096];
            p.iter_mut().for_each(|b| *b = rng.next() as u8);
            p
        })
        .collect();
    let (frames, ends) = bench.stream(&raw, false);
    assert_eq!(frames.len(), raw.len());
    for (page, got) in raw.iter().zip(&frames) {
        let mut want = Vec::new();
        compress_page(page, &mut want);
        assert!(*got == want, "raw page differs");
    }
    report("stream (random pages)", &ends);
    // Compressible pages only: text, small alphabets, repeats.
    let comp: Vec<[u8; 4096]> = (0..6)
        .map(|i| {
            let mut p = [0u8; 4096];
            match i % 3 {
                0 => p = text_page(&mut rng),
                1 => p
                    .iter_mut()
                    .for_each(|b| *b = b'a' + (rng.next() % (2 + i as u32)) as u8),
                _ => {
                    p[..1024].iter_mut().for_each(|b| *b = rng.next() as u8);
                    for k in 1..4 {
                        p.copy_within(..1024, 1024 * k);
                    }
                }
            }
            p
        })
        .collect();
    let (frames, ends) = bench.stream(&comp, false);
    for (page, got) in comp.iter().zip(&frames) {
        let mut want = Vec::new();
        compress_page(page, &mut want);
        assert!(*got == want, "compressible page differs");
    }
    report("stream (compressible pages)", &ends);
}

/// The same mix streamed with random input gaps and output stalls: the front end waits
/// for the back end and the back end for the consumer, and no byte is lost or reordered.
#[test]
fn compressor_streams_with_stalls() {
    let mut bench = Bench::new();
    let mut rng = Rng(77);
    let mut pages = vec![text_page(&mut rng), [7u8; 4096]];
    let mut page = [0u8; 4096];
    page.iter_mut().for_each(|b| *b = rng.next() as u8);
    pages.push(page);
    page.iter_mut()
        .for_each(|b| *b = b'x' + (rng.next() % 2) as u8);
    pages.push(page);
    pages.push(text_page(&mut rng));
    let (frames, _) = bench.stream(&pages, true);
    assert_eq!(frames.len(), pages.len());
    for (i, (page, got)) in pages.iter().zip(&frames).enumerate() {
        let mut want = Vec::new();
        compress_page(page, &mut want);
        assert!(*got == want, "page {i}: frame differs");
    }
}

/// The generated Verilog itself, compiled by Verilator and driven by a small C++ bench:
/// pages streamed back to back must give `compress_page`'s frames (catches any
/// difference between rust-hdl's simulator and the Verilog it emits). Slow (a Verilator
/// build): `cargo test -p pagepress-rtl --lib compressor_verilator -- --ignored`.
#[test]
#[ignore]
fn compressor_verilator_matches_reference() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("pagepress-comp-vl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("top.v"), compressor_verilog()).unwrap();
    std::fs::write(dir.join("tb.cpp"), VERILATOR_BENCH).unwrap();
    let build = Command::new("verilator")
        .current_dir(&dir)
        .args(["--cc", "--exe", "--build", "-j", "2", "--top-module", "top"])
        .args([
            "--x-assign",
            "unique",
            "--x-initial",
            "unique",
            "-Mdir",
            "obj",
        ])
        .args(["top.v", "tb.cpp"])
        .output()
        .expect("verilator");
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let mut rng = Rng(4711);
    let mut pages: Vec<[u8; 4096]> = vec![text_page(&mut rng), [0u8; 4096]];
    let mut page = [0u8; 4096];
    page.iter_mut().for_each(|b| *b = rng.next() as u8);
    pages.push(page);
    page.iter_mut()
        .for_each(|b| *b = b'a' + (rng.next() % 3) as u8);
    pages.push(page);
    page[..2048].iter_mut().for_each(|b| *b = rng.next() as u8);
    page.copy_within(..2048, 2048);
    pages.push(page);
    pages.push(text_page(&mut rng));
    let input: Vec<u8> = pages.iter().flatten().copied().collect();
    std::fs::write(dir.join("pages.bin"), &input).unwrap();
    let run = Command::new(dir.join("obj/Vtop"))
        .current_dir(&dir)
        .output()
        .expect("run Vtop");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut want = Vec::new();
    for p in &pages {
        compress_page(p, &mut want);
    }
    let report = String::from_utf8_lossy(&run.stderr).trim().to_string();
    eprintln!("verilator: {report}");
    assert!(
        run.stdout == want,
        "Verilator output differs from the reference"
    );
    // Cycle-accurate: the same stream in rust-hdl's simulator ends on the same clock.
    let mut bench = Bench::new();
    let (_, ends) = bench.stream(&pages, false);
    let rust_hdl_cycles = bench.clear_cycles + ends[ends.len() - 1];
    assert!(
        report.contains(&format!(" {rust_hdl_cycles} cycles")),
        "rust-hdl: {rust_hdl_cycles} cycles, verilator: {report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

const VERILATOR_BENCH: &str = r#"
#include "Vtop.h"
#include "verilated.h"
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>
int main(int argc, char** argv) {
    Verilated::commandArgs(argc, argv);
    std::vector<uint8_t> in;
    FILE* f = fopen("pages.bin", "rb");
    int c;
    while ((c = fgetc(f)) != EOF) in.push_back((uint8_t)c);
    fclose(f);
    size_t npages = in.size() / 4096, pi = 0, beat = 0, frames = 0;
    unsigned long long cycles = 0;
    std::vector<uint8_t> out;
    Vtop* t = new Vtop;
    t->clock = 0;
    t->out_ready = 1;
    t->in_valid = 0;
    t->eval();
    while (frames < npages && cycles < 10000000ULL) {
        if (pi < npages) {
            uint64_t w;
            memcpy(&w, &in[pi * 4096 + beat * 8], 8);
            t->in_data = w;
            t->in_valid = 1;
        } else {
            t->in_valid = 0;
        }
        t->eval();
        bool took = t->in_valid && t->in_ready;
        if (t->out_valid) {
            uint64_t d = t->out_data;
            for (int i = 0; i < (int)t->out_bytes; i++) out.push_back((d >> (8 * i)) & 0xff);
            if (t->out_last) frames++;
        }
        t->clock = 1;
        t->eval();
        t->clock = 0;
        t->eval();
        cycles++;
        if (took && ++beat == 512) { beat = 0; pi++; }
    }
    fwrite(out.data(), 1, out.size(), stdout);
    fprintf(stderr, "%zu pages, %llu cycles (including the 4096-cycle power-up clear)\n", npages, cycles);
    delete t;
    return 0;
}
"#;
