//! swapon / swapoff (Linux `try_to_unuse` + the liveness-reference drain).
//!
//! swapoff: stop allocation; bring every page back (fault each swap PTE in,
//! drop swap-cache folios nobody needs) until no slot is in use; kill the
//! liveness reference and wait for every holder to drop it; only then free
//! the slot map, index and file. A path that took its reference before the
//! kill finishes against a live device; one that comes later gets `None`.

use super::page_table::Pte;
use super::swap_device::SwapDevice;
use super::{SwapError, System};
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};

/// Temporary backing files made by this process (unique names across the
/// swap systems of one process).
static TEMP_FILES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl System {
    /// Activates a swap device of `cfg.swap_slots` slots on a backing file at
    /// `path` (kept afterwards), or a temporary one (removed at swapoff).
    pub fn swapon(&self, path: Option<&Path>) -> Result<u32, SwapError> {
        let mut cur = self.swap.write().unwrap_or_else(PoisonError::into_inner);
        if cur.is_some() {
            return Err(SwapError::Swapoff("a swap device is already active".into()));
        }
        let id = self
            .next_dev
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (p, remove): (PathBuf, bool) = match path {
            Some(p) => (p.to_path_buf(), false),
            None => (
                std::env::temp_dir().join(format!(
                    "pagepress-swap-{}-{}.img",
                    std::process::id(),
                    TEMP_FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                )),
                true,
            ),
        };
        let dev = SwapDevice::create(
            id,
            self.cfg.swap_slots,
            self.cfg.cluster_pages,
            &p,
            remove,
            self.pool.clone(),
            self.hooks.clone(),
            self.stats.clone(),
        )?;
        *cur = Some(dev);
        Ok(id)
    }

    /// Deactivates the swap device, bringing every page it holds back in.
    pub fn swapoff(&self) -> Result<(), SwapError> {
        let dev = self.device().ok_or(SwapError::NoSwap)?;
        dev.stop_alloc();
        if let Err(e) = self.unuse(&dev) {
            // A page could not be brought back (device error): the device
            // stays on, as Linux's swapoff re-enables it on failure.
            dev.allow_alloc();
            return Err(e);
        }
        self.hooks.point("swapoff_before_kill");
        self.hooks.event(|| "swapoff: draining".into());
        dev.kill_and_drain();
        // No reference left: nobody can reach the slot map or index any more.
        debug_assert!(dev.zswap.is_empty() && dev.cache.is_empty());
        for s in dev.zswap.slots() {
            dev.zswap.invalidate(s, 1);
        }
        dev.mark_freed();
        *self.swap.write().unwrap_or_else(PoisonError::into_inner) = None;
        self.hooks.event(|| "swapoff: freed".into());
        Ok(())
    }

    /// `try_to_unuse`: brings every page of `dev` back until no slot is in use.
    fn unuse(&self, dev: &Arc<SwapDevice>) -> Result<(), SwapError> {
        let r = dev.get().ok_or(SwapError::DeviceGone)?;
        loop {
            for mm in self.mms() {
                for va in 0..mm.nr_pages() {
                    if matches!(mm.pte(va), Pte::Swap(e) if e.dev == dev.id) {
                        self.fault(&mm, va)?;
                    }
                }
            }
            // Swap-cache folios whose slots have no user left.
            for (slot, f) in r.cache.snapshot() {
                let g = f.lock();
                if r.cache.holds(slot, &f) {
                    self.try_free_swap(&r, &f, g)?;
                }
            }
            if dev.inuse() == 0 {
                return Ok(());
            }
            // A reclaim or writeback still holds a slot; it finishes without
            // allocating (stop_alloc), then the walk repeats.
            std::thread::yield_now();
        }
    }
}
