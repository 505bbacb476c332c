//! A swap device (Linux `swap_info_struct`): slot map, swap cache, device
//! index frontend, backing file, and the liveness reference.
//!
//! Rule 6: every path that touches the slot map, clusters or index without
//! already pinning the device (a locked folio in its swap cache, the PTL of a
//! PTE pointing into it) holds a [`SwapRef`]. Swapoff kills the reference
//! (new `get` fails) and waits for the holders to drain before it frees.

use super::SwapError;
use super::cluster::Clusters;
use super::hooks::{Hooks, Rule};
use super::lock;
use super::slot_map::{PrepareError, SlotState};
use super::stats::Stats;
use super::swap_cache::SwapCache;
use super::zswap::Zswap;
use crate::pool::CompressedPool;
use pagepress_abi::format::PAGE_SIZE;
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;

#[derive(Debug, Default)]
struct Live {
    /// References held.
    refs: u64,
    /// Set by swapoff: `get` fails from now on.
    dying: bool,
}

/// A swap device.
pub struct SwapDevice {
    pub id: u32,
    /// The slot map (cluster locks inside).
    clusters: Clusters,
    /// slot → folio.
    pub cache: SwapCache,
    /// The device index frontend and its LRU.
    pub zswap: Zswap,
    /// The backing swap file: slot s at byte s * PAGE_SIZE. Positional I/O
    /// needs no lock; a slot's bytes are read or written only by the holder
    /// of its `HAS_CACHE`.
    file: File,
    path: PathBuf,
    remove_file: bool,
    /// Liveness reference (leaf lock).
    live: Mutex<Live>,
    live_cv: Condvar,
    /// Slots may be allocated (cleared first thing by swapoff).
    writeok: AtomicBool,
    /// The slot map and index are freed (set by swapoff after the drain).
    freed: AtomicBool,
    /// Bumped whenever `HAS_CACHE` is dropped somewhere.
    cache_seq: AtomicU64,
    /// Faults waiting for a `HAS_CACHE` release (leaf lock + condvar).
    cache_wait: Mutex<()>,
    cache_cv: Condvar,
    cache_waiters: AtomicU32,
    /// Who holds `HAS_CACHE` per slot; kept only while a test has disabled
    /// [`Rule::WritebackNeverWaits`], to detect the self-deadlock of race (e).
    owners: Mutex<HashMap<u32, ThreadId>>,
    pub hooks: Arc<Hooks>,
    pub stats: Arc<Stats>,
}

impl std::fmt::Debug for SwapDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwapDevice")
            .field("id", &self.id)
            .field("path", &self.path)
            .finish()
    }
}

/// A held liveness reference.
#[derive(Debug)]
pub struct SwapRef(Arc<SwapDevice>);

impl std::ops::Deref for SwapRef {
    type Target = Arc<SwapDevice>;
    fn deref(&self) -> &Arc<SwapDevice> {
        &self.0
    }
}

impl Drop for SwapRef {
    fn drop(&mut self) {
        let mut l = lock(&self.0.live);
        l.refs -= 1;
        if l.refs == 0 {
            self.0.live_cv.notify_all();
        }
    }
}

impl SwapDevice {
    /// A device of `nr_slots` slots backed by the file at `path` (created,
    /// sized sparse; removed at drop if `remove_file`).
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        id: u32,
        nr_slots: u32,
        cluster_pages: u32,
        path: &Path,
        remove_file: bool,
        pool: Arc<dyn CompressedPool>,
        hooks: Arc<Hooks>,
        stats: Arc<Stats>,
    ) -> Result<Arc<SwapDevice>, SwapError> {
        if nr_slots > pool.max_slots() {
            return Err(SwapError::Swapoff(format!(
                "{nr_slots} slots exceed the device's {}",
                pool.max_slots()
            )));
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| SwapError::Io(format!("{}: {e}", path.display())))?;
        file.set_len(nr_slots as u64 * PAGE_SIZE as u64)
            .map_err(|e| SwapError::Io(format!("{}: {e}", path.display())))?;
        Ok(Arc::new(SwapDevice {
            id,
            clusters: Clusters::new(nr_slots, cluster_pages),
            cache: SwapCache::default(),
            zswap: Zswap::new(pool, hooks.clone(), stats.clone()),
            file,
            path: path.to_path_buf(),
            remove_file,
            live: Mutex::new(Live::default()),
            live_cv: Condvar::new(),
            writeok: AtomicBool::new(true),
            freed: AtomicBool::new(false),
            cache_seq: AtomicU64::new(0),
            cache_wait: Mutex::new(()),
            cache_cv: Condvar::new(),
            cache_waiters: AtomicU32::new(0),
            owners: Mutex::new(HashMap::new()),
            hooks,
            stats,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn nr_slots(&self) -> u32 {
        self.clusters.nr_slots()
    }

    /// Takes the liveness reference unless the device is being swapped off.
    pub fn get(self: &Arc<Self>) -> Option<SwapRef> {
        let mut l = lock(&self.live);
        if l.dying {
            return None;
        }
        l.refs += 1;
        Some(SwapRef(self.clone()))
    }

    /// References held now.
    pub fn refs(&self) -> u64 {
        lock(&self.live).refs
    }

    /// Swapoff: no new references; wait for the held ones to drain.
    pub(crate) fn kill_and_drain(&self) {
        let mut l = lock(&self.live);
        l.dying = true;
        while l.refs > 0 {
            l = self
                .live_cv
                .wait(l)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    pub(crate) fn stop_alloc(&self) {
        self.writeok.store(false, Ordering::SeqCst);
    }

    pub(crate) fn allow_alloc(&self) {
        self.writeok.store(true, Ordering::SeqCst);
    }

    /// Swapoff's last step, after the drain.
    pub(crate) fn mark_freed(&self) {
        self.freed.store(true, Ordering::SeqCst);
    }

    pub fn is_freed(&self) -> bool {
        self.freed.load(Ordering::SeqCst)
    }

    /// The slot map, checked: after swapoff freed it, an access is a
    /// use-after-free (counted as a violation, refused).
    pub fn slots(&self) -> Result<&Clusters, SwapError> {
        if self.freed.load(Ordering::SeqCst) {
            self.stats
                .violation(format!("dev{}: slot map used after swapoff", self.id));
            self.hooks
                .event(|| format!("dev{}: slot map used after swapoff", self.id));
            return Err(SwapError::DeviceGone);
        }
        Ok(&self.clusters)
    }

    /// Precondition of the slot-map operations below (rule 6): the caller
    /// holds a liveness reference. Only the rule-off demonstrations of races
    /// (b) and (d) break it on purpose.
    fn debug_assert_pinned(&self) {
        debug_assert!(
            self.refs() > 0
                || !self.hooks.rule(Rule::FreeHoldsDeviceRef)
                || !self.hooks.rule(Rule::WritebackRevalidates),
            "slot map used without a liveness reference"
        );
    }

    /// Slots in use (or being freed).
    pub fn inuse(&self) -> u64 {
        self.clusters.inuse()
    }

    /// A snapshot of a slot's state.
    pub fn slot_state(&self, slot: u32) -> Result<SlotState, SwapError> {
        Ok(self.slots()?.get(slot))
    }

    /// Allocates 2^order slots for swap-out (`HAS_CACHE`, count 0).
    /// Precondition: caller holds a liveness reference.
    pub fn alloc(&self, order: u32) -> Option<u32> {
        if !self.writeok.load(Ordering::SeqCst) {
            return None;
        }
        let base = self.slots().ok()?.alloc(order)?;
        self.note_owner(base, 1 << order, true);
        Some(base)
    }

    /// Linux `swapcache_prepare` on `n` slots from `slot`, all or nothing.
    /// Preconditions: `n` slots inside one cluster; caller holds a reference.
    pub fn swapcache_prepare(&self, slot: u32, n: u32) -> Result<(), PrepareError> {
        self.debug_assert_pinned();
        let r = self
            .slots()
            .map_err(|_| PrepareError::NoEntry)?
            .with_range(slot, n, |s| {
                if let Some(e) = s
                    .iter()
                    .map(|x| {
                        let mut y = *x;
                        y.prepare()
                    })
                    .find_map(Result::err)
                {
                    return Err(e);
                }
                for x in s.iter_mut() {
                    x.prepare().expect("checked above");
                }
                Ok(())
            });
        if r.is_ok() {
            self.note_owner(slot, n, true);
        }
        r
    }

    /// Drops `HAS_CACHE` on `n` slots from `slot`; slots left without users
    /// are freed (device entry invalidated first, then allocatable).
    /// Preconditions: caller holds `HAS_CACHE` on them, and no folio is in the
    /// swap cache for them any more.
    pub fn swapcache_clear(&self, slot: u32, n: u32) -> Result<(), SwapError> {
        self.debug_assert_pinned();
        self.note_owner(slot, n, false);
        let clusters = self.slots()?;
        let mut freeing = Vec::new();
        let mut bad = None;
        clusters.with_range(slot, n, |s| {
            for (i, x) in s.iter_mut().enumerate() {
                match x.clear_cache() {
                    Ok(true) => freeing.push(slot + i as u32),
                    Ok(false) => {}
                    Err(e) => bad = Some(e),
                }
            }
        });
        for s in freeing {
            self.free_slot(s)?;
        }
        self.cache_released();
        self.check(bad)
    }

    /// The `HAS_CACHE` release count, read before a `swapcache_prepare` that
    /// may find the slot busy.
    pub fn cache_seq(&self) -> u64 {
        self.cache_seq.load(Ordering::SeqCst)
    }

    fn cache_released(&self) {
        self.cache_seq.fetch_add(1, Ordering::SeqCst);
        if self.cache_waiters.load(Ordering::SeqCst) > 0 {
            let _g = lock(&self.cache_wait);
            self.cache_cv.notify_all();
        }
    }

    /// A fault that found `HAS_CACHE` taken sleeps until some `HAS_CACHE` is
    /// dropped after `seen` (or a millisecond passes; Linux sleeps a tick),
    /// then retries. Never called with any lock held.
    pub fn wait_cache_release(&self, seen: u64) {
        self.cache_waiters.fetch_add(1, Ordering::SeqCst);
        let g = lock(&self.cache_wait);
        if self.cache_seq.load(Ordering::SeqCst) == seen {
            let _ = self
                .cache_cv
                .wait_timeout(g, std::time::Duration::from_millis(1));
        }
        self.cache_waiters.fetch_sub(1, Ordering::SeqCst);
    }

    /// A PTE now holds the entry (count + 1).
    pub fn dup(&self, slot: u32) -> Result<(), SwapError> {
        self.debug_assert_pinned();
        let r = self.slots()?.with_slot(slot, |s| s.dup());
        self.check(r.err())
    }

    /// Linux `swap_free`: a holder drops the entry; frees the slot if it was
    /// the last user and no folio holds `HAS_CACHE`.
    pub fn swap_free(&self, slot: u32) -> Result<(), SwapError> {
        self.debug_assert_pinned();
        match self.slots()?.with_slot(slot, |s| s.put()) {
            Ok(true) => self.free_slot(slot),
            Ok(false) => Ok(()),
            Err(e) => self.check(Some(e)),
        }
    }

    fn check(&self, bad: Option<super::slot_map::BadEntry>) -> Result<(), SwapError> {
        match bad {
            None => Ok(()),
            Some(e) => {
                self.stats.violation(format!("dev{}: {e}", self.id));
                self.hooks.event(|| format!("dev{}: {e}", self.id));
                Err(e.into())
            }
        }
    }

    /// A `FREEING` slot: invalidate the device entry (rule 4: a slot is never
    /// reused while the device holds an entry for it), then make it free.
    fn free_slot(&self, slot: u32) -> Result<(), SwapError> {
        self.zswap.invalidate(slot, 1);
        self.stats.slots_freed.fetch_add(1, Ordering::Relaxed);
        self.hooks
            .event(|| format!("dev{}: slot {slot} freed", self.id));
        let r = self.slots()?.finish_free(slot);
        self.check(r.err())
    }

    /// Reads `buf.len() / PAGE_SIZE` pages of the backing file from `slot`.
    pub fn read_file(&self, slot: u32, buf: &mut [u8]) -> Result<(), SwapError> {
        self.file
            .read_exact_at(buf, slot as u64 * PAGE_SIZE as u64)
            .map_err(|e| SwapError::Io(format!("read slot {slot}: {e}")))?;
        self.stats
            .file_reads
            .fetch_add((buf.len() / PAGE_SIZE) as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Writes pages to the backing file from `slot`.
    pub fn write_file(&self, slot: u32, buf: &[u8]) -> Result<(), SwapError> {
        self.file
            .write_all_at(buf, slot as u64 * PAGE_SIZE as u64)
            .map_err(|e| SwapError::Io(format!("write slot {slot}: {e}")))
    }

    /// Records (or forgets) the thread holding `HAS_CACHE`; only while the
    /// deadlock demonstration of race (e) needs it.
    fn note_owner(&self, slot: u32, n: u32, set: bool) {
        if self.hooks.rule(Rule::WritebackNeverWaits) {
            return;
        }
        let mut o = lock(&self.owners);
        for s in slot..slot + n {
            if set {
                o.insert(s, std::thread::current().id());
            } else {
                o.remove(&s);
            }
        }
    }

    /// The thread holding `HAS_CACHE` on `slot`, if recorded.
    pub(crate) fn owner(&self, slot: u32) -> Option<ThreadId> {
        lock(&self.owners).get(&slot).copied()
    }
}

impl Drop for SwapDevice {
    fn drop(&mut self) {
        if self.remove_file {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
