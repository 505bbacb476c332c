//! The five races of the swap protocol (docs/protocol.md) as deterministic
//! tests: pause points force each interleaving; each test passes because the
//! code follows its rule, and its `_rule_off` twin disables the rule and
//! asserts the failure it prevents. No sleeps: threads meet at hooks.

use pagepress::pool::{CompressedPool, PoolError};
use pagepress::swap::hooks::{Hooks, Rule};
use pagepress::swap::mem_pool::MemPool;
use pagepress::swap::page_table::{Mm, Pte};
use pagepress::swap::zswap::{Writeback, writeback_one};
use pagepress::swap::{Config, FaultOutcome, SwapError, SwapinMode, System};
use pagepress_abi::format::PAGE_SIZE;
use std::sync::{Arc, Mutex};
use std::thread;

fn system(cfg: Config) -> (Arc<System>, Arc<MemPool>) {
    let pool = Arc::new(MemPool::new(1 << 20, 1 << 16));
    let sys = System::new(cfg, pool.clone(), Hooks::new());
    sys.swapon(None).unwrap();
    (sys, pool)
}

thread_local! {
    /// The pool the next race scenario on this thread runs on instead of a
    /// `MemPool` (the `sim` backend's runs of the same scenarios).
    static RACE_POOL: std::cell::RefCell<Option<Arc<dyn CompressedPool>>> =
        const { std::cell::RefCell::new(None) };
}

/// The system a race scenario runs on: a `MemPool`, or the pool installed
/// by [`on_sim`]'s tests.
fn race_system(cfg: Config) -> Arc<System> {
    match RACE_POOL.with(|p| p.borrow_mut().take()) {
        Some(pool) => {
            let sys = System::new(cfg, pool, Hooks::new());
            sys.swapon(None).unwrap();
            sys
        }
        None => system(cfg).0,
    }
}

/// One cluster of 16 slots: allocation is lowest-free-first, so a freed slot
/// is the next one handed out (the reuse the races need).
fn small() -> Config {
    Config {
        ram_pages: 1024,
        swap_slots: 16,
        cluster_pages: 16,
        ..Config::default()
    }
}

/// A compressible page unique to `seed`.
fn page(seed: u64) -> Vec<u8> {
    let text = format!("page {seed:08} of the race tests; ");
    text.bytes().cycle().take(PAGE_SIZE).collect()
}

/// An incompressible page.
fn random_page(seed: u64) -> Vec<u8> {
    let mut x = 0x1234_5678_9abc_def0u64 ^ seed;
    (0..PAGE_SIZE)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn write(sys: &System, mm: &Arc<Mm>, va: u64, data: &[u8]) {
    sys.access(mm, va, |p| p.copy_from_slice(data)).unwrap();
}

fn read(sys: &System, mm: &Arc<Mm>, va: u64) -> Result<Vec<u8>, SwapError> {
    sys.access(mm, va, |p| p.to_vec())
}

fn slot_of(mm: &Mm, va: u64) -> u32 {
    mm.pte(va).swap_entry().expect("swapped out").slot
}

// ---- (a) large-folio swap-in with mixed backing ------------------------------

fn race_a(rule: bool) -> (Result<(), SwapError>, Arc<System>, Arc<Mm>) {
    let sys = race_system(Config {
        order: 2,
        ..small()
    });
    if !rule {
        sys.hooks.disable(Rule::RecheckBackingUnderCache);
    }
    let mm = sys.new_mm(4);
    for va in 0..4 {
        write(&sys, &mm, va, &page(va));
    }
    assert!(sys.reclaim_va(&mm, 0));
    let dev = sys.device().unwrap();
    assert!((0..4).all(|va| dev.zswap.contains(slot_of(&mm, va))));
    // T1 checks "all on the device" and pauses before taking HAS_CACHE.
    sys.hooks.pause_at("large_before_cache");
    let t1 = {
        let (sys, mm) = (sys.clone(), mm.clone());
        thread::spawn(move || sys.fault_once(&mm, 0).map(|_| ()))
    };
    sys.hooks.wait_paused("large_before_cache");
    // T2: writeback moves subpages 0 and 1 to the backing file.
    assert_eq!(writeback_one(&dev), Writeback::Written(0));
    assert_eq!(writeback_one(&dev), Writeback::Written(1));
    sys.hooks.release("large_before_cache");
    (t1.join().unwrap(), sys, mm)
}

#[test]
fn a_large_swapin_rechecks_backing_under_has_cache() {
    let (r, sys, mm) = race_a(true);
    r.unwrap();
    assert_eq!(
        sys.stats
            .large_fallback_mixed
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    for va in 0..4 {
        assert_eq!(read(&sys, &mm, va).unwrap(), page(va), "page {va}");
    }
    assert_eq!(sys.violations(), 0);
}

#[test]
fn a_rule_off_reads_mixed_range_from_one_backing() {
    let (r, _sys, _mm) = race_a(false);
    // Read whole from the device: the moved subpages are not there, the
    // attempt cannot produce the page.
    assert!(matches!(r, Err(SwapError::Lost { .. })), "{r:?}");
}

// ---- (b) writeback vs invalidation / swapoff ---------------------------------

/// A at page 0 goes to slot 0; the shrinker pauses at `point`; meanwhile A's
/// slot is freed and reused by B (page 1).
fn race_b_reuse(rule: bool, point: &'static str) -> (Writeback, Arc<System>, Arc<Mm>) {
    let sys = race_system(small());
    if !rule {
        sys.hooks.disable(Rule::WritebackRevalidates);
    }
    let mm = sys.new_mm(2);
    write(&sys, &mm, 0, &page(1));
    assert!(sys.reclaim_va(&mm, 0));
    assert_eq!(slot_of(&mm, 0), 0);
    let dev = sys.device().unwrap();
    sys.hooks.pause_at(point);
    let wb = {
        let dev = dev.clone();
        thread::spawn(move || writeback_one(&dev))
    };
    sys.hooks.wait_paused(point);
    sys.zap(&mm, 0..1).unwrap();
    write(&sys, &mm, 1, &page(2));
    assert!(sys.reclaim_va(&mm, 1));
    sys.hooks.release(point);
    (wb.join().unwrap(), sys, mm)
}

#[test]
fn b_writeback_refinds_entry_after_lru_drop() {
    let (wb, sys, mm) = race_b_reuse(true, "wb_after_pop");
    // Slot 0 was freed and reused by B: the popped entry is stale.
    assert_eq!(slot_of(&mm, 1), 0);
    assert_eq!(wb, Writeback::Stale(0));
    assert_eq!(read(&sys, &mm, 1).unwrap(), page(2));
    assert_eq!(sys.violations(), 0);
}

#[test]
fn b_writeback_holds_has_cache_while_writing() {
    // Paused after the read: HAS_CACHE keeps slot 0 from being freed and
    // reused, so B gets another slot and A's write-back is harmless.
    let (wb, sys, mm) = race_b_reuse(true, "wb_after_read");
    assert_eq!(wb, Writeback::Written(0));
    assert_ne!(slot_of(&mm, 1), 0);
    assert_eq!(read(&sys, &mm, 1).unwrap(), page(2));
    assert_eq!(sys.device().unwrap().inuse(), 0);
    assert_eq!(sys.violations(), 0);
}

#[test]
fn b_rule_off_writes_stale_data_over_reused_slot() {
    let (wb, sys, mm) = race_b_reuse(false, "wb_after_read");
    assert_eq!(wb, Writeback::Written(0));
    assert_eq!(slot_of(&mm, 1), 0);
    // B's entry was invalidated and A's data written in its place.
    assert_eq!(
        read(&sys, &mm, 1).unwrap(),
        page(1),
        "expected the corruption"
    );
}

fn race_b_swapoff(rule: bool) -> (Writeback, Arc<System>, Arc<Mm>) {
    let sys = race_system(small());
    if !rule {
        sys.hooks.disable(Rule::WritebackRevalidates);
    }
    let mm = sys.new_mm(1);
    write(&sys, &mm, 0, &page(7));
    assert!(sys.reclaim_va(&mm, 0));
    let dev = sys.device().unwrap();
    sys.hooks.pause_at("wb_after_pop");
    let wb = {
        let dev = dev.clone();
        thread::spawn(move || writeback_one(&dev))
    };
    sys.hooks.wait_paused("wb_after_pop");
    // The shrinker holds no reference: swapoff completes under it.
    sys.swapoff().unwrap();
    assert!(dev.is_freed());
    sys.hooks.release("wb_after_pop");
    (wb.join().unwrap(), sys, mm)
}

#[test]
fn b_writeback_after_swapoff_fails_cleanly() {
    let (wb, sys, mm) = race_b_swapoff(true);
    assert_eq!(wb, Writeback::Gone(0));
    assert_eq!(read(&sys, &mm, 0).unwrap(), page(7));
    assert_eq!(sys.violations(), 0);
}

#[test]
fn b_rule_off_writeback_touches_freed_device() {
    let (wb, sys, _mm) = race_b_swapoff(false);
    assert!(
        matches!(wb, Writeback::Failed(0, SwapError::DeviceGone)),
        "{wb:?}"
    );
    assert!(sys.violations() > 0, "use after swapoff must be detected");
}

// ---- (c) skip-swapcache double fault -----------------------------------------

fn race_c(rule: bool) -> (Arc<System>, Arc<Mm>, Option<FaultOutcome>) {
    let sys = race_system(Config {
        swapin: SwapinMode::SkipWhenExclusive,
        ..small()
    });
    if !rule {
        sys.hooks.disable(Rule::SkipPathTakesCache);
    }
    let mm = sys.new_mm(1);
    write(&sys, &mm, 0, &page(1));
    assert!(sys.reclaim_va(&mm, 0));
    assert_eq!(slot_of(&mm, 0), 0);
    // T2 reads slot 0 on the skip path and pauses before mapping.
    sys.hooks.pause_at("skip_after_read");
    let t2 = {
        let (sys, mm) = (sys.clone(), mm.clone());
        thread::spawn(move || sys.fault_once(&mm, 0))
    };
    sys.hooks.wait_paused("skip_after_read");
    // T1 faults the same PTE.
    let t1 = sys.fault_once(&mm, 0).unwrap();
    let mut first = Some(t1);
    if t1 == FaultOutcome::Mapped {
        // Rule off: T1 mapped, freed slot 0, wrote D2; reclaim reuses slot 0.
        write(&sys, &mm, 0, &page(2));
        assert!(sys.reclaim_va(&mm, 0));
        assert_eq!(slot_of(&mm, 0), 0);
        first = None;
    }
    sys.hooks.release("skip_after_read");
    t2.join().unwrap().unwrap();
    (sys, mm, first)
}

#[test]
fn c_skip_swapcache_path_takes_has_cache() {
    let (sys, mm, t1) = race_c(true);
    // T1 found HAS_CACHE held and backed off; T2 mapped the page.
    assert_eq!(t1, Some(FaultOutcome::Retry));
    assert!(matches!(mm.pte(0), Pte::Present { .. }));
    assert_eq!(
        sys.fault_once(&mm, 0).unwrap(),
        FaultOutcome::AlreadyPresent
    );
    assert_eq!(read(&sys, &mm, 0).unwrap(), page(1));
    // The slot was freed exactly once and is reused cleanly.
    write(&sys, &mm, 0, &page(2));
    assert!(sys.reclaim_va(&mm, 0));
    assert_eq!(slot_of(&mm, 0), 0);
    assert_eq!(read(&sys, &mm, 0).unwrap(), page(2));
    assert_eq!(sys.violations(), 0);
}

#[test]
fn c_rule_off_maps_stale_page_over_newer_write() {
    let (sys, mm, _) = race_c(false);
    // T2's PTE check passed (same entry value, ABA) and mapped the old data.
    assert_eq!(
        read(&sys, &mm, 0).unwrap(),
        page(1),
        "expected the lost update"
    );
}

// ---- (d) free vs swapoff ------------------------------------------------------

fn race_d(rule: bool) -> (Arc<System>, Result<(), SwapError>) {
    let sys = race_system(small());
    if !rule {
        sys.hooks.disable(Rule::FreeHoldsDeviceRef);
    }
    sys.hooks.record_events();
    let mm = sys.new_mm(1);
    write(&sys, &mm, 0, &page(3));
    assert!(sys.reclaim_va(&mm, 0));
    let e = mm.pte(0).swap_entry().unwrap();
    // The slot's folio sits in the swap cache (readahead): count 1 + HAS_CACHE.
    assert!(sys.swapin_readahead(e).unwrap());
    let dev = sys.device().unwrap();
    // P1 exits: the count drops to 0 and P1 pauses before reclaiming the folio.
    sys.hooks.pause_at("free_before_reclaim");
    let p1 = {
        let (sys, mm) = (sys.clone(), mm.clone());
        thread::spawn(move || sys.exit_mm(&mm))
    };
    sys.hooks.wait_paused("free_before_reclaim");
    assert_eq!(dev.slot_state(e.slot).unwrap().count(), 0);
    if rule {
        // swapoff reclaims the folio (nothing in use) and reaches the drain
        // while P1 still holds its reference.
        sys.hooks.pause_at("swapoff_before_kill");
        let off = {
            let sys = sys.clone();
            thread::spawn(move || sys.swapoff())
        };
        sys.hooks.wait_paused("swapoff_before_kill");
        assert_eq!(dev.inuse(), 0);
        assert_eq!(dev.refs(), 1, "P1's reference keeps the device alive");
        sys.hooks.release("swapoff_before_kill");
        sys.hooks.release("free_before_reclaim");
        off.join().unwrap().unwrap();
    } else {
        sys.swapoff().unwrap();
        sys.hooks.release("free_before_reclaim");
    }
    let r = p1.join().unwrap();
    (sys, r)
}

#[test]
fn d_free_holds_device_reference_against_swapoff() {
    let (sys, r) = race_d(true);
    r.unwrap();
    let ev = sys.hooks.events();
    let done = ev
        .iter()
        .position(|e| e == "free: slot 0 done")
        .expect("free finished");
    let freed = ev
        .iter()
        .position(|e| e == "swapoff: freed")
        .expect("swapoff finished");
    assert!(
        done < freed,
        "swapoff freed the device under the free path: {ev:?}"
    );
    assert_eq!(sys.violations(), 0);
}

#[test]
fn d_rule_off_free_touches_freed_slot_map() {
    let (sys, r) = race_d(false);
    assert_eq!(r, Err(SwapError::DeviceGone));
    assert!(sys.violations() > 0, "use after swapoff must be detected");
}

// ---- (e) writeback recursion from a swap-in holding HAS_CACHE ---------------

fn race_e(rule: bool) -> (Arc<System>, Arc<Mm>, Writeback) {
    let sys = race_system(small());
    if !rule {
        sys.hooks.disable(Rule::WritebackNeverWaits);
    }
    let mm = sys.new_mm(1);
    write(&sys, &mm, 0, &page(5));
    assert!(sys.reclaim_va(&mm, 0));
    let dev = sys.device().unwrap();
    // The swap-in of slot 0 holds HAS_CACHE and allocates; the allocation
    // runs reclaim, whose shrinker picks slot 0's entry.
    let seen = Arc::new(Mutex::new(None));
    {
        let (dev, seen) = (dev.clone(), seen.clone());
        sys.hooks.on("swapin_alloc", move || {
            *seen.lock().unwrap() = Some(writeback_one(&dev));
        });
    }
    sys.fault(&mm, 0).unwrap();
    let wb = seen.lock().unwrap().take().expect("shrinker ran");
    (sys, mm, wb)
}

#[test]
fn e_writeback_skips_busy_slot_instead_of_waiting() {
    let (sys, mm, wb) = race_e(true);
    assert_eq!(wb, Writeback::Busy(0));
    assert_eq!(read(&sys, &mm, 0).unwrap(), page(5));
    assert_eq!(
        sys.stats
            .wb_skip_busy
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert_eq!(sys.violations(), 0);
}

#[test]
fn e_rule_off_writeback_waits_on_itself() {
    let (_sys, _mm, wb) = race_e(false);
    assert_eq!(wb, Writeback::Deadlock(0));
}

// ---- further rules -------------------------------------------------------------

#[test]
fn failed_store_leaves_no_stale_entry() {
    let (sys, pool) = system(small());
    let dev = sys.device().unwrap();
    let r = dev.get().unwrap();
    let s = r.alloc(0).unwrap();
    dev.zswap.store(s, &page(1)).unwrap();
    assert!(pool.holds(s) && dev.zswap.contains(s));
    // Re-store of the slot fails on the device: the old entry must go.
    pool.fail_next_store(PoolError::NoSpace { page: 0 });
    assert!(dev.zswap.store(s, &page(2)).is_err());
    assert!(!pool.holds(s) && !dev.zswap.contains(s));
    // Incompressible data the same way.
    dev.zswap.store(s, &page(3)).unwrap();
    let random = random_page(9);
    assert!(matches!(
        dev.zswap.store(s, &random),
        Err(PoolError::Incompressible { .. })
    ));
    assert!(!pool.holds(s) && !dev.zswap.contains(s));
    assert_eq!(dev.zswap.lru_len(), 0);
}

#[test]
fn rejected_pages_go_to_backing_file_and_come_back() {
    let (sys, pool) = system(small());
    let mm = sys.new_mm(3);
    let random = random_page(1);
    write(&sys, &mm, 0, &random);
    write(&sys, &mm, 1, &page(1));
    write(&sys, &mm, 2, &page(2));
    pool.fail_next_store(PoolError::Timeout);
    for va in 0..3 {
        assert!(sys.reclaim_va(&mm, va));
    }
    use std::sync::atomic::Ordering::SeqCst;
    assert_eq!(sys.stats.reject_incompressible.load(SeqCst), 1);
    assert_eq!(sys.stats.reject_timeout.load(SeqCst), 1);
    assert_eq!(sys.stats.file_writes.load(SeqCst), 2);
    assert_eq!(read(&sys, &mm, 0).unwrap(), random);
    assert_eq!(read(&sys, &mm, 1).unwrap(), page(1));
    assert_eq!(read(&sys, &mm, 2).unwrap(), page(2));
}

#[test]
fn same_filled_entries_are_invalidated_on_free() {
    let (sys, pool) = system(small());
    let mm = sys.new_mm(2);
    write(&sys, &mm, 0, &[0u8; PAGE_SIZE]);
    write(&sys, &mm, 1, &[0xabu8; PAGE_SIZE]);
    assert!(sys.reclaim_va(&mm, 0) && sys.reclaim_va(&mm, 1));
    let (s0, s1) = (slot_of(&mm, 0), slot_of(&mm, 1));
    assert!(pool.holds(s0) && pool.holds(s1));
    assert_eq!(
        sys.stats
            .same_filled_pages
            .load(std::sync::atomic::Ordering::SeqCst),
        2
    );
    sys.exit_mm(&mm).unwrap();
    assert!(!pool.holds(s0) && !pool.holds(s1));
    assert_eq!(sys.device().unwrap().inuse(), 0);
}

#[test]
fn large_folio_without_contiguous_slots_is_split() {
    let (sys, _pool) = system(Config {
        order: 2,
        swap_slots: 12,
        cluster_pages: 4,
        ..small()
    });
    let mm = sys.new_mm(4);
    for va in 0..4 {
        write(&sys, &mm, va, &page(va + 10));
    }
    // Occupy one slot in each cluster: no 4 aligned free slots anywhere.
    let dev = sys.device().unwrap();
    let r = dev.get().unwrap();
    for _ in 0..9 {
        r.alloc(0).unwrap();
    }
    for s in [1, 2, 5, 6] {
        r.swapcache_clear(s, 1).unwrap();
    }
    assert!(r.alloc(2).is_none());
    drop(r);
    assert!(sys.reclaim_va(&mm, 0));
    assert_eq!(
        sys.stats
            .large_splits
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    for va in 1..4 {
        assert!(sys.reclaim_va(&mm, va));
    }
    for va in 0..4 {
        assert_eq!(read(&sys, &mm, va).unwrap(), page(va + 10));
    }
}

#[test]
fn swapoff_brings_everything_back() {
    let (sys, pool) = system(Config {
        swapin: SwapinMode::AlwaysCache,
        ..small()
    });
    let mm = sys.new_mm(12);
    for va in 0..12 {
        write(&sys, &mm, va, &page(va + 100));
        assert!(sys.reclaim_va(&mm, va));
    }
    let dev = sys.device().unwrap();
    assert_eq!(sys.writeback(4), 4);
    sys.swapoff().unwrap();
    assert!(dev.is_freed() && dev.zswap.is_empty());
    assert_eq!(
        pool.stats()
            .unwrap()
            .get(pagepress_abi::stats::StatCounter::Entries),
        0
    );
    for va in 0..12 {
        assert!(matches!(mm.pte(va), Pte::Present { .. }));
        assert_eq!(read(&sys, &mm, va).unwrap(), page(va + 100));
    }
    assert_eq!(sys.violations(), 0);
}

// ---- device errors (soft backend fault injection) ---------------------------

fn soft_system(cfg: Config) -> (Arc<System>, Arc<pagepress_firmware::model::SoftDevice>) {
    use pagepress::backend::{DeviceConfig, open_soft};
    let dc = DeviceConfig {
        devmem_bytes: 1 << 20,
        max_slots: 1024,
        queues: 2,
        queue_log2: 4,
    };
    let (client, dev) = open_soft(dc.soft_config(), &dc.client_config()).unwrap();
    let sys = System::new(cfg, client, Hooks::new());
    sys.swapon(None).unwrap();
    (sys, dev)
}

#[test]
fn device_errors_lose_no_page() {
    use pagepress_abi::Opcode;
    use pagepress_firmware::model::FaultRule;
    let (sys, dev) = soft_system(small());
    let mm = sys.new_mm(4);
    for va in 0..4 {
        write(&sys, &mm, va, &page(va + 40));
    }
    // A DMA fault on a store, and NO_SPACE on the next: both pages go to the
    // backing file.
    dev.inject(FaultRule {
        opcode: Some(Opcode::Store),
        ..FaultRule::dma_fault_on_command(1)
    });
    assert!(sys.reclaim_va(&mm, 0));
    dev.inject(FaultRule::nth_store_no_space(1));
    assert!(sys.reclaim_va(&mm, 1));
    assert!(sys.reclaim_va(&mm, 2) && sys.reclaim_va(&mm, 3));
    use std::sync::atomic::Ordering::SeqCst;
    assert_eq!(sys.stats.file_writes.load(SeqCst), 2);
    let d = sys.device().unwrap();
    assert!(!d.zswap.contains(slot_of(&mm, 0)) && !d.zswap.contains(slot_of(&mm, 1)));
    // The stored frame of page 2 fails to decompress on the device: the
    // client decodes it on the CPU. A DMA fault on page 3's load removes
    // nothing: the fault is retried.
    dev.inject(FaultRule::corrupt_on_load_of_slot(slot_of(&mm, 2)));
    dev.inject(FaultRule {
        opcode: Some(Opcode::Load),
        slot: Some(slot_of(&mm, 3)),
        ..FaultRule::dma_fault_on_command(1)
    });
    for va in 0..4 {
        assert_eq!(read(&sys, &mm, va).unwrap(), page(va + 40), "page {va}");
    }
    assert_eq!(sys.stats.load_retries.load(SeqCst), 1);
    assert_eq!(sys.violations(), 0);
}

#[test]
fn b_writeback_error_paths_release_folio_and_has_cache() {
    let (sys, pool) = system(small());
    let mm = sys.new_mm(1);
    write(&sys, &mm, 0, &page(11));
    assert!(sys.reclaim_va(&mm, 0));
    let dev = sys.device().unwrap();
    let s = slot_of(&mm, 0);
    // The device read fails: nothing written, the entry stays and goes back
    // on the LRU, the folio and HAS_CACHE are released.
    pool.fail_next_load(PoolError::DmaFault);
    assert!(matches!(writeback_one(&dev), Writeback::Failed(0, _)));
    let st = dev.slot_state(s).unwrap();
    assert!(!st.has_cache() && st.count() == 1, "{st:?}");
    assert!(dev.cache.is_empty() && dev.zswap.contains(s));
    assert_eq!(dev.zswap.lru_len(), 1);
    // The next attempt succeeds, and the page reads back from the file.
    assert_eq!(writeback_one(&dev), Writeback::Written(0));
    assert!(!dev.zswap.contains(s) && !pool.holds(s));
    assert_eq!(read(&sys, &mm, 0).unwrap(), page(11));
    assert_eq!(sys.violations(), 0);
}

#[test]
fn swapoff_that_cannot_bring_a_page_back_keeps_the_device_on() {
    let (sys, pool) = system(Config {
        swapin: SwapinMode::AlwaysCache,
        ..small()
    });
    let mm = sys.new_mm(2);
    for va in 0..2 {
        write(&sys, &mm, va, &page(va + 60));
        assert!(sys.reclaim_va(&mm, va));
    }
    // Every load attempt of one fault fails (the first try and the retries).
    for _ in 0..4 {
        pool.fail_next_load(PoolError::DmaFault);
    }
    assert!(sys.swapoff().is_err());
    let dev = sys.device().expect("device still on");
    assert!(!dev.is_freed() && dev.get().is_some());
    // Allocation works again, and a later swapoff succeeds.
    write(&sys, &mm, 0, &page(70));
    assert!(sys.reclaim_va(&mm, 0));
    sys.swapoff().unwrap();
    assert_eq!(read(&sys, &mm, 0).unwrap(), page(70));
    assert_eq!(read(&sys, &mm, 1).unwrap(), page(61));
    assert_eq!(sys.violations(), 0);
}

#[test]
fn cached_folio_orphaned_by_a_zap_is_reclaimed() {
    // Found by the model check: a swap-in through the swap cache finds its
    // PTE zapped; the zap has not dropped the count yet, so the folio stays
    // cached; the zap's try-lock then fails while the fault still holds the
    // folio. The folio must end up on the LRU so reclaim drops it.
    let (sys, _pool) = system(Config {
        swapin: SwapinMode::AlwaysCache,
        ..small()
    });
    let mm = sys.new_mm(1);
    write(&sys, &mm, 0, &page(80));
    assert!(sys.reclaim_va(&mm, 0));
    let dev = sys.device().unwrap();
    let s = slot_of(&mm, 0);
    // T1 takes HAS_CACHE for the slot and pauses before allocating.
    sys.hooks.pause_at("swapin_alloc");
    let t1 = {
        let (sys, mm) = (sys.clone(), mm.clone());
        thread::spawn(move || sys.fault_once(&mm, 0))
    };
    sys.hooks.wait_paused("swapin_alloc");
    // The zap clears the PTE and pauses before dropping the count.
    sys.hooks.pause_at("zap_after_clear");
    let z = {
        let (sys, mm) = (sys.clone(), mm.clone());
        thread::spawn(move || sys.zap(&mm, 0..1))
    };
    sys.hooks.wait_paused("zap_after_clear");
    // T1 reads the slot, finds the PTE gone, sees the count still 1 and
    // pauses holding the folio lock.
    sys.hooks.pause_at("free_swap_in_use");
    sys.hooks.release("swapin_alloc");
    sys.hooks.wait_paused("free_swap_in_use");
    // The zap drops the count; its try-lock of the folio fails.
    sys.hooks.release("zap_after_clear");
    z.join().unwrap().unwrap();
    sys.hooks.release("free_swap_in_use");
    assert_eq!(t1.join().unwrap().unwrap(), FaultOutcome::AlreadyPresent);
    // Orphaned: cached, no user, HAS_CACHE held.
    let st = dev.slot_state(s).unwrap();
    assert!(st.has_cache() && st.count() == 0, "{st:?}");
    assert_eq!(dev.cache.len(), 1);
    // Reclaim finds it on the LRU and drops it.
    sys.reclaim(8);
    assert!(dev.cache.is_empty());
    assert_eq!(dev.inuse(), 0);
    assert_eq!(sys.ram_used(), 0);
    assert_eq!(sys.violations(), 0);
}

/// The five races' scenarios, rule on, with the whole Verilated device as the
/// pool: the same interleavings through the unmodified driver and RTL, every
/// page checked.
#[cfg(feature = "rtl")]
mod on_sim {
    use super::*;
    use pagepress::backend::{BackendKind, DeviceConfig, open};

    fn on_sim(test: fn()) {
        let cfg = DeviceConfig {
            devmem_bytes: 1 << 20,
            max_slots: 1 << 12,
            queues: 2,
            queue_log2: 4,
        };
        let pool = open(BackendKind::Sim, &cfg).expect("sim backend").pool;
        RACE_POOL.with(|p| *p.borrow_mut() = Some(pool.clone()));
        test();
        // The scenario ran on the device, not on a fallback pool.
        let stored = pool.stats().expect("device counters");
        assert!(stored.get(pagepress_abi::stats::StatCounter::StoreCmds) > 0);
    }

    #[test]
    fn a_on_sim() {
        on_sim(a_large_swapin_rechecks_backing_under_has_cache);
    }

    #[test]
    fn b_reuse_on_sim() {
        on_sim(b_writeback_refinds_entry_after_lru_drop);
    }

    #[test]
    fn b_swapoff_on_sim() {
        on_sim(b_writeback_after_swapoff_fails_cleanly);
    }

    #[test]
    fn c_on_sim() {
        on_sim(c_skip_swapcache_path_takes_has_cache);
    }

    #[test]
    fn d_on_sim() {
        on_sim(d_free_holds_device_reference_against_swapoff);
    }

    #[test]
    fn e_on_sim() {
        on_sim(e_writeback_skips_busy_slot_instead_of_waiting);
    }
}
