//! Swap-in (Linux `do_swap_page`): anonymous first touch, swap-in through the
//! swap cache, the skip-swapcache synchronous path, large-folio swap-in, and
//! swap readahead.
//!
//! No path holds a PTL or a folio lock while allocating (allocation may run
//! reclaim, which takes both); a swap-in may hold `HAS_CACHE` while
//! allocating, which is why writeback never waits for it (race e).

use super::folio::{Folio, FolioGuard, Rmap, flags};
use super::hooks::Rule;
use super::page_table::{Mm, Pte, SwapEntry, pte_index};
use super::slot_map::PrepareError;
use super::swap_device::SwapDevice;
use super::{SwapError, SwapinMode, System};
use pagepress_abi::format::PAGE_SIZE;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Fault attempts after a device load error before the error is reported.
const LOAD_RETRIES: u32 = 3;

/// What one fault attempt did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultOutcome {
    /// This attempt mapped the page.
    Mapped,
    /// The PTE was already present, or changed under us and someone else
    /// fixed it.
    AlreadyPresent,
    /// Back off and fault again (someone else holds `HAS_CACHE`, or the state
    /// changed while a lock was dropped).
    Retry,
}

impl System {
    /// Faults page `va` of `mm` in, retrying until it is present. A device
    /// error on a load removes nothing (the entry stays, the PTE still holds
    /// the slot), so the fault is retried a few times before it is reported.
    pub fn fault(&self, mm: &Arc<Mm>, va: u64) -> Result<(), SwapError> {
        let t = Instant::now();
        let mut device_errors = 0;
        loop {
            match self.fault_once(mm, va) {
                Ok(FaultOutcome::Retry) => std::thread::yield_now(),
                Ok(_) => break,
                Err(SwapError::Lost { .. }) if device_errors < LOAD_RETRIES => {
                    device_errors += 1;
                    self.stats.load_retries.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => return Err(e),
            }
        }
        self.stats.fault_ns.record(t.elapsed().as_nanos() as u64);
        Ok(())
    }

    /// One fault attempt on page `va`.
    pub fn fault_once(&self, mm: &Arc<Mm>, va: u64) -> Result<FaultOutcome, SwapError> {
        match mm.pte(va) {
            Pte::Present { .. } => Ok(FaultOutcome::AlreadyPresent),
            Pte::None => self.anon_fault(mm, va),
            Pte::Swap(e) => self.swapin(mm, va, e),
        }
    }

    /// Runs `f` on page `va` with its PTL held (faulting it in first):
    /// neither reclaim nor another accessor can touch the page meanwhile.
    pub fn access<R>(
        &self,
        mm: &Arc<Mm>,
        va: u64,
        f: impl FnOnce(&mut [u8]) -> R,
    ) -> Result<R, SwapError> {
        let mut f = Some(f);
        loop {
            {
                let ptl = mm.ptl(va);
                if let Pte::Present { folio, idx } = &ptl[pte_index(va)] {
                    let mut d = folio.data();
                    let i = *idx as usize * PAGE_SIZE;
                    let f = f.take().expect("called once");
                    return Ok(f(&mut d[i..i + PAGE_SIZE]));
                }
            }
            self.fault(mm, va)?;
        }
    }

    fn anon_fault(&self, mm: &Arc<Mm>, va: u64) -> Result<FaultOutcome, SwapError> {
        let want = 1u64 << self.cfg.order;
        let base = va & !(want - 1);
        let all_none = |b: u64, n: u64| {
            let ptl = mm.ptl(b);
            (0..n).all(|i| ptl[pte_index(b) + i as usize].is_none())
        };
        let (order, base, n) =
            if self.cfg.order > 0 && base + want <= mm.nr_pages() && all_none(base, want) {
                (self.cfg.order, base, want)
            } else {
                (0, va, 1)
            };
        let folio = self.alloc_folio(order);
        let mut g = folio.lock();
        g.set(flags::UPTODATE | flags::DIRTY);
        g.rmap = Some(Rmap {
            mm: Arc::downgrade(mm),
            va: base,
        });
        {
            let mut ptl = mm.ptl(base);
            let pi = pte_index(base);
            // Re-validate: the PTEs were read under an earlier PTL hold.
            if !(0..n as usize).all(|i| ptl[pi + i].is_none()) {
                drop(ptl);
                drop(g);
                self.free_folio(&folio);
                return Ok(FaultOutcome::Retry);
            }
            for i in 0..n as usize {
                ptl[pi + i] = Pte::Present {
                    folio: folio.clone(),
                    idx: i as u32,
                };
            }
            folio.mapcount.fetch_add(n as u32, Ordering::SeqCst);
        }
        drop(g);
        self.lru_add(&folio);
        self.stats.anon_faults.fetch_add(1, Ordering::Relaxed);
        Ok(FaultOutcome::Mapped)
    }

    fn swapin(&self, mm: &Arc<Mm>, va: u64, e: SwapEntry) -> Result<FaultOutcome, SwapError> {
        // Nothing pins the device yet: take its liveness reference (rule 6).
        let Some(si) = self.get_swap_device(e) else {
            return Ok(FaultOutcome::Retry);
        };
        self.stats.swapin_faults.fetch_add(1, Ordering::Relaxed);
        if self.cfg.order > 0
            && let Some(r) = self.swapin_large(mm, va, &si)?
        {
            return Ok(r);
        }
        if let Some(folio) = si.cache.lookup(e.slot) {
            self.stats.swapcache_hits.fetch_add(1, Ordering::Relaxed);
            return self.map_cached(mm, va, e, &si, folio);
        }
        if self.cfg.swapin == SwapinMode::SkipWhenExclusive && si.slot_state(e.slot)?.count() == 1 {
            return self.swapin_skip_cache(mm, va, e, &si);
        }
        self.swapin_cache(mm, va, e, &si)
    }

    /// `swapcache_prepare` of one slot (rule 2). `None`: the caller now holds
    /// `HAS_CACHE` and owns bringing the slot in. `Some(Retry)`: someone else
    /// holds it (wait for their folio to show up in the swap cache, then retry
    /// the fault) or the entry is gone (the PTE changed; retry).
    fn prepare_or_back_off(
        &self,
        si: &SwapDevice,
        slot: u32,
        path: &'static str,
    ) -> Option<FaultOutcome> {
        let seen = si.cache_seq();
        match si.swapcache_prepare(slot, 1) {
            Ok(()) => None,
            Err(PrepareError::Busy) => {
                self.stats
                    .cache_busy_backoffs
                    .fetch_add(1, Ordering::Relaxed);
                self.hooks
                    .event(|| format!("{path}: slot {slot} busy, back off"));
                si.wait_cache_release(seen);
                Some(FaultOutcome::Retry)
            }
            Err(PrepareError::NoEntry) => Some(FaultOutcome::Retry),
        }
    }

    /// Order-0 swap-in through the swap cache.
    fn swapin_cache(
        &self,
        mm: &Arc<Mm>,
        va: u64,
        e: SwapEntry,
        si: &Arc<SwapDevice>,
    ) -> Result<FaultOutcome, SwapError> {
        if let Some(back_off) = self.prepare_or_back_off(si, e.slot, "cache path") {
            return Ok(back_off);
        }
        // We own bringing the slot in. Allocation may reclaim (race e).
        self.hooks.point("swapin_alloc");
        let folio = self.alloc_folio(0);
        let mut g = folio.lock();
        g.swap = Some(e);
        si.cache.insert(e.slot, &folio);
        let on_device = si.zswap.contains(e.slot);
        if let Err(err) = self.read_folio(si, e.slot, &folio, &mut g, on_device) {
            self.drop_new_cached(si, &folio, g)?;
            return Err(err);
        }
        self.stats.swapin_cache.fetch_add(1, Ordering::Relaxed);
        self.map_locked(mm, va, e, si, &folio, g)
    }

    /// Reads the folio's slots. Preconditions: folio locked, in the swap cache
    /// for `slot`, `HAS_CACHE` held; `on_device` decided under `HAS_CACHE`.
    fn read_folio(
        &self,
        si: &SwapDevice,
        slot: u32,
        folio: &Folio,
        g: &mut FolioGuard<'_>,
        on_device: bool,
    ) -> Result<(), SwapError> {
        debug_assert!(g.swap.is_some_and(|e| e.slot == slot) && si.cache.lookup(slot).is_some());
        let mut data = folio.data();
        if on_device {
            // Exclusive load: the folio is in the swap cache and dirty before
            // the device drops its entry (rule 3).
            g.set(flags::DIRTY);
            if let Err(e) = si.zswap.load(slot, &mut data, true) {
                g.clear(flags::DIRTY);
                return Err(SwapError::Lost {
                    slot,
                    why: e.to_string(),
                });
            }
        } else {
            si.read_file(slot, &mut data)?;
        }
        g.set(flags::UPTODATE);
        Ok(())
    }

    /// Undo of a failed read-in: delete from the cache, unlock, drop
    /// `HAS_CACHE`, free the folio.
    fn drop_new_cached(
        &self,
        si: &SwapDevice,
        folio: &Arc<Folio>,
        mut g: FolioGuard<'_>,
    ) -> Result<(), SwapError> {
        let e = g.swap.take().expect("cached");
        si.cache.delete(e.slot, folio);
        drop(g);
        self.free_folio(folio);
        si.swapcache_clear(e.slot, folio.nr_pages())
    }

    /// Maps a folio found in the swap cache.
    fn map_cached(
        &self,
        mm: &Arc<Mm>,
        va: u64,
        e: SwapEntry,
        si: &Arc<SwapDevice>,
        folio: Arc<Folio>,
    ) -> Result<FaultOutcome, SwapError> {
        let g = folio.lock();
        // The lock may have slept: the folio may have been written out and
        // deleted from the cache, or failed its read. Re-validate (rule 8).
        if !si.cache.holds(e.slot, &folio) || !g.test(flags::UPTODATE) {
            return Ok(FaultOutcome::Retry);
        }
        self.map_locked(mm, va, e, si, &folio, g)
    }

    /// Maps subpage `e` of a locked, uptodate swap-cache folio at `va`.
    fn map_locked(
        &self,
        mm: &Arc<Mm>,
        va: u64,
        e: SwapEntry,
        si: &SwapDevice,
        folio: &Arc<Folio>,
        mut g: FolioGuard<'_>,
    ) -> Result<FaultOutcome, SwapError> {
        let base = g.swap.expect("folio in the swap cache").slot;
        let idx = e.slot - base;
        {
            let mut ptl = mm.ptl(va);
            let pi = pte_index(va);
            // PTL was dropped since the PTE was read: re-validate (pte_same).
            if !ptl[pi].same(&Pte::Swap(e)) {
                drop(ptl);
                // The entry was consumed elsewhere (zapped): drop the folio
                // from the cache if no slot of it has a user left. The zap
                // may not have dropped its count yet, and its own attempt to
                // drop the folio only try-locks it (we may still hold the
                // lock then): the folio goes on the LRU, where reclaim drops
                // a cached folio whose slots have no user (found by the
                // model check).
                self.try_free_swap(si, folio, g)?;
                self.lru_add(folio);
                return Ok(FaultOutcome::AlreadyPresent);
            }
            ptl[pi] = Pte::Present {
                folio: folio.clone(),
                idx,
            };
            folio.mapcount.fetch_add(1, Ordering::SeqCst);
            if g.rmap.is_none() {
                g.rmap = Some(Rmap {
                    mm: Arc::downgrade(mm),
                    va: va - idx as u64,
                });
            }
            // Mapped writable: the swap copy can go stale from now on.
            g.set(flags::DIRTY);
            // The PTE's count; HAS_CACHE (the folio) keeps the slot allocated.
            si.swap_free(e.slot)?;
        }
        self.try_free_swap(si, folio, g)?;
        self.lru_add(folio);
        Ok(FaultOutcome::Mapped)
    }

    /// Linux `folio_free_swap`: if no slot of the locked cached folio has a
    /// user left, delete it from the swap cache and drop `HAS_CACHE` (freeing
    /// the slots). Frees the folio too if nothing maps it. Unlocks.
    pub(crate) fn try_free_swap(
        &self,
        si: &SwapDevice,
        folio: &Arc<Folio>,
        mut g: FolioGuard<'_>,
    ) -> Result<(), SwapError> {
        let Some(e) = g.swap else { return Ok(()) };
        let n = folio.nr_pages();
        let unused = si
            .slots()?
            .with_range(e.slot, n, |s| s.iter().all(|x| x.count() == 0));
        if !unused {
            // Still held (folio locked): a free racing with us from here on
            // fails its try-lock and leaves the folio to reclaim.
            self.hooks.point("free_swap_in_use");
            return Ok(());
        }
        si.cache.delete(e.slot, folio);
        g.swap = None;
        g.set(flags::DIRTY);
        let unmapped = folio.mapcount.load(Ordering::SeqCst) == 0;
        if unmapped {
            g.rmap = None;
        }
        drop(g);
        if unmapped {
            self.free_folio(folio);
        }
        si.swapcache_clear(e.slot, n)
    }

    /// The skip-swapcache path for a single-user entry on a synchronous
    /// device: read straight into a private page. It still takes `HAS_CACHE`
    /// first (race c): a second faulter backs off and retries, and the slot
    /// cannot be freed and reused while the read page is not yet mapped.
    fn swapin_skip_cache(
        &self,
        mm: &Arc<Mm>,
        va: u64,
        e: SwapEntry,
        si: &SwapDevice,
    ) -> Result<FaultOutcome, SwapError> {
        let took = self.hooks.rule(Rule::SkipPathTakesCache);
        if took && let Some(back_off) = self.prepare_or_back_off(si, e.slot, "skip path") {
            return Ok(back_off);
        }
        self.hooks.point("swapin_alloc");
        let folio = self.alloc_folio(0);
        let read = {
            let mut d = folio.data();
            // Not in the swap cache: a non-exclusive load; the entry goes when
            // the slot is freed below.
            if si.zswap.contains(e.slot) {
                si.zswap
                    .load(e.slot, &mut d, false)
                    .map_err(|x| SwapError::Lost {
                        slot: e.slot,
                        why: x.to_string(),
                    })
            } else {
                si.read_file(e.slot, &mut d)
            }
        };
        let undo = |this: &System| -> Result<(), SwapError> {
            this.free_folio(&folio);
            if took {
                si.swapcache_clear(e.slot, 1)
            } else {
                Ok(())
            }
        };
        if let Err(err) = read {
            undo(self)?;
            return Err(err);
        }
        self.hooks.point("skip_after_read");
        let mut g = folio.lock();
        g.set(flags::UPTODATE | flags::DIRTY);
        g.rmap = Some(Rmap {
            mm: Arc::downgrade(mm),
            va,
        });
        {
            let mut ptl = mm.ptl(va);
            let pi = pte_index(va);
            if !ptl[pi].same(&Pte::Swap(e)) {
                drop(ptl);
                drop(g);
                undo(self)?;
                return Ok(FaultOutcome::AlreadyPresent);
            }
            ptl[pi] = Pte::Present {
                folio: folio.clone(),
                idx: 0,
            };
            folio.mapcount.fetch_add(1, Ordering::SeqCst);
            si.swap_free(e.slot)?;
        }
        drop(g);
        if took {
            // Last user gone: the slot is freed and its device entry dropped.
            si.swapcache_clear(e.slot, 1)?;
        }
        self.hooks
            .event(|| format!("skip path: slot {} mapped", e.slot));
        self.lru_add(&folio);
        self.stats.swapin_skip.fetch_add(1, Ordering::Relaxed);
        Ok(FaultOutcome::Mapped)
    }

    /// Whether `n` slots from `slot` are all on the device (`Some(true)`), all
    /// in the backing file (`Some(false)`), or mixed (`None`).
    fn backing(&self, si: &SwapDevice, slot: u32, n: u32) -> Option<bool> {
        let on = (0..n).filter(|i| si.zswap.contains(slot + i)).count() as u32;
        if on == n {
            Some(true)
        } else if on == 0 {
            Some(false)
        } else {
            None
        }
    }

    /// Large-folio swap-in of the aligned 2^order range around `va`, if its
    /// PTEs hold 2^order contiguous aligned slots with one backing. `None`:
    /// not eligible, fall back to order 0.
    fn swapin_large(
        &self,
        mm: &Arc<Mm>,
        va: u64,
        si: &Arc<SwapDevice>,
    ) -> Result<Option<FaultOutcome>, SwapError> {
        let order = self.cfg.order;
        let n = 1u32 << order;
        let base_va = va & !(n as u64 - 1);
        if base_va + n as u64 > mm.nr_pages() {
            return Ok(None);
        }
        let ents: Option<Vec<SwapEntry>> = {
            let ptl = mm.ptl(base_va);
            let pi = pte_index(base_va);
            (0..n as usize).map(|i| ptl[pi + i].swap_entry()).collect()
        };
        let Some(ents) = ents else { return Ok(None) };
        let b = ents[0];
        if b.dev != si.id
            || !b.slot.is_multiple_of(n)
            || ents
                .iter()
                .enumerate()
                .any(|(i, x)| *x != b.offset(i as u32))
            || (0..n).any(|i| si.cache.lookup(b.slot + i).is_some())
        {
            return Ok(None);
        }
        // Optimistic check, no lock held: only a hint.
        let Some(pre) = self.backing(si, b.slot, n) else {
            self.stats
                .large_fallback_other
                .fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        };
        self.hooks.point("large_before_cache");
        if si.swapcache_prepare(b.slot, n).is_err() {
            self.stats
                .large_fallback_other
                .fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        }
        // HAS_CACHE held on the whole range: the backing can no longer change.
        // Re-check it now (rule 5, race a); writeback may have moved subpages
        // to the file since the hint.
        let on_device = if self.hooks.rule(Rule::RecheckBackingUnderCache) {
            match self.backing(si, b.slot, n) {
                Some(x) => x,
                None => {
                    self.stats
                        .large_fallback_mixed
                        .fetch_add(1, Ordering::Relaxed);
                    self.hooks
                        .event(|| format!("large swap-in: slots {}+{n} mixed, order 0", b.slot));
                    si.swapcache_clear(b.slot, n)?;
                    return Ok(None);
                }
            }
        } else {
            pre
        };
        self.hooks.point("swapin_alloc");
        let folio = self.alloc_folio(order);
        let mut g = folio.lock();
        g.swap = Some(b);
        si.cache.insert(b.slot, &folio);
        if let Err(err) = self.read_folio(si, b.slot, &folio, &mut g, on_device) {
            self.drop_new_cached(si, &folio, g)?;
            return Err(err);
        }
        {
            let mut ptl = mm.ptl(base_va);
            let pi = pte_index(base_va);
            for i in 0..n {
                let k = pi + i as usize;
                if ptl[k].same(&Pte::Swap(b.offset(i))) {
                    ptl[k] = Pte::Present {
                        folio: folio.clone(),
                        idx: i,
                    };
                    folio.mapcount.fetch_add(1, Ordering::SeqCst);
                    si.swap_free(b.slot + i)?;
                }
            }
            g.rmap = Some(Rmap {
                mm: Arc::downgrade(mm),
                va: base_va,
            });
            g.set(flags::DIRTY);
        }
        self.try_free_swap(si, &folio, g)?;
        self.lru_add(&folio);
        self.stats.swapin_large.fetch_add(1, Ordering::Relaxed);
        Ok(Some(FaultOutcome::Mapped))
    }

    /// Swap readahead of one entry into the swap cache (the PTE stays a swap
    /// entry). Returns whether a folio was read.
    pub fn swapin_readahead(&self, e: SwapEntry) -> Result<bool, SwapError> {
        let Some(si) = self.get_swap_device(e) else {
            return Ok(false);
        };
        if si.swapcache_prepare(e.slot, 1).is_err() {
            return Ok(false);
        }
        let folio = self.alloc_folio(0);
        let mut g = folio.lock();
        g.swap = Some(e);
        si.cache.insert(e.slot, &folio);
        let on_device = si.zswap.contains(e.slot);
        if let Err(err) = self.read_folio(&si, e.slot, &folio, &mut g, on_device) {
            self.drop_new_cached(&si, &folio, g)?;
            return Err(err);
        }
        drop(g);
        self.lru_add(&folio);
        self.stats.readahead.fetch_add(1, Ordering::Relaxed);
        Ok(true)
    }
}
