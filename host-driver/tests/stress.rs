//! Randomized concurrent stress of the swap protocol with content checks:
//! threads touching (reading, writing, unmapping) pages while others reclaim,
//! write back, read ahead, and swap the device off and on. Every page read is
//! compared with what was last written to it; zero lost or corrupted pages and
//! zero slot-map violations are required. Bounded by operation counts, not
//! time; the interleavings differ run to run, the inputs do not.

use pagepress::backend::{DeviceConfig, open_soft};
use pagepress::pool::CompressedPool;
use pagepress::swap::hooks::Hooks;
use pagepress::swap::mem_pool::MemPool;
use pagepress::swap::page_table::Pte;
use pagepress::swap::workload::{Checker, PageSet, Rng};
use pagepress::swap::{Config, SwapinMode, System};
use pagepress_abi::Opcode;
use pagepress_firmware::model::FaultRule;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

struct Plan {
    cfg: Config,
    pages: u64,
    touchers: u64,
    touches: u64,
    swapoff_cycles: u32,
    seed: u64,
}

/// `PAGEPRESS_STRESS_SCALE=n` multiplies the touches (longer soak runs).
fn scale() -> u64 {
    std::env::var("PAGEPRESS_STRESS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

fn stress(pool: Arc<dyn CompressedPool>, mut plan: Plan) -> Arc<System> {
    plan.touches *= scale();
    plan.swapoff_cycles *= scale() as u32;
    let sys = System::new(plan.cfg.clone(), pool.clone(), Hooks::new());
    sys.swapon(None).unwrap();
    let mm = sys.new_mm(plan.pages);
    let checker = Checker::new(Arc::new(PageSet::synthetic(256, plan.seed)), plan.pages);
    let lost = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let swapoffs = AtomicU64::new(0);
    thread::scope(|s| {
        let mut touchers = Vec::new();
        for t in 0..plan.touchers {
            let (sys, mm, checker, lost) = (&sys, &mm, &checker, &lost);
            let plan = &plan;
            touchers.push(s.spawn(move || {
                let mut rng = Rng::new(plan.seed * 1000 + t);
                for _ in 0..plan.touches {
                    // A small hot range so threads meet on the same PTEs.
                    let va = if rng.below(2) == 0 {
                        rng.below(8)
                    } else {
                        rng.below(plan.pages)
                    };
                    let r = match rng.below(100) {
                        0..4 => checker.zap(sys, mm, va).map(|_| true),
                        4..44 => checker.touch(sys, mm, va, Some(rng.next_u64() as u32)),
                        _ => checker.touch(sys, mm, va, None),
                    };
                    if let Err(e) = r {
                        eprintln!("page {va}: {e}");
                        lost.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        // Reclaim, writeback and readahead, until the touchers finish.
        {
            let (sys, mm, done) = (&sys, &mm, &done);
            let seed = plan.seed;
            s.spawn(move || {
                let mut rng = Rng::new(seed ^ 0xabcdef);
                while !done.load(Ordering::Relaxed) {
                    match rng.below(3) {
                        0 => {
                            sys.reclaim(1 + rng.below(8));
                        }
                        1 => {
                            sys.writeback(1 + rng.below(4) as u32);
                        }
                        _ => {
                            let va = rng.below(mm.nr_pages());
                            if let Pte::Swap(e) = mm.pte(va) {
                                let _ = sys.swapin_readahead(e);
                            }
                        }
                    }
                }
            });
        }
        if plan.swapoff_cycles > 0 {
            let (sys, done, swapoffs) = (&sys, &done, &swapoffs);
            let cycles = plan.swapoff_cycles;
            s.spawn(move || {
                for _ in 0..cycles {
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    // Let some pages go out before pulling them back.
                    sys.reclaim(32);
                    sys.swapoff().unwrap();
                    swapoffs.fetch_add(1, Ordering::Relaxed);
                    sys.swapon(None).unwrap();
                }
            });
        }
        for t in touchers {
            t.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    // Every page once more.
    for va in 0..plan.pages {
        if checker.touch(&sys, &mm, va, None).is_err() {
            lost.fetch_add(1, Ordering::Relaxed);
        }
    }
    let log = sys.stats.violation_log.lock().unwrap().clone();
    assert_eq!(sys.violations(), 0, "violations: {log:?}");
    assert_eq!(
        checker.corrupted.load(Ordering::SeqCst),
        0,
        "corrupted pages"
    );
    assert_eq!(lost.load(Ordering::SeqCst), 0, "lost pages");
    assert!(checker.verified.load(Ordering::SeqCst) >= plan.pages);
    if plan.swapoff_cycles > 0 {
        assert!(swapoffs.load(Ordering::SeqCst) > 0);
    }
    // Teardown leaves nothing behind on the device.
    sys.exit_mm(&mm).unwrap();
    let dev = sys.device().unwrap();
    assert_eq!(dev.inuse(), 0);
    assert!(dev.zswap.is_empty() && dev.cache.is_empty());
    sys.swapoff().unwrap();
    assert_eq!(sys.violations(), 0);
    sys
}

fn cfg(order: u32, swapin: SwapinMode) -> Config {
    Config {
        ram_pages: 48,
        swap_slots: 1024,
        cluster_pages: 16,
        order,
        swapin,
        writeback_batch: 4,
    }
}

#[test]
fn stress_order0_skip_swapcache() {
    let pool = Arc::new(MemPool::new(48 << 10, 1024));
    let sys = stress(
        pool,
        Plan {
            cfg: cfg(0, SwapinMode::SkipWhenExclusive),
            pages: 192,
            touchers: 3,
            touches: 2500,
            swapoff_cycles: 3,
            seed: 1,
        },
    );
    let s = &sys.stats;
    assert!(s.swapin_skip.load(Ordering::SeqCst) > 0);
    assert!(
        s.writebacks.load(Ordering::SeqCst) > 0,
        "device never filled up"
    );
}

#[test]
fn stress_order0_through_swapcache() {
    let pool = Arc::new(MemPool::new(48 << 10, 1024));
    let sys = stress(
        pool,
        Plan {
            cfg: cfg(0, SwapinMode::AlwaysCache),
            pages: 192,
            touchers: 3,
            touches: 2500,
            swapoff_cycles: 3,
            seed: 2,
        },
    );
    assert!(sys.stats.swapin_cache.load(Ordering::SeqCst) > 0);
}

#[test]
fn stress_large_folios() {
    let pool = Arc::new(MemPool::new(64 << 10, 1024));
    let sys = stress(
        pool,
        Plan {
            cfg: cfg(2, SwapinMode::SkipWhenExclusive),
            pages: 192,
            touchers: 3,
            touches: 2500,
            swapoff_cycles: 2,
            seed: 3,
        },
    );
    let s = &sys.stats;
    assert!(
        s.swapin_large.load(Ordering::SeqCst) + s.large_fallback_other.load(Ordering::SeqCst) > 0
    );
}

#[test]
fn stress_soft_backend_with_injected_faults() {
    let dc = DeviceConfig {
        devmem_bytes: 64 << 10,
        max_slots: 1024,
        queues: 4,
        queue_log2: 6,
    };
    let (client, dev) = open_soft(dc.soft_config(), &dc.client_config()).unwrap();
    // Device memory full now and then, a DMA fault on a store, and a slot
    // whose stored frame fails to decompress on the device (the client
    // decodes it on the CPU).
    dev.inject(FaultRule {
        repeat: true,
        ..FaultRule::nth_store_no_space(9)
    });
    dev.inject(FaultRule {
        opcode: Some(Opcode::Store),
        ..FaultRule::dma_fault_on_command(13)
    });
    dev.inject(FaultRule::corrupt_on_load_of_slot(3));
    let sys = stress(
        client,
        Plan {
            cfg: cfg(0, SwapinMode::SkipWhenExclusive),
            pages: 128,
            touchers: 2,
            touches: 1200,
            swapoff_cycles: 2,
            seed: 4,
        },
    );
    let s = &sys.stats;
    assert!(s.reject_no_space.load(Ordering::SeqCst) > 0);
    assert!(s.file_writes.load(Ordering::SeqCst) > 0);
}
