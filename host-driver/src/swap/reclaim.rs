//! Reclaim (swap-out, Linux `shrink_folio_list` + `pageout`).
//!
//! A folio is taken off the resident LRU and try-locked (reclaim never sleeps
//! on a folio lock: the holder may be a fault waiting for this very reclaim).
//! Then: allocate 2^order slots (split the folio when no cluster has room),
//! put it in the swap cache, unmap its PTEs into swap entries under the PTL,
//! store it on the device — or, if the device rejects it, write it to the
//! backing file — and drop it from the swap cache. A page is never lost: until
//! its data is on the device or in the file, it stays in the cached folio.

use super::folio::{Folio, FolioGuard, flags};
use super::page_table::{Pte, SwapEntry, pte_index};
use super::swap_device::SwapDevice;
use super::zswap::{Writeback, writeback_one};
use super::{SwapError, System};
use crate::pool::PoolError;
use pagepress_abi::format::PAGE_SIZE;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// What happened to one folio.
#[derive(Debug, PartialEq, Eq)]
enum Shrink {
    /// Its pages were freed.
    Freed(u64),
    /// Busy or not reclaimable now: back on the LRU.
    Keep,
    /// Already freed by someone else.
    Gone,
    /// Split into order-0 folios, which went on the LRU.
    Split,
}

impl System {
    /// Reclaims up to `want` pages; returns how many were freed.
    pub fn reclaim(&self, want: u64) -> u64 {
        let mut freed = 0;
        let max_tries = self.lru_len() as u64 + 4;
        let mut tries = 0;
        while freed < want && tries < max_tries {
            tries += 1;
            let Some(f) = self.lru_pop() else { break };
            match self.shrink_folio(&f) {
                Shrink::Freed(n) => freed += n,
                Shrink::Keep => self.lru_add(&f),
                Shrink::Gone | Shrink::Split => {}
            }
        }
        self.stats
            .reclaimed_pages
            .fetch_add(freed, Ordering::Relaxed);
        freed
    }

    fn shrink_folio(&self, folio: &Arc<Folio>) -> Shrink {
        if !folio.is_charged() {
            return Shrink::Gone;
        }
        let Some(mut g) = folio.try_lock() else {
            return Shrink::Keep;
        };
        if g.swap.is_none() && g.rmap.is_none() && folio.mapcount.load(Ordering::SeqCst) == 0 {
            drop(g);
            self.free_folio(folio);
            return Shrink::Gone;
        }
        // Not pinned by anything yet: take the device's liveness reference.
        let dev = match g.swap {
            Some(e) => self.get_swap_device(e),
            None => self.get_current_device(),
        };
        let Some(r) = dev else { return Shrink::Keep };
        let n = folio.nr_pages();
        let base = match g.swap {
            Some(e) => e.slot,
            None => match r.alloc(folio.order) {
                Some(b) => {
                    g.swap = Some(SwapEntry { dev: r.id, slot: b });
                    r.cache.insert(b, folio);
                    g.set(flags::DIRTY);
                    b
                }
                None if folio.order > 0 => return self.split_folio(folio, g),
                None => return Shrink::Keep,
            },
        };
        let entry = SwapEntry {
            dev: r.id,
            slot: base,
        };
        // Unmap: every PTE still mapping a subpage becomes a swap entry that
        // holds one count of its slot.
        if let Some(rm) = g.rmap.take()
            && let Some(mm) = rm.mm.upgrade()
        {
            let mut ptl = mm.ptl(rm.va);
            let pi = pte_index(rm.va);
            for i in 0..n {
                let k = pi + i as usize;
                let ours = matches!(&ptl[k], Pte::Present { folio: f, idx } if Arc::ptr_eq(f, folio) && *idx == i);
                if ours && r.dup(base + i).is_ok() {
                    ptl[k] = Pte::Swap(entry.offset(i));
                    folio.mapcount.fetch_sub(1, Ordering::SeqCst);
                }
            }
        }
        if folio.mapcount.load(Ordering::SeqCst) != 0 {
            // Mapped elsewhere than its rmap says (cannot happen with one
            // mapping per folio); keep it cached and mapped.
            return Shrink::Keep;
        }
        let users = match r.slots() {
            Ok(c) => c.with_range(base, n, |s| s.iter().any(|x| x.count() > 0)),
            Err(_) => return Shrink::Keep,
        };
        let mut full = false;
        if users && g.test(flags::DIRTY) {
            match self.swap_writepage(&r, base, folio, &mut g) {
                Ok(f) => full = f,
                // Data stays in the cached folio; PTEs find it there.
                Err(_) => return Shrink::Keep,
            }
        }
        // The folio lock was held from the unmap to here: no fault could map
        // the folio back meanwhile (it would have found it in the cache and
        // slept on the lock), so it is unmapped and can go.
        r.cache.delete(base, folio);
        g.swap = None;
        drop(g);
        let _ = r.swapcache_clear(base, n);
        self.free_folio(folio);
        if full {
            // Device memory is full: write the oldest entries back to the
            // file to make room for the next stores.
            self.shrink_device(&r, self.cfg.writeback_batch);
        }
        self.stats.swapout_folios.fetch_add(1, Ordering::Relaxed);
        self.stats
            .swapout_pages
            .fetch_add(n as u64, Ordering::Relaxed);
        Shrink::Freed(n as u64)
    }

    /// Writes a locked, dirty swap-cache folio to its slots: the device, or
    /// the backing file for what the device rejects. Returns whether the
    /// device reported it is full.
    /// Preconditions: `HAS_CACHE` held on the slots (folio in the swap cache).
    pub fn swap_writepage(
        &self,
        r: &SwapDevice,
        base: u32,
        folio: &Folio,
        g: &mut FolioGuard<'_>,
    ) -> Result<bool, SwapError> {
        debug_assert!(g.swap.is_some_and(|e| e.slot == base));
        g.set(flags::WRITEBACK);
        let data = folio.data();
        let n = folio.nr_pages() as usize;
        let mut full = false;
        let mut res = Ok(());
        let mut to_file = |slot: u32, page: &[u8], e: PoolError| {
            full |= matches!(e, PoolError::NoSpace { .. });
            // zswap.store already dropped any older entry of the slot, so the
            // file copy cannot be shadowed by a stale device entry.
            let w = r.write_file(slot, page);
            if w.is_ok() {
                self.stats
                    .file_writes
                    .fetch_add((page.len() / PAGE_SIZE) as u64, Ordering::Relaxed);
            }
            w
        };
        match r.zswap.store(base, &data) {
            Ok(_) => {}
            Err(e @ (PoolError::Incompressible { .. } | PoolError::NoSpace { .. })) if n > 1 => {
                let _ = e;
                // Large folio: store the subpages one by one.
                for i in 0..n {
                    let page = &data[i * PAGE_SIZE..(i + 1) * PAGE_SIZE];
                    if let Err(e) = r.zswap.store(base + i as u32, page) {
                        res = res.and(to_file(base + i as u32, page, e));
                    }
                }
            }
            Err(e) => res = to_file(base, &data, e),
        }
        drop(data);
        g.clear(flags::WRITEBACK);
        res?;
        g.clear(flags::DIRTY);
        Ok(full)
    }

    /// A large folio that found no 2^order free slots in one cluster is split
    /// into order-0 folios (under its lock and the PTL), which reclaim then
    /// swaps out one by one.
    fn split_folio(&self, folio: &Arc<Folio>, mut g: FolioGuard<'_>) -> Shrink {
        let Some(rm) = g.rmap.clone() else {
            return Shrink::Keep;
        };
        let Some(mm) = rm.mm.upgrade() else {
            return Shrink::Keep;
        };
        let n = folio.nr_pages();
        // New folios are built before the PTL is taken (lock order); they are
        // private until mapped.
        let news: Vec<Arc<Folio>> = (0..n)
            .map(|i| {
                let f = Arc::new(Folio::new(0));
                let mut ng = f.lock();
                ng.set(flags::UPTODATE | flags::DIRTY);
                ng.rmap = Some(super::folio::Rmap {
                    mm: rm.mm.clone(),
                    va: rm.va + i as u64,
                });
                drop(ng);
                f
            })
            .collect();
        let mut used = vec![false; n as usize];
        {
            let mut ptl = mm.ptl(rm.va);
            let pi = pte_index(rm.va);
            let data = folio.data();
            for i in 0..n as usize {
                let ours = matches!(&ptl[pi + i], Pte::Present { folio: f, idx } if Arc::ptr_eq(f, folio) && *idx == i as u32);
                if ours {
                    news[i]
                        .data()
                        .copy_from_slice(&data[i * PAGE_SIZE..(i + 1) * PAGE_SIZE]);
                    ptl[pi + i] = Pte::Present {
                        folio: news[i].clone(),
                        idx: 0,
                    };
                    news[i].mapcount.store(1, Ordering::SeqCst);
                    folio.mapcount.fetch_sub(1, Ordering::SeqCst);
                    used[i] = true;
                }
            }
        }
        g.rmap = None;
        drop(g);
        // The old folio's charge passes to the subpages still mapped.
        let kept = used.iter().filter(|u| **u).count() as u64;
        if folio.uncharge() {
            self.ram_sub(n as u64 - kept);
        }
        for (f, u) in news.iter().zip(used) {
            if u {
                self.lru_add(f);
            } else {
                let _ = f.uncharge();
            }
        }
        self.stats.large_splits.fetch_add(1, Ordering::Relaxed);
        Shrink::Split
    }

    /// Writes back up to `nr` device entries of `dev`; returns how many.
    pub fn shrink_device(&self, dev: &Arc<SwapDevice>, nr: u32) -> u32 {
        let mut written = 0;
        for _ in 0..nr {
            match writeback_one(dev) {
                Writeback::Written(_) => written += 1,
                Writeback::Empty => break,
                _ => {}
            }
        }
        written
    }

    /// Writes back up to `nr` entries of the active device.
    pub fn writeback(&self, nr: u32) -> u32 {
        match self.device() {
            Some(d) => self.shrink_device(&d, nr),
            None => 0,
        }
    }
}

impl System {
    /// Reclaims the folio mapping page `va` of `mm` (splitting it first if it
    /// must be split). Returns whether the page went out. For tests and tools
    /// that need a particular page on the device.
    pub fn reclaim_va(&self, mm: &Arc<super::page_table::Mm>, va: u64) -> bool {
        for _ in 0..2 {
            let Pte::Present { folio, .. } = mm.pte(va) else {
                return false;
            };
            match self.shrink_folio(&folio) {
                Shrink::Freed(n) => {
                    self.stats.reclaimed_pages.fetch_add(n, Ordering::Relaxed);
                    return true;
                }
                Shrink::Split => continue,
                Shrink::Keep | Shrink::Gone => return false,
            }
        }
        false
    }
}
