//! The `pagepress run` workload: threads touching a working set larger than
//! the RAM budget, with every page read back checked against what was last
//! written to it.
//!
//! Each page's expected content is an index into a [`PageSet`] (or "never
//! written": zeros), updated under the page's PTL together with the write, so
//! a check is exact even with several threads on one page.

use super::page_table::Mm;
use super::{SwapError, System};
use pagepress_abi::format::PAGE_SIZE;
use pagepress_codec::corpus::SplitMix64;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Page contents to draw from.
#[derive(Debug)]
pub struct PageSet {
    data: Vec<u8>,
}

/// The workload's PRNG: the shared SplitMix64, with unbiased ranges.
#[derive(Clone, Debug)]
pub struct Rng(SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(SplitMix64(seed ^ 0x5851_F42D_4C95_7F2D))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl PageSet {
    /// Whole pages of `data` (a corpus).
    pub fn from_bytes(data: Vec<u8>) -> Result<PageSet, String> {
        if data.is_empty() || !data.len().is_multiple_of(PAGE_SIZE) {
            return Err(format!(
                "{} bytes is not a whole, non-zero number of pages",
                data.len()
            ));
        }
        Ok(PageSet { data })
    }

    /// `n` deterministic synthetic pages of mixed compressibility: zero,
    /// same-filled, text-like with varying redundancy, half-random, random.
    pub fn synthetic(n: usize, seed: u64) -> PageSet {
        const WORDS: [&str; 16] = [
            "the ", "page ", "swap ", "slot ", "device ", "folio ", "cache ", "lock ", "entry ",
            "memory ", "fault ", "write ", "back ", "store ", "load ", "\n",
        ];
        let mut rng = Rng::new(seed);
        let mut data = vec![0u8; n * PAGE_SIZE];
        for p in data.chunks_exact_mut(PAGE_SIZE) {
            match rng.below(100) {
                0..15 => {}
                15..25 => {
                    let w = rng.next_u64() | 1;
                    for c in p.chunks_exact_mut(8) {
                        c.copy_from_slice(&w.to_le_bytes());
                    }
                }
                25..80 => {
                    // Words, with a random byte now and then (ratio varies).
                    let noise = rng.below(20);
                    let mut i = 0;
                    while i < PAGE_SIZE {
                        let w = WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes();
                        let k = w.len().min(PAGE_SIZE - i);
                        p[i..i + k].copy_from_slice(&w[..k]);
                        i += k;
                        if rng.below(100) < noise && i < PAGE_SIZE {
                            p[i] = rng.next_u64() as u8;
                            i += 1;
                        }
                    }
                }
                80..90 => {
                    // Structured records: counters and pointers.
                    for (k, c) in p.chunks_exact_mut(16).enumerate() {
                        c[..8].copy_from_slice(&(k as u64 * 24 + 0x7f00_0000_0000).to_le_bytes());
                        c[8..].copy_from_slice(&(rng.below(256)).to_le_bytes());
                    }
                }
                _ => {
                    for c in p.chunks_exact_mut(8) {
                        c.copy_from_slice(&rng.next_u64().to_le_bytes());
                    }
                }
            }
        }
        PageSet { data }
    }

    pub fn len(&self) -> usize {
        self.data.len() / PAGE_SIZE
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn page(&self, i: u32) -> &[u8] {
        let i = i as usize % self.len();
        &self.data[i * PAGE_SIZE..(i + 1) * PAGE_SIZE]
    }
}

/// Expected contents of every page of one address space.
#[derive(Debug)]
pub struct Checker {
    pub pages: Arc<PageSet>,
    /// Per page: index into `pages`, or `NEVER` (zeros). Updated under the
    /// page's PTL.
    expected: Vec<AtomicU32>,
    pub verified: AtomicU64,
    pub corrupted: AtomicU64,
}

const NEVER: u32 = u32::MAX;

impl Checker {
    pub fn new(pages: Arc<PageSet>, nr_pages: u64) -> Checker {
        Checker {
            pages,
            expected: (0..nr_pages).map(|_| AtomicU32::new(NEVER)).collect(),
            verified: AtomicU64::new(0),
            corrupted: AtomicU64::new(0),
        }
    }

    fn check(&self, va: u64, p: &[u8]) -> bool {
        let ok = match self.expected[va as usize].load(Ordering::Relaxed) {
            NEVER => p.iter().all(|&b| b == 0),
            id => p == self.pages.page(id),
        };
        self.verified.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.corrupted.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Reads page `va` and checks it; with `write`, then stores page `write`
    /// of the set into it. Returns whether the check passed.
    pub fn touch(
        &self,
        sys: &System,
        mm: &Arc<Mm>,
        va: u64,
        write: Option<u32>,
    ) -> Result<bool, SwapError> {
        sys.access(mm, va, |p| {
            let ok = self.check(va, p);
            if let Some(id) = write {
                let id = id % self.pages.len() as u32;
                p.copy_from_slice(self.pages.page(id));
                self.expected[va as usize].store(id, Ordering::Relaxed);
            }
            ok
        })
    }

    /// Unmaps page `va` (it reads back as zeros afterwards).
    pub fn zap(&self, sys: &System, mm: &Arc<Mm>, va: u64) -> Result<(), SwapError> {
        sys.zap_page_with(mm, va, || {
            self.expected[va as usize].store(NEVER, Ordering::Relaxed)
        })
    }
}

/// Which pages the threads touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// Every page equally likely.
    Uniform,
    /// Zipf-distributed popularity (s = 0.99): a hot set and a long tail.
    Zipf,
    /// Each thread sweeps its own stretch, wrapping around.
    Sequential,
}

impl Pattern {
    pub const ALL: [Pattern; 3] = [Pattern::Uniform, Pattern::Zipf, Pattern::Sequential];

    /// The name on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Pattern::Uniform => "uniform",
            Pattern::Zipf => "zipf",
            Pattern::Sequential => "sequential",
        }
    }
}

impl std::str::FromStr for Pattern {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown pattern `{s}` (uniform, zipf or sequential)"))
    }
}

/// Draws page numbers.
#[derive(Debug)]
pub struct Picker {
    pattern: Pattern,
    n: u64,
    /// Zipf CDF (only for `Pattern::Zipf`).
    cdf: Arc<Vec<f64>>,
}

impl Picker {
    pub fn new(pattern: Pattern, n: u64) -> Picker {
        let cdf = if pattern == Pattern::Zipf {
            let mut acc = 0.0;
            let mut v: Vec<f64> = (1..=n)
                .map(|k| {
                    acc += 1.0 / (k as f64).powf(0.99);
                    acc
                })
                .collect();
            for x in &mut v {
                *x /= acc;
            }
            v
        } else {
            Vec::new()
        };
        Picker {
            pattern,
            n,
            cdf: Arc::new(cdf),
        }
    }

    /// The `i`th pick of thread `t` of `threads`.
    pub fn pick(&self, rng: &mut Rng, t: u64, threads: u64, i: u64) -> u64 {
        match self.pattern {
            Pattern::Uniform => rng.below(self.n),
            Pattern::Zipf => {
                let u = rng.unit();
                let r = self.cdf.partition_point(|&c| c < u) as u64;
                // Scatter the ranks over the address space.
                r.wrapping_mul(0x9E37_79B9) % self.n
            }
            Pattern::Sequential => (t * self.n / threads.max(1) + i) % self.n,
        }
    }
}

/// Workload parameters.
#[derive(Clone, Debug)]
pub struct WorkloadConfig {
    pub threads: u32,
    /// Pages of the address space the threads touch.
    pub working_set: u64,
    /// Total operations (across threads).
    pub ops: u64,
    /// Stop early after this long.
    pub duration: Option<Duration>,
    pub pattern: Pattern,
    /// Percentage of operations that write a new page.
    pub write_pct: u32,
    pub seed: u64,
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub ops: u64,
    pub elapsed: Duration,
    pub verified: u64,
    pub corrupted: u64,
    /// Pages that could not be read back at all.
    pub lost: u64,
    /// First few errors, for the report.
    pub errors: Vec<String>,
    /// Faults (swap-in and first touch) during the timed phase.
    pub main_faults: u64,
    /// Device commands (STORE + LOAD) during the timed phase.
    pub main_device_cmds: u64,
}

fn faults(sys: &System) -> u64 {
    sys.stats.swapin_faults.load(Ordering::Relaxed) + sys.stats.anon_faults.load(Ordering::Relaxed)
}

fn device_cmds(sys: &System) -> u64 {
    use pagepress_abi::stats::StatCounter;
    sys.pool.stats().map_or(0, |d| {
        d.get(StatCounter::StoreCmds) + d.get(StatCounter::LoadCmds)
    })
}

/// Runs the workload on `mm` (at least `cfg.working_set` pages): the
/// threads first write every page once, then do `cfg.ops` touches, then read
/// every page back once more. `progress` gets the touches done so far. The
/// caller exits `mm` afterwards (after reading any device figures it wants).
pub fn run(
    sys: &Arc<System>,
    mm: &Arc<Mm>,
    cfg: &WorkloadConfig,
    pages: Arc<PageSet>,
    progress: &(dyn Fn(u64) + Sync),
) -> Report {
    let n = cfg.working_set.min(mm.nr_pages());
    let threads = cfg.threads.max(1) as u64;
    let checker = Checker::new(pages, n);
    let picker = Picker::new(cfg.pattern, n);
    let done = AtomicU64::new(0);
    let lost = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let errors = std::sync::Mutex::new(Vec::new());
    let fail = |va: u64, e: SwapError| {
        lost.fetch_add(1, Ordering::Relaxed);
        let mut er = super::lock(&errors);
        if er.len() < 8 {
            er.push(format!("page {va}: {e}"));
        }
    };
    // Each thread's stretch of the address space, for populate and verify.
    let stretch = |t: u64| (t * n / threads)..((t + 1) * n / threads);
    let phase = |f: &(dyn Fn(u64) + Sync)| {
        std::thread::scope(|s| {
            for t in 0..threads {
                s.spawn(move || f(t));
            }
        })
    };
    phase(&|t| {
        let mut rng = Rng::new(cfg.seed ^ t.wrapping_mul(0x2545_F491_4F6C_DD1D));
        for va in stretch(t) {
            if let Err(e) = checker.touch(sys, mm, va, Some(rng.next_u64() as u32)) {
                fail(va, e);
            }
        }
    });
    let (f0, d0) = (faults(sys), device_cmds(sys));
    let start = Instant::now();
    let per_thread = cfg.ops.div_ceil(threads);
    phase(&|t| {
        let mut rng = Rng::new(cfg.seed.wrapping_add(t * 0x1000_0001));
        for i in 0..per_thread {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let va = picker.pick(&mut rng, t, threads, i);
            let write = (rng.below(100) < cfg.write_pct as u64).then(|| rng.next_u64() as u32);
            if let Err(e) = checker.touch(sys, mm, va, write) {
                fail(va, e);
            }
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            if d.is_multiple_of(256) {
                progress(d);
                if cfg.duration.is_some_and(|lim| start.elapsed() >= lim) {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
    });
    let elapsed = start.elapsed();
    let (main_faults, main_device_cmds) = (faults(sys) - f0, device_cmds(sys) - d0);
    // Every page once more: most of them come back from the device or file.
    phase(&|t| {
        for va in stretch(t) {
            if let Err(e) = checker.touch(sys, mm, va, None) {
                fail(va, e);
            }
        }
    });
    Report {
        ops: done.load(Ordering::Relaxed),
        elapsed,
        verified: checker.verified.load(Ordering::Relaxed),
        corrupted: checker.corrupted.load(Ordering::Relaxed),
        lost: lost.load(Ordering::Relaxed),
        errors: errors.into_inner().unwrap_or_default(),
        main_faults,
        main_device_cmds,
    }
}
