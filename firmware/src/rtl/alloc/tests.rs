//! `UnitAlloc` in rust-hdl simulation against the model `UnitAllocator`, with
//! seeded random operations and directed shapes, its cycle counts, and its
//! Verilog generation + lint.

use super::*;
use crate::model::alloc::UnitAllocator;
use crate::params::SIM_DEVICE;
use pagepress_codec::corpus::SplitMix64;

/// What one operation returned.
#[derive(Debug, PartialEq)]
struct Outcome {
    /// ALLOC: the first unit, `None` on failure.
    run: Option<u32>,
    /// From the accepting edge to the cycle `done` is high.
    cycles: u64,
}

/// The block under test, clocked by hand.
struct Bench<const A: usize> {
    uut: UnitAlloc<A>,
    units: u32,
}

impl<const A: usize> Bench<A> {
    /// A block whose bitmap RAM powers up holding garbage (seeded).
    fn new(units: u32, seed: u64) -> Self {
        let mut rng = SplitMix64(seed);
        let garbage = (0..1u64 << A).map(|_| rng.next_u64().to_bits());
        let mut uut = UnitAlloc::with_bitmap(units, RAM::from(garbage));
        uut.connect_all();
        uut.op_valid.next = false;
        let mut bench = Bench { uut, units };
        bench.settle();
        bench
    }

    fn words(&self) -> u64 {
        self.units as u64 / 64
    }

    fn settle(&mut self) {
        assert!(simulate(&mut self.uut, 1000), "logic did not settle");
    }

    /// One clock cycle: rising edge, then falling edge.
    fn tick(&mut self) {
        self.uut.clock.next = Clock::from(true);
        self.settle();
        self.uut.clock.next = Clock::from(false);
        self.settle();
    }

    /// Cycles until `op_ready` (the power-up sweep); no `done` meanwhile.
    fn boot(&mut self) -> u64 {
        let mut cycles = 0;
        while !self.uut.op_ready.val() {
            assert!(!self.uut.done.val(), "done during the power-up sweep");
            self.tick();
            cycles += 1;
            assert!(cycles < 4 * self.words() + 16, "power-up sweep hung");
        }
        cycles
    }

    /// Offers one operation when `op_ready` and waits for its `done`.
    fn run(&mut self, op: u8, start: u32, n: u32) -> Outcome {
        assert!(self.uut.op_ready.val(), "not ready for an operation");
        self.uut.op_valid.next = true;
        self.uut.op.next = (op as u64).to_bits();
        self.uut.op_start.next = (start as u64).to_bits();
        self.uut.op_n.next = (n as u64).to_bits();
        self.settle();
        self.tick();
        self.uut.op_valid.next = false;
        self.uut.op_start.next = 0u64.to_bits();
        self.uut.op_n.next = 0u64.to_bits();
        self.settle();
        let mut cycles = 1;
        while !self.uut.done.val() {
            assert!(!self.uut.op_ready.val() || cycles == 1, "idle without done");
            self.tick();
            cycles += 1;
            assert!(cycles < 4 * self.words() + 32, "operation hung");
        }
        assert!(self.uut.op_ready.val(), "done before idle");
        let run =
            (op == OP_ALLOC && self.uut.ok.val()).then(|| self.uut.unit.val().to_u64() as u32);
        Outcome { run, cycles }
    }

    fn used(&self) -> u32 {
        self.uut.used.val().to_u64() as u32
    }
}

/// The block and the model side by side, with the model's cursor tracked to
/// predict the block's cycle counts.
struct Pair<const A: usize> {
    bench: Bench<A>,
    model: UnitAllocator,
    cursor: u32,
    /// Live allocations `(start, n)`.
    live: Vec<(u32, u32)>,
    /// Cycles of the ALLOCs that found a run.
    alloc_cycles: Vec<u64>,
    seen: Shapes,
}

/// How often each shape of ALLOC came up: the random runs must cover them all.
#[derive(Debug, Default)]
struct Shapes {
    /// Refused by the free-space check (memory exhausted for this `n`).
    refused: u32,
    /// Swept both passes and found no run (fragmentation).
    missed: u32,
    /// Found behind the cursor, in pass 2.
    wrapped: u32,
    /// Runs over two words, and over three or more.
    two_words: u32,
    three_words: u32,
}

impl<const A: usize> Pair<A> {
    fn new(units: u32, seed: u64) -> Self {
        let mut bench = Bench::new(units, seed);
        let boot = bench.boot();
        assert_eq!(boot, bench.words() + 2, "power-up sweep cycles");
        Pair {
            bench,
            model: UnitAllocator::new(units),
            cursor: 0,
            live: Vec::new(),
            alloc_cycles: Vec::new(),
            seen: Shapes::default(),
        }
    }

    fn words(&self) -> u64 {
        self.bench.words()
    }

    /// Words of units `first ..= last`.
    fn span(first: u32, last: u32) -> u64 {
        (last / 64 - first / 64 + 1) as u64
    }

    fn alloc(&mut self, n: u32) -> Option<u32> {
        let units = self.bench.units;
        let used_before = self.model.used();
        let got = self.bench.run(OP_ALLOC, 0, n);
        let want = if n == 0 { None } else { self.model.alloc(n) };
        assert_eq!(got.run, want, "ALLOC {n} at cursor {}", self.cursor);
        let cursor_word = (self.cursor / 64) as u64;
        // Words swept before the run's last word, or in all.
        let pass1 = self.words() - cursor_word;
        let expected = match want {
            _ if n == 0 || n > units - used_before => {
                self.seen.refused += 1;
                1
            }
            Some(start) => {
                let last = start + n - 1;
                // Pass 1 finds every run that starts at or after the cursor.
                let k = if start >= self.cursor {
                    (last / 64) as u64 - cursor_word
                } else {
                    self.seen.wrapped += 1;
                    pass1 + (last / 64) as u64
                };
                let w = Self::span(start, last);
                self.seen.two_words += (w == 2) as u32;
                self.seen.three_words += (w >= 3) as u32;
                self.cursor = if last + 1 == units { 0 } else { last + 1 };
                self.live.push((start, n));
                self.alloc_cycles.push(got.cycles);
                6 + k + w
            }
            None => {
                self.seen.missed += 1;
                3 + pass1 + ((self.cursor + n).min(units) as u64 - 1) / 64 + 1
            }
        };
        assert_eq!(got.cycles, expected, "ALLOC {n} cycles");
        assert_eq!(self.bench.used(), self.model.used(), "used after ALLOC {n}");
        want
    }

    /// Frees the live allocation that starts at `start`.
    fn free_run(&mut self, start: u32) {
        let i = self.live.iter().position(|&(s, _)| s == start).unwrap();
        self.free(i);
    }

    fn free(&mut self, i: usize) {
        let (start, n) = self.live.swap_remove(i);
        let got = self.bench.run(OP_FREE, start, n);
        self.model.free(start, n);
        assert_eq!(
            got.cycles,
            2 + Self::span(start, start + n - 1),
            "FREE cycles"
        );
        assert_eq!(self.bench.used(), self.model.used(), "used after FREE");
    }

    fn clear(&mut self) {
        let got = self.bench.run(OP_CLEAR, 0, 0);
        self.model.clear();
        self.cursor = 0;
        self.live.clear();
        assert_eq!(got.cycles, self.words() + 2, "CLEAR cycles");
        assert_eq!(self.bench.used(), 0);
    }

    /// A run length: mostly frame sizes (1 ..= 66), sometimes the extremes.
    fn random_n(rng: &mut SplitMix64) -> u32 {
        match rng.below(20) {
            0..=7 => 1 + rng.below(4) as u32,
            8..=15 => 1 + rng.below(66) as u32,
            16..=17 => 60 + rng.below(7) as u32,
            18 => 67 + rng.below(189) as u32,
            _ => 0,
        }
    }

    /// `ops` random operations in phases that fill memory (to exhaustion) and
    /// drain it (fragmenting it), with an occasional CLEAR.
    fn random_ops(&mut self, rng: &mut SplitMix64, ops: usize) {
        let mut filling = true;
        for i in 0..ops {
            if i % 150 == 0 {
                filling = rng.below(3) != 0;
            }
            let alloc_share = if filling { 85 } else { 30 };
            let r = rng.below(1000);
            if r < 3 {
                self.clear();
            } else if r < 10 * alloc_share || self.live.is_empty() {
                self.alloc(Self::random_n(rng));
            } else {
                self.free(rng.below(self.live.len() as u64) as usize);
            }
        }
    }
}

/// Runs `ops` seeded random operations; returns the ALLOC cycles (best, mean, worst).
fn random_run<const A: usize>(units: u32, seed: u64, ops: usize) -> (u64, f64, u64) {
    let mut pair = Pair::<A>::new(units, seed);
    let mut rng = SplitMix64(seed);
    pair.random_ops(&mut rng, ops);
    let c = &pair.alloc_cycles;
    assert!(c.len() > ops / 4, "too few successful ALLOCs: {}", c.len());
    let seen = &pair.seen;
    println!("{units} units: {} ALLOCs found a run; {seen:?}", c.len());
    assert!(
        seen.refused > 0 && seen.missed > 0 && seen.wrapped > 0,
        "{seen:?}"
    );
    // Runs over as many words as the bitmap has, up to three.
    assert!(units <= 64 || seen.two_words > 0, "{seen:?}");
    assert!(units <= 128 || seen.three_words > 0, "{seen:?}");
    let best = *c.iter().min().unwrap();
    let worst = *c.iter().max().unwrap();
    (best, c.iter().sum::<u64>() as f64 / c.len() as f64, worst)
}

#[test]
fn random_operations_match_the_model() {
    // 10 words in a 16-word RAM, a whole RAM, and one word.
    let (best, mean, worst) = random_run::<4>(640, 1, 3000);
    println!("640 units: ALLOC cycles best {best}, mean {mean:.1}, worst {worst}");
    assert_eq!(best, 7);
    random_run::<3>(512, 2, 2000);
    random_run::<2>(64, 3, 1500);
}

#[test]
fn directed_shapes_match_the_model() {
    let mut p = Pair::<4>::new(384, 4);
    // Exhaustion with single units, then fragmentation: every other unit
    // free leaves room but no run of 2 (a full sweep of both passes).
    while p.alloc(1).is_some() {}
    assert_eq!(p.bench.used(), 384);
    for u in (0..384).step_by(2) {
        p.free_run(u);
    }
    assert_eq!(p.alloc(2), None);
    assert_eq!(p.alloc(1), Some(0));
    p.clear();
    assert_eq!(p.alloc(63), Some(0));
    // Units 63 ..= 128: one unit of word 0, all of word 1, one of word 2.
    assert_eq!(p.alloc(66), Some(63));
    // To the last unit: the cursor wraps to 0.
    assert_eq!(p.alloc(255), Some(129));
    assert_eq!(p.alloc(1), None);
    p.free_run(63);
    assert_eq!(p.alloc(30), Some(63));
    assert_eq!(p.alloc(30), Some(93));
    // Units 93 ..= 128 free with the cursor at 123 inside them: pass 1 sees 6
    // free units, pass 2 finds the run across the cursor.
    p.free_run(93);
    assert_eq!(p.alloc(36), Some(93));
    assert_eq!(p.alloc(1), None);
}

fn lint(name: &str, verilog: &str) {
    assert!(verilog.contains("module top"));
    pagepress_rtl::lint::lint_verilog(name, verilog).unwrap();
}

#[test]
fn verilog_generates_and_lints() {
    // The device build: 8 MiB of 64-byte units in a 2048-word bitmap.
    const DEVICE_ADDR_BITS: usize = 11;
    assert_eq!(64 << DEVICE_ADDR_BITS, SIM_DEVICE.units());
    lint(
        "unit_alloc",
        &unit_alloc_verilog::<DEVICE_ADDR_BITS>(SIM_DEVICE.units()),
    );
    // A board's 1M units, and a bitmap of one word.
    lint("unit_alloc_1m", &unit_alloc_verilog::<14>(1 << 20));
    lint("unit_alloc_64", &unit_alloc_verilog::<1>(64));
}

/// Area of the device-size allocator (a few seconds of yosys): run with `--ignored`.
#[test]
#[ignore]
fn device_size_area() {
    let v = unit_alloc_verilog::<11>(SIM_DEVICE.units());
    let s = pagepress_rtl::synth::synth_xilinx("unit_alloc", &v).unwrap();
    println!("UnitAlloc<11> ({} units): {s:?}", SIM_DEVICE.units());
    assert_eq!(s.bram36_equiv(), 4.0, "2048 x 64 bits is four RAMB36");
}
