//! The swap protocol: a userspace model of Linux swap + zswap in which the
//! compressor, the compressed pool and its lookup tree live on the device
//! (reached only through [`CompressedPool`]).
//!
//! One idea per file:
//! - [`slot_map`]: a slot's count + `HAS_CACHE` state machine;
//! - [`cluster`]: the slot map in clusters, allocation of 2^order slots;
//! - [`folio`]: folios, their sleepable lock and flags;
//! - [`swap_cache`]: slot → folio;
//! - [`page_table`]: address spaces, PTEs, one PTL per table;
//! - [`swap_device`]: a swap device, its backing file and liveness reference;
//! - [`zswap`]: the frontend over the pool (store/load/invalidate), the LRU of
//!   device entries and writeback to the backing file;
//! - [`reclaim`]: swap-out; [`fault`]: swap-in; [`swapoff`]: swapon/swapoff;
//! - [`hooks`]: test pause points; [`stats`]: counters; [`workload`]: the
//!   `pagepress run` workload; [`mem_pool`]: an in-memory pool for tests.
//!
//! # Lock order
//! folio lock → PTL → index lock (`zswap` host mirror) → LRU lock (`zswap`).
//! Leaf locks, taken under any of those and never holding another: cluster
//! locks (slot map), swap-cache shards, folio data, the device liveness lock,
//! the resident-folio LRU. Exception (as in zswap): writeback takes an entry
//! off the device LRU under the LRU lock alone, drops it, and keeps only the
//! slot number until it re-finds the entry under `HAS_CACHE` + index lock.
//!
//! `HAS_CACHE` acts as a per-slot sleepable lock above all of these: whoever
//! holds it is the only one who may read, store, load or invalidate the slot's
//! data, and it is only ever *tried* by paths that could deadlock (writeback).

#![deny(unsafe_code)]

pub mod cluster;
pub mod fault;
pub mod folio;
pub mod hooks;
pub mod mem_pool;
pub mod page_table;
pub mod reclaim;
pub mod slot_map;
pub mod stats;
pub mod swap_cache;
pub mod swap_device;
pub mod swapoff;
pub mod unmap;
pub mod workload;
pub mod zswap;

use crate::pool::{CompressedPool, PoolError};
use folio::Folio;
use hooks::Hooks;
use page_table::{Mm, SwapEntry};
use stats::Stats;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, Weak};
use swap_device::{SwapDevice, SwapRef};

pub use fault::FaultOutcome;

/// Locks a mutex, ignoring poisoning (a panicking test thread must not turn
/// every later lock into a second panic).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Errors of the swap protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwapError {
    #[error("no swap device")]
    NoSwap,
    #[error("swap device is gone (swapped off)")]
    DeviceGone,
    #[error("backing file: {0}")]
    Io(String),
    #[error("device: {0}")]
    Pool(#[from] PoolError),
    #[error("{0}")]
    BadEntry(#[from] slot_map::BadEntry),
    #[error("page of slot {slot} lost: {why}")]
    Lost { slot: u32, why: String },
    #[error("swapoff: {0}")]
    Swapoff(String),
}

/// How swap-in treats order-0 faults on a single-user entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwapinMode {
    /// Skip the swap cache when the entry has one user (the device is
    /// synchronous), as Linux does for `SWP_SYNCHRONOUS_IO` devices.
    SkipWhenExclusive,
    /// Always go through the swap cache.
    AlwaysCache,
}

/// Parameters of a swap system.
#[derive(Clone, Debug)]
pub struct Config {
    /// RAM budget in pages (a soft limit: reclaim runs above it).
    pub ram_pages: u64,
    /// Slots of each swap device.
    pub swap_slots: u32,
    /// Slots per cluster (a power of two, at least 2^`order`).
    pub cluster_pages: u32,
    /// Order of the folios first-touch faults allocate (0 = 4 KiB pages).
    pub order: u32,
    /// Swap-in of order-0 single-user entries.
    pub swapin: SwapinMode,
    /// Entries written back when the device reports it is full.
    pub writeback_batch: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ram_pages: 1024,
            swap_slots: 1 << 14,
            cluster_pages: 64,
            order: 0,
            swapin: SwapinMode::SkipWhenExclusive,
            writeback_batch: 16,
        }
    }
}

/// One swap system: RAM, address spaces, the resident LRU, the swap device
/// and the pool behind it.
pub struct System {
    pub cfg: Config,
    pub pool: Arc<dyn CompressedPool>,
    pub hooks: Arc<Hooks>,
    pub stats: Arc<Stats>,
    /// Pages charged (atomic; compared against `cfg.ram_pages`).
    ram_used: AtomicU64,
    /// Resident folios in reclaim order (leaf lock).
    lru: Mutex<VecDeque<Arc<Folio>>>,
    /// The active swap device. Readers clone the Arc and then take its
    /// liveness reference; swapon/swapoff replace it.
    swap: RwLock<Option<Arc<SwapDevice>>>,
    next_dev: AtomicU32,
    next_mm: AtomicU32,
    /// Address spaces, for swapoff's unuse walk (leaf lock).
    mms: Mutex<Vec<Weak<Mm>>>,
}

impl std::fmt::Debug for System {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("System").field("cfg", &self.cfg).finish()
    }
}

impl System {
    pub fn new(cfg: Config, pool: Arc<dyn CompressedPool>, hooks: Arc<Hooks>) -> Arc<System> {
        assert!(cfg.cluster_pages.is_power_of_two() && cfg.cluster_pages >= 1 << cfg.order);
        assert!(cfg.order < 9, "a large folio lies inside one page table");
        Arc::new(System {
            cfg,
            pool,
            hooks,
            stats: Arc::new(Stats::default()),
            ram_used: AtomicU64::new(0),
            lru: Mutex::new(VecDeque::new()),
            swap: RwLock::new(None),
            next_dev: AtomicU32::new(1),
            next_mm: AtomicU32::new(1),
            mms: Mutex::new(Vec::new()),
        })
    }

    /// A new address space of `nr_pages` pages.
    pub fn new_mm(&self, nr_pages: u64) -> Arc<Mm> {
        let mm = Arc::new(Mm::new(
            self.next_mm.fetch_add(1, Ordering::Relaxed),
            nr_pages,
        ));
        let mut mms = lock(&self.mms);
        mms.retain(|m| m.strong_count() > 0);
        mms.push(Arc::downgrade(&mm));
        mm
    }

    pub(crate) fn mms(&self) -> Vec<Arc<Mm>> {
        lock(&self.mms).iter().filter_map(Weak::upgrade).collect()
    }

    /// Pages charged now.
    pub fn ram_used(&self) -> u64 {
        self.ram_used.load(Ordering::SeqCst)
    }

    /// The active swap device (no reference taken).
    pub fn device(&self) -> Option<Arc<SwapDevice>> {
        self.swap
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Linux `get_swap_device`: the device of `e` with its liveness reference
    /// held, or `None` if it is gone or being swapped off.
    pub fn get_swap_device(&self, e: SwapEntry) -> Option<SwapRef> {
        let dev = self.device()?;
        if dev.id != e.dev {
            return None;
        }
        dev.get()
    }

    /// The active device with its liveness reference, for swap-out.
    pub fn get_current_device(&self) -> Option<SwapRef> {
        self.device()?.get()
    }

    /// Allocates and charges a folio; runs direct reclaim while above budget.
    /// Must not be called with a PTL or a folio lock held (reclaim takes them);
    /// may be called holding `HAS_CACHE` (writeback skips busy slots: race e).
    pub fn alloc_folio(&self, order: u32) -> Arc<Folio> {
        self.hooks.point("alloc_folio");
        let n = 1u64 << order;
        let used = self.ram_used.fetch_add(n, Ordering::SeqCst) + n;
        if used > self.cfg.ram_pages {
            let want = (used - self.cfg.ram_pages).min(64);
            let got = self.reclaim(want);
            if got < want && self.ram_used() > self.cfg.ram_pages {
                self.stats.ram_overcommits.fetch_add(1, Ordering::Relaxed);
            }
        }
        Arc::new(Folio::new(order))
    }

    /// Uncharges a folio that is no longer mapped nor cached (once).
    pub(crate) fn free_folio(&self, folio: &Folio) {
        if folio.uncharge() {
            self.ram_used
                .fetch_sub(folio.nr_pages() as u64, Ordering::SeqCst);
        }
    }

    pub(crate) fn ram_sub(&self, n: u64) {
        self.ram_used.fetch_sub(n, Ordering::SeqCst);
    }

    /// Puts a folio on the resident LRU (once).
    pub(crate) fn lru_add(&self, folio: &Arc<Folio>) {
        if !folio.on_lru.swap(true, Ordering::SeqCst) {
            lock(&self.lru).push_back(folio.clone());
        }
    }

    pub(crate) fn lru_pop(&self) -> Option<Arc<Folio>> {
        let f = lock(&self.lru).pop_front()?;
        f.on_lru.store(false, Ordering::SeqCst);
        Some(f)
    }

    /// Resident folios on the LRU.
    pub fn lru_len(&self) -> usize {
        lock(&self.lru).len()
    }

    /// A violation count across the active device and past ones (must be 0).
    pub fn violations(&self) -> u64 {
        self.stats.violations.load(Ordering::SeqCst)
    }
}
