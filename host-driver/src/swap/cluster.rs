//! The slot map, split into clusters (Linux `swap_cluster_info`).
//!
//! A cluster is `cluster_pages` aligned, contiguous slots behind one lock. The
//! cluster lock protects the [`SlotState`]s of its slots and its free count.
//! It is a leaf lock: nothing else is taken while it is held, so it may be
//! taken under any lock of the main order (folio lock → PTL → index → LRU).
//! Large folios are allocated 2^order aligned slots inside one cluster, so a
//! range operation takes exactly one cluster lock.

use super::lock;
use super::slot_map::{BadEntry, SlotState};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

struct ClusterInner {
    /// Protected by the cluster lock.
    slots: Vec<SlotState>,
    /// Slots in state free; protected by the cluster lock.
    free: u32,
}

/// The slot map of one swap device.
pub struct Clusters {
    cluster_pages: u32,
    clusters: Vec<Mutex<ClusterInner>>,
    /// Cluster where the last allocation succeeded (a hint; racy by design).
    hint: AtomicUsize,
    /// Slots not free (in use or freeing). Changed under the slot's cluster lock.
    inuse: AtomicU64,
}

impl Clusters {
    /// `nr_slots` slots in clusters of `cluster_pages` (a power of two).
    pub fn new(nr_slots: u32, cluster_pages: u32) -> Clusters {
        assert!(cluster_pages.is_power_of_two());
        assert!(nr_slots > 0 && nr_slots.is_multiple_of(cluster_pages));
        let n = nr_slots / cluster_pages;
        Clusters {
            cluster_pages,
            clusters: (0..n)
                .map(|_| {
                    Mutex::new(ClusterInner {
                        slots: vec![SlotState::FREE; cluster_pages as usize],
                        free: cluster_pages,
                    })
                })
                .collect(),
            hint: AtomicUsize::new(0),
            inuse: AtomicU64::new(0),
        }
    }

    pub fn nr_slots(&self) -> u32 {
        self.clusters.len() as u32 * self.cluster_pages
    }

    pub fn cluster_pages(&self) -> u32 {
        self.cluster_pages
    }

    /// Slots in use or being freed.
    pub fn inuse(&self) -> u64 {
        self.inuse.load(Ordering::SeqCst)
    }

    /// Allocates 2^order aligned contiguous free slots in one cluster, each
    /// left `HAS_CACHE` with count 0. Lowest free run of the first cluster with
    /// room, scanning from the hint (deterministic for a one-cluster device).
    pub fn alloc(&self, order: u32) -> Option<u32> {
        let n = 1u32 << order;
        if n > self.cluster_pages {
            return None;
        }
        let nc = self.clusters.len();
        let start = self.hint.load(Ordering::Relaxed) % nc;
        for k in 0..nc {
            let ci = (start + k) % nc;
            let mut c = lock(&self.clusters[ci]);
            if c.free < n {
                continue;
            }
            let mut base = 0;
            while base < self.cluster_pages {
                let run = &mut c.slots[base as usize..(base + n) as usize];
                if run.iter().all(|s| s.is_free()) {
                    for s in run.iter_mut() {
                        s.alloc().expect("free slot allocates");
                    }
                    c.free -= n;
                    self.inuse.fetch_add(n as u64, Ordering::SeqCst);
                    self.hint.store(ci, Ordering::Relaxed);
                    return Some(ci as u32 * self.cluster_pages + base);
                }
                base += n;
            }
        }
        None
    }

    fn split(&self, slot: u32) -> (usize, usize) {
        (
            (slot / self.cluster_pages) as usize,
            (slot % self.cluster_pages) as usize,
        )
    }

    /// Runs `f` on `n` consecutive slot states under their cluster lock.
    /// Precondition: the range lies inside one cluster.
    pub fn with_range<R>(&self, slot: u32, n: u32, f: impl FnOnce(&mut [SlotState]) -> R) -> R {
        let (ci, off) = self.split(slot);
        debug_assert!(
            off + n as usize <= self.cluster_pages as usize,
            "range crosses a cluster"
        );
        let mut c = lock(&self.clusters[ci]);
        f(&mut c.slots[off..off + n as usize])
    }

    /// Runs `f` on one slot state under its cluster lock.
    pub fn with_slot<R>(&self, slot: u32, f: impl FnOnce(&mut SlotState) -> R) -> R {
        self.with_range(slot, 1, |s| f(&mut s[0]))
    }

    /// A snapshot of one slot (may change as soon as the lock is dropped).
    pub fn get(&self, slot: u32) -> SlotState {
        self.with_slot(slot, |s| *s)
    }

    /// `FREEING` → free, once the device entry is gone.
    pub fn finish_free(&self, slot: u32) -> Result<(), BadEntry> {
        let (ci, off) = self.split(slot);
        let mut c = lock(&self.clusters[ci]);
        c.slots[off].finish_free()?;
        c.free += 1;
        self.inuse.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }
}
