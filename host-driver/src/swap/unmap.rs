//! Unmapping and exit: zap PTEs, free swap entries
//! (Linux `zap_pte_range` → `free_swap_and_cache`).

use super::hooks::Rule;
use super::page_table::{Mm, PTES_PER_TABLE, Pte, SwapEntry, pte_index};
use super::{SwapError, System};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;

impl System {
    /// Unmaps pages `range` of `mm`: present pages are unmapped (freed when
    /// nothing maps them), swap entries are freed.
    pub fn zap(&self, mm: &Arc<Mm>, range: Range<u64>) -> Result<(), SwapError> {
        let mut unmapped = Vec::new();
        let mut entries = Vec::new();
        let mut va = range.start;
        while va < range.end {
            let end = ((va / PTES_PER_TABLE + 1) * PTES_PER_TABLE).min(range.end);
            let mut ptl = mm.ptl(va);
            for v in va..end {
                match std::mem::take(&mut ptl[pte_index(v)]) {
                    Pte::Present { folio, .. } => {
                        if folio.mapcount.fetch_sub(1, Ordering::SeqCst) == 1 {
                            unmapped.push(folio);
                        }
                    }
                    Pte::Swap(e) => entries.push(e),
                    Pte::None => {}
                }
            }
            va = end;
        }
        // PTLs dropped: folio locks may be taken now (lock order).
        for f in unmapped {
            let mut g = f.lock();
            if f.mapcount.load(Ordering::SeqCst) == 0 {
                g.rmap = None;
                if g.swap.is_none() {
                    drop(g);
                    self.free_folio(&f);
                }
                // In the swap cache: reclaim or the free below drops it.
            }
        }
        self.hooks.point("zap_after_clear");
        for e in entries {
            self.free_swap_and_cache(e)?;
        }
        Ok(())
    }

    /// Unmaps page `va` and runs `f` while its PTL is still held (so a user
    /// of the page sees the unmap and `f`'s effect together).
    pub fn zap_page_with(&self, mm: &Arc<Mm>, va: u64, f: impl FnOnce()) -> Result<(), SwapError> {
        let old = {
            let mut ptl = mm.ptl(va);
            let old = std::mem::take(&mut ptl[pte_index(va)]);
            f();
            old
        };
        match old {
            Pte::Present { folio, .. } => {
                if folio.mapcount.fetch_sub(1, Ordering::SeqCst) == 1 {
                    let mut g = folio.lock();
                    if folio.mapcount.load(Ordering::SeqCst) == 0 {
                        g.rmap = None;
                        if g.swap.is_none() {
                            drop(g);
                            self.free_folio(&folio);
                        }
                    }
                }
                Ok(())
            }
            Pte::Swap(e) => self.free_swap_and_cache(e),
            Pte::None => Ok(()),
        }
    }

    /// Exits an address space: zaps all of it.
    pub fn exit_mm(&self, mm: &Arc<Mm>) -> Result<(), SwapError> {
        self.zap(mm, 0..mm.nr_pages())
    }

    /// Drops one count of `e` (its PTE is gone) and, if only the swap cache
    /// still holds the slot, drops the cached folio too.
    ///
    /// Holds the device's liveness reference across the whole operation
    /// (rule 6, race d): after the count drops, the only thing keeping the
    /// slot map alive would otherwise be the cached folio, which anyone —
    /// swapoff included — may reclaim meanwhile.
    pub fn free_swap_and_cache(&self, e: SwapEntry) -> Result<(), SwapError> {
        let Some(dev) = self.device().filter(|d| d.id == e.dev) else {
            return Err(SwapError::DeviceGone);
        };
        let pin = if self.hooks.rule(Rule::FreeHoldsDeviceRef) {
            match dev.get() {
                Some(r) => Some(r),
                None => return Err(SwapError::DeviceGone),
            }
        } else {
            None
        };
        dev.swap_free(e.slot)?;
        self.hooks.point("free_before_reclaim");
        let st = dev.slot_state(e.slot)?;
        if st.count() == 0
            && st.has_cache()
            && let Some(f) = dev.cache.lookup(e.slot)
            && let Some(g) = f.try_lock()
            && dev.cache.holds(e.slot, &f)
            && f.mapcount.load(Ordering::SeqCst) == 0
        {
            self.try_free_swap(&dev, &f, g)?;
        }
        self.hooks.event(|| format!("free: slot {} done", e.slot));
        drop(pin);
        Ok(())
    }
}
