//! The zswap frontend: store / load / invalidate over the [`CompressedPool`],
//! the host mirror of the device index, the LRU of device entries, and the
//! shrinker that writes entries back to the backing file.
//!
//! The device holds the index (slot → compressed location); the host keeps a
//! mirror `slot → generation` so it can tell where a slot's data is without a
//! device command and re-find an entry after dropping the LRU lock (rule 1).
//! Every store, exclusive load and invalidate of a slot runs while its caller
//! holds `HAS_CACHE` on the slot (or the slot is `FREEING`), so the mirror and
//! the device agree whenever the index lock is taken.

use super::SwapError;
use super::folio::{Folio, flags};
use super::hooks::{Hooks, Rule};
use super::lock;
use super::page_table::SwapEntry;
use super::slot_map::PrepareError;
use super::stats::Stats;
use super::swap_device::SwapDevice;
use crate::pool::{CompressedPool, PoolError, StoreInfo};
use pagepress_abi::format::PAGE_SIZE;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const SHARDS: usize = 16;

/// The LRU of device entries, oldest first. Protected by the LRU lock.
#[derive(Default)]
struct Lru {
    next_seq: u64,
    /// seq → (slot, generation).
    by_seq: BTreeMap<u64, (u32, u64)>,
    /// slot → seq (at most one LRU position per slot).
    of_slot: HashMap<u32, u64>,
}

impl Lru {
    fn push(&mut self, slot: u32, gen_: u64) {
        if let Some(old) = self.of_slot.remove(&slot) {
            self.by_seq.remove(&old);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_seq.insert(seq, (slot, gen_));
        self.of_slot.insert(slot, seq);
    }
    fn remove(&mut self, slot: u32) {
        if let Some(seq) = self.of_slot.remove(&slot) {
            self.by_seq.remove(&seq);
        }
    }
    fn pop(&mut self) -> Option<(u32, u64)> {
        let (_, (slot, gen_)) = self.by_seq.pop_first()?;
        self.of_slot.remove(&slot);
        Some((slot, gen_))
    }
}

/// The frontend of one swap device over the pool.
pub struct Zswap {
    pool: Arc<dyn CompressedPool>,
    /// Index lock(s): host mirror of the device index, slot → generation of
    /// the entry the device holds. Sharded by slot; one shard at a time.
    index: [Mutex<HashMap<u32, u64>>; SHARDS],
    /// LRU lock: taken after an index lock, or alone.
    lru: Mutex<Lru>,
    next_gen: AtomicU64,
    hooks: Arc<Hooks>,
    stats: Arc<Stats>,
}

/// What one writeback attempt did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Writeback {
    /// The entry of this slot now lives in the backing file.
    Written(u32),
    /// The LRU is empty.
    Empty,
    /// The slot is busy (someone holds `HAS_CACHE`): rotated to the tail.
    Busy(u32),
    /// The entry changed, or the slot was freed, after it left the LRU.
    Stale(u32),
    /// The device is being swapped off.
    Gone(u32),
    /// A device or file error; the entry stays on the device.
    Failed(u32, SwapError),
    /// Waiting for `HAS_CACHE` would wait for this very thread (race e with
    /// [`Rule::WritebackNeverWaits`] disabled): a deadlock, detected.
    Deadlock(u32),
}

impl Zswap {
    pub fn new(pool: Arc<dyn CompressedPool>, hooks: Arc<Hooks>, stats: Arc<Stats>) -> Zswap {
        Zswap {
            pool,
            index: Default::default(),
            lru: Mutex::new(Lru::default()),
            next_gen: AtomicU64::new(1),
            hooks,
            stats,
        }
    }

    fn shard(&self, slot: u32) -> &Mutex<HashMap<u32, u64>> {
        &self.index[(slot as usize >> 4) % SHARDS]
    }

    pub fn pool(&self) -> &Arc<dyn CompressedPool> {
        &self.pool
    }

    /// Whether the device holds an entry for `slot`.
    pub fn contains(&self, slot: u32) -> bool {
        lock(self.shard(slot)).contains_key(&slot)
    }

    /// The generation of the entry for `slot` (identity for re-validation).
    pub fn entry_gen(&self, slot: u32) -> Option<u64> {
        lock(self.shard(slot)).get(&slot).copied()
    }

    /// Entries the mirror holds.
    pub fn len(&self) -> usize {
        self.index.iter().map(|s| lock(s).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries on the LRU.
    pub fn lru_len(&self) -> usize {
        lock(&self.lru).by_seq.len()
    }

    /// Stores `data` (whole pages) under consecutive slots from `slot`.
    /// Precondition: caller holds `HAS_CACHE` on the slots.
    /// On failure no entry for the range remains anywhere (the device drops
    /// older entries; the mirror and LRU are cleared here, before the caller
    /// writes the data elsewhere).
    pub fn store(&self, slot: u32, data: &[u8]) -> Result<StoreInfo, PoolError> {
        debug_assert!(data.len().is_multiple_of(PAGE_SIZE) && !data.is_empty());
        let n = (data.len() / PAGE_SIZE) as u32;
        let t = Instant::now();
        let r = self.pool.store(slot, data);
        self.stats.store_ns.record(t.elapsed().as_nanos() as u64);
        match r {
            Ok(info) => {
                let gen_ = self.next_gen.fetch_add(n as u64, Ordering::Relaxed);
                for i in 0..n {
                    // index lock, then LRU lock (lock order).
                    let mut ix = lock(self.shard(slot + i));
                    ix.insert(slot + i, gen_ + i as u64);
                    lock(&self.lru).push(slot + i, gen_ + i as u64);
                }
                self.stats
                    .stored_pages
                    .fetch_add(n as u64, Ordering::Relaxed);
                self.stats
                    .same_filled_pages
                    .fetch_add(info.same_filled as u64, Ordering::Relaxed);
                self.stats
                    .compressed_bytes
                    .fetch_add(info.compressed_bytes as u64, Ordering::Relaxed);
                Ok(info)
            }
            Err(e) => {
                let c = match e {
                    PoolError::Incompressible { .. } => &self.stats.reject_incompressible,
                    PoolError::NoSpace { .. } => &self.stats.reject_no_space,
                    PoolError::Timeout => &self.stats.reject_timeout,
                    _ => &self.stats.reject_other,
                };
                c.fetch_add(1, Ordering::Relaxed);
                if self.hooks.rule(Rule::FailedStoreInvalidates) {
                    // Whatever the device says it did, no older entry may
                    // shadow the data about to go to the backing file.
                    self.drop_mirror(slot, n);
                    let _ = self.pool.invalidate(slot, n);
                }
                Err(e)
            }
        }
    }

    /// Loads pages from `slot` into `out`. With `exclusive`, the device entry
    /// is removed once the data is in `out`.
    /// Preconditions: caller holds `HAS_CACHE` on the slots; for an exclusive
    /// load, `out` is a locked folio already in the swap cache and marked
    /// dirty (rule 3: the data is never in no place at all).
    pub fn load(&self, slot: u32, out: &mut [u8], exclusive: bool) -> Result<(), PoolError> {
        let n = (out.len() / PAGE_SIZE) as u32;
        let t = Instant::now();
        let r = self.pool.load(slot, out, exclusive);
        self.stats.load_ns.record(t.elapsed().as_nanos() as u64);
        match r {
            Ok(()) => {
                self.stats
                    .device_loads
                    .fetch_add(n as u64, Ordering::Relaxed);
                if exclusive {
                    self.drop_mirror(slot, n);
                }
                Ok(())
            }
            Err(e) => {
                self.stats.load_errors.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    fn drop_mirror(&self, slot: u32, n: u32) -> u32 {
        let mut had = 0;
        for s in slot..slot + n {
            let mut ix = lock(self.shard(s));
            if ix.remove(&s).is_some() {
                had += 1;
            }
            lock(&self.lru).remove(s);
        }
        had
    }

    /// Removes the entries of `n` slots from `slot` (mirror, LRU, device).
    /// Precondition: the slots are `FREEING`, or the caller holds `HAS_CACHE`.
    pub fn invalidate(&self, slot: u32, n: u32) {
        let had = self.drop_mirror(slot, n);
        if had > 0 {
            let _ = self.pool.invalidate(slot, n);
            self.stats
                .invalidated
                .fetch_add(had as u64, Ordering::Relaxed);
        }
    }

    /// Every slot the mirror holds (swapoff's final sweep).
    pub fn slots(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .index
            .iter()
            .flat_map(|s| lock(s).keys().copied().collect::<Vec<_>>())
            .collect();
        v.sort_unstable();
        v
    }

    fn lru_pop(&self) -> Option<(u32, u64)> {
        lock(&self.lru).pop()
    }

    /// Puts a busy entry back at the LRU tail, unless the slot got a newer
    /// position meanwhile. A stale (slot, gen) is harmless: the next pop
    /// re-finds it under the index lock and drops it.
    fn lru_rotate(&self, slot: u32, gen_: u64) {
        let mut l = lock(&self.lru);
        if !l.of_slot.contains_key(&slot) {
            l.push(slot, gen_);
        }
    }
}

/// The shrinker: writes the oldest device entry of `dev` back to its backing
/// file (Linux `zswap_writeback_entry`).
///
/// The entry is taken off the LRU under the LRU lock alone; from then on only
/// the slot number is trusted (race b). The slot is locked with `HAS_CACHE`
/// through a new folio in the swap cache, without ever waiting (rule 7, race
/// e), the entry re-found by slot under the index lock, and only then read.
/// Every exit path deletes the folio, unlocks it and drops `HAS_CACHE`.
pub fn writeback_one(dev: &Arc<SwapDevice>) -> Writeback {
    let z = &dev.zswap;
    let hooks = &dev.hooks;
    let Some((slot, gen_)) = z.lru_pop() else {
        return Writeback::Empty;
    };
    // LRU lock dropped: the entry may since have been loaded, invalidated, the
    // slot freed and reused, or the device swapped off. Only `slot` is kept.
    hooks.point("wb_after_pop");
    if !hooks.rule(Rule::WritebackRevalidates) {
        return writeback_unchecked(dev, slot);
    }
    let t = Instant::now();
    let Some(r) = dev.get() else {
        dev.stats.wb_skip_gone.fetch_add(1, Ordering::Relaxed);
        return Writeback::Gone(slot);
    };
    loop {
        match r.swapcache_prepare(slot, 1) {
            Ok(()) => break,
            Err(PrepareError::NoEntry) => {
                dev.stats.wb_skip_stale.fetch_add(1, Ordering::Relaxed);
                return Writeback::Stale(slot);
            }
            Err(PrepareError::Busy) if hooks.rule(Rule::WritebackNeverWaits) => {
                dev.stats.wb_skip_busy.fetch_add(1, Ordering::Relaxed);
                hooks.event(|| format!("writeback: slot {slot} busy, rotated"));
                z.lru_rotate(slot, gen_);
                return Writeback::Busy(slot);
            }
            Err(PrepareError::Busy) => {
                // Rule 7 disabled: wait for HAS_CACHE. If this very thread
                // holds it (reclaim recursing from a swap-in), that wait never
                // ends: report the deadlock instead of hanging.
                if r.owner(slot) == Some(std::thread::current().id()) {
                    hooks.event(|| format!("writeback: deadlock on slot {slot}"));
                    return Writeback::Deadlock(slot);
                }
                std::thread::yield_now();
            }
        }
    }
    // HAS_CACHE held: nobody else may load, store or free the slot's data.
    let folio = Arc::new(Folio::new(0));
    let _ = folio.uncharge(); // transient, not charged to RAM
    let entry = SwapEntry { dev: dev.id, slot };
    let mut g = folio.lock();
    g.swap = Some(entry);
    r.cache.insert(slot, &folio);
    let abort = |g: super::folio::FolioGuard<'_>, out: Writeback| {
        r.cache.delete(slot, &folio);
        drop(g);
        let _ = r.swapcache_clear(slot, 1);
        out
    };
    // Re-find the entry by slot under the index lock (rule 8).
    if z.entry_gen(slot) != Some(gen_) {
        dev.stats.wb_skip_stale.fetch_add(1, Ordering::Relaxed);
        return abort(g, Writeback::Stale(slot));
    }
    {
        let mut data = folio.data();
        if let Err(e) = z.pool.read_for_writeback(slot, &mut data) {
            drop(data);
            dev.stats.wb_failed.fetch_add(1, Ordering::Relaxed);
            z.lru_rotate(slot, gen_);
            return abort(g, Writeback::Failed(slot, e.into()));
        }
    }
    g.set(flags::UPTODATE | flags::WRITEBACK);
    hooks.point("wb_after_read");
    let w = r.write_file(slot, &folio.data());
    if let Err(e) = w {
        dev.stats.wb_failed.fetch_add(1, Ordering::Relaxed);
        z.lru_rotate(slot, gen_);
        return abort(g, Writeback::Failed(slot, e));
    }
    // The data is in the backing file: drop the device entry.
    z.invalidate(slot, 1);
    g.clear(flags::WRITEBACK);
    dev.stats.writebacks.fetch_add(1, Ordering::Relaxed);
    dev.stats.writeback_ns.record(t.elapsed().as_nanos() as u64);
    hooks.event(|| format!("writeback: slot {slot} written"));
    abort(g, Writeback::Written(slot))
}

/// Writeback with [`Rule::WritebackRevalidates`] disabled (race b, to show the
/// failure): no liveness reference, no `HAS_CACHE`, no re-validation.
fn writeback_unchecked(dev: &Arc<SwapDevice>, slot: u32) -> Writeback {
    if let Err(e) = dev.slots() {
        return Writeback::Failed(slot, e);
    }
    let mut buf = vec![0u8; PAGE_SIZE];
    if let Err(e) = dev.zswap.pool.read_for_writeback(slot, &mut buf) {
        return Writeback::Failed(slot, e.into());
    }
    dev.hooks.point("wb_after_read");
    if let Err(e) = dev.slots().and_then(|_| dev.write_file(slot, &buf)) {
        return Writeback::Failed(slot, e);
    }
    dev.zswap.invalidate(slot, 1);
    Writeback::Written(slot)
}
