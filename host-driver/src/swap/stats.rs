//! Protocol counters and latency histograms (lock-free, shared by all paths).

use std::sync::atomic::{AtomicU64, Ordering};

/// A latency histogram: log2 buckets with 4 linear sub-buckets (±12.5%).
pub struct Histogram {
    buckets: Vec<AtomicU64>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: (0..64 * 4).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Histogram(n={})", self.count())
    }
}

fn bucket_of(v: u64) -> usize {
    if v < 4 {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros() as usize;
    let sub = ((v >> (msb - 2)) & 3) as usize;
    msb * 4 + sub
}

fn bucket_low(b: usize) -> u64 {
    if b < 8 {
        return b as u64;
    }
    let msb = b / 4;
    let sub = (b % 4) as u64;
    (1u64 << msb) | (sub << (msb - 2))
}

impl Histogram {
    pub fn record(&self, v: u64) {
        self.buckets[bucket_of(v)].fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// The value below which a fraction `q` of the samples fall (bucket bound).
    pub fn quantile(&self, q: f64) -> u64 {
        let n = self.count();
        if n == 0 {
            return 0;
        }
        let target = ((n as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += b.load(Ordering::Relaxed);
            if seen >= target {
                // Upper bound of the bucket.
                return bucket_low(i + 1).saturating_sub(1).max(bucket_low(i));
            }
        }
        u64::MAX
    }
}

macro_rules! counters {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {
        /// Protocol event counters.
        #[derive(Debug, Default)]
        pub struct Stats {
            $($(#[$m])* pub $name: AtomicU64,)*
            /// Fault latency (ns), whole fault including retries.
            pub fault_ns: Histogram,
            /// Device STORE latency (ns).
            pub store_ns: Histogram,
            /// Device LOAD latency (ns).
            pub load_ns: Histogram,
            /// Writeback of one entry (ns).
            pub writeback_ns: Histogram,
            /// The first violations, described.
            pub violation_log: std::sync::Mutex<Vec<String>>,
        }

        impl Stats {
            /// Counts a violation and keeps the first few descriptions.
            pub fn violation(&self, what: String) {
                self.violations.fetch_add(1, Ordering::SeqCst);
                let mut l = self.violation_log.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if l.len() < 16 {
                    l.push(what);
                }
            }

            /// The first violations' descriptions.
            pub fn violation_descriptions(&self) -> Vec<String> {
                self.violation_log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
            }

            /// Every counter as (name, value).
            pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($name), self.$name.load(Ordering::Relaxed)),)*]
            }
        }
    };
}

counters! {
    /// Faults on a swap PTE (swap-ins).
    swapin_faults,
    /// First-touch anonymous faults.
    anon_faults,
    /// Swap-ins through the swap cache (order 0).
    swapin_cache,
    /// Swap-ins on the skip-swapcache synchronous path.
    swapin_skip,
    /// Large folios swapped in whole.
    swapin_large,
    /// Swap-ins that found the folio already in the swap cache.
    swapcache_hits,
    /// Large swap-ins that fell back to order 0: mixed backing seen under HAS_CACHE.
    large_fallback_mixed,
    /// Large swap-ins that fell back to order 0 for another reason.
    large_fallback_other,
    /// Faults that backed off because someone else held HAS_CACHE.
    cache_busy_backoffs,
    /// Folios swapped out.
    swapout_folios,
    /// Pages swapped out.
    swapout_pages,
    /// Large folios split for lack of contiguous slots.
    large_splits,
    /// Pages stored on the device.
    stored_pages,
    /// Pages the device kept as same-filled entries.
    same_filled_pages,
    /// Compressed bytes the device accepted.
    compressed_bytes,
    /// Rejected stores: incompressible.
    reject_incompressible,
    /// Rejected stores: device memory full.
    reject_no_space,
    /// Rejected stores: timeout.
    reject_timeout,
    /// Rejected stores: any other error.
    reject_other,
    /// Pages written to the backing file by reclaim (rejected stores).
    file_writes,
    /// Pages read from the backing file.
    file_reads,
    /// Pages loaded from the device.
    device_loads,
    /// Device load errors (nothing is removed; the fault is retried).
    load_errors,
    /// Faults retried after a device load error.
    load_retries,
    /// Entries written back from the device to the backing file.
    writebacks,
    /// Writeback skipped: slot busy (HAS_CACHE held), entry rotated.
    wb_skip_busy,
    /// Writeback skipped: the entry changed or the slot was freed.
    wb_skip_stale,
    /// Writeback skipped: the device is being swapped off.
    wb_skip_gone,
    /// Writeback failed (device or file error); the entry stays.
    wb_failed,
    /// Slots freed (device entry invalidated first).
    slots_freed,
    /// Device entries invalidated.
    invalidated,
    /// Folios read ahead into the swap cache.
    readahead,
    /// Pages reclaimed.
    reclaimed_pages,
    /// Allocations that went over the RAM budget (nothing reclaimable).
    ram_overcommits,
    /// Slot-map violations: double free, use after swapoff (must stay 0).
    violations,
}
