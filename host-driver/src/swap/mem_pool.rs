//! An in-memory [`CompressedPool`] over `pagepress_codec`, for tests and
//! benchmarks of the protocol alone (the CLI opens a real backend through
//! `backend::open`). It follows the pool contract: all-or-nothing stores that
//! drop older entries on failure, exclusive loads, same-filled entries without
//! device memory, a byte budget, and injectable errors.

use super::lock;
use crate::pool::{CompressedPool, DeviceStats, PoolError, StoreInfo};
use pagepress_abi::format::PAGE_SIZE;
use pagepress_abi::stats::{STAT_COUNT, StatCounter};
use pagepress_codec::{FrameKind, Page, compress_page, decompress_page, same_filled};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

enum Stored {
    Same(u64),
    Frame(Box<[u8]>),
}

#[derive(Default)]
struct Inner {
    entries: HashMap<u32, Stored>,
    used: u64,
    stats: [u64; STAT_COUNT],
    /// Errors the next stores fail with.
    store_faults: VecDeque<PoolError>,
    /// Errors the next loads fail with.
    load_faults: VecDeque<PoolError>,
}

/// See the module documentation.
pub struct MemPool {
    capacity: u64,
    max_slots: u32,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for MemPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemPool")
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl MemPool {
    pub fn new(capacity: u64, max_slots: u32) -> MemPool {
        MemPool {
            capacity,
            max_slots,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The next store fails with `e` (queued).
    pub fn fail_next_store(&self, e: PoolError) {
        lock(&self.inner).store_faults.push_back(e);
    }

    /// The next load fails with `e` (queued).
    pub fn fail_next_load(&self, e: PoolError) {
        lock(&self.inner).load_faults.push_back(e);
    }

    /// Whether the pool holds an entry for `slot`.
    pub fn holds(&self, slot: u32) -> bool {
        lock(&self.inner).entries.contains_key(&slot)
    }

    fn bump(i: &mut Inner, c: StatCounter, by: u64) {
        i.stats[c as usize] += by;
    }

    fn remove(i: &mut Inner, slot: u32) -> bool {
        match i.entries.remove(&slot) {
            Some(Stored::Frame(f)) => {
                i.used -= f.len() as u64;
                true
            }
            Some(Stored::Same(_)) => true,
            None => false,
        }
    }

    fn check(&self, slot: u32, n: usize) -> Result<(), PoolError> {
        if n == 0 || slot as u64 + n as u64 > self.max_slots as u64 {
            return Err(PoolError::BadSlot);
        }
        Ok(())
    }

    fn decode(st: &Stored, out: &mut [u8]) -> Result<(), PoolError> {
        match st {
            Stored::Same(w) => {
                for c in out.chunks_exact_mut(8) {
                    c.copy_from_slice(&w.to_le_bytes());
                }
                Ok(())
            }
            Stored::Frame(f) => {
                let page: &mut Page = out.try_into().map_err(|_| PoolError::BadCommand)?;
                decompress_page(f, page).map_err(|_| PoolError::Corrupt { page: 0 })
            }
        }
    }
}

impl CompressedPool for MemPool {
    fn store(&self, slot: u32, pages: &[u8]) -> Result<StoreInfo, PoolError> {
        let n = pages.len() / PAGE_SIZE;
        self.check(slot, n)?;
        // Compress outside the lock.
        let mut out = Vec::with_capacity(n);
        let mut err = None;
        for (k, p) in pages.chunks_exact(PAGE_SIZE).enumerate() {
            if let Some(w) = same_filled(p) {
                out.push(Stored::Same(w));
                continue;
            }
            let mut frame = Vec::new();
            let page: &Page = p.try_into().expect("page");
            if compress_page(page, &mut frame) == FrameKind::Raw {
                err = Some(PoolError::Incompressible { page: k as u32 });
                break;
            }
            out.push(Stored::Frame(frame.into_boxed_slice()));
        }
        let mut i = lock(&self.inner);
        Self::bump(&mut i, StatCounter::StoreCmds, 1);
        if err.is_none() {
            err = i.store_faults.pop_front();
        }
        let mut info = StoreInfo::default();
        for k in 0..n as u32 {
            Self::remove(&mut i, slot + k);
        }
        if err.is_none() {
            let need: u64 = out
                .iter()
                .map(|s| {
                    if let Stored::Frame(f) = s {
                        f.len() as u64
                    } else {
                        0
                    }
                })
                .sum();
            if i.used + need > self.capacity {
                err = Some(PoolError::NoSpace { page: 0 });
            }
        }
        if let Some(e) = err {
            match e {
                PoolError::Incompressible { .. } => {
                    Self::bump(&mut i, StatCounter::RejectIncompressible, 1)
                }
                PoolError::NoSpace { .. } => Self::bump(&mut i, StatCounter::RejectNoSpace, 1),
                _ => {}
            }
            return Err(e);
        }
        for (k, st) in out.into_iter().enumerate() {
            match &st {
                Stored::Same(_) => info.same_filled += 1,
                Stored::Frame(f) => {
                    info.compressed_bytes += f.len() as u32;
                    i.used += f.len() as u64;
                }
            }
            i.entries.insert(slot + k as u32, st);
        }
        Self::bump(&mut i, StatCounter::StoredPages, n as u64);
        Self::bump(
            &mut i,
            StatCounter::StoredBytes,
            info.compressed_bytes as u64,
        );
        Self::bump(&mut i, StatCounter::StoredInputBytes, pages.len() as u64);
        Self::bump(
            &mut i,
            StatCounter::SameFilledPages,
            info.same_filled as u64,
        );
        Ok(info)
    }

    fn load(&self, slot: u32, out: &mut [u8], exclusive: bool) -> Result<(), PoolError> {
        let n = out.len() / PAGE_SIZE;
        self.check(slot, n)?;
        // Copy the entries under the lock, decode outside it.
        let copies = {
            let mut i = lock(&self.inner);
            Self::bump(&mut i, StatCounter::LoadCmds, 1);
            if let Some(e) = i.load_faults.pop_front() {
                return Err(e);
            }
            let mut v = Vec::with_capacity(n);
            for k in 0..n {
                match i.entries.get(&(slot + k as u32)) {
                    Some(Stored::Same(w)) => v.push(Stored::Same(*w)),
                    Some(Stored::Frame(f)) => v.push(Stored::Frame(f.clone())),
                    None => {
                        Self::bump(&mut i, StatCounter::ErrNotFound, 1);
                        return Err(PoolError::NotFound { page: k as u32 });
                    }
                }
            }
            v
        };
        for (st, o) in copies.iter().zip(out.chunks_exact_mut(PAGE_SIZE)) {
            Self::decode(st, o)?;
        }
        let mut i = lock(&self.inner);
        if exclusive {
            // The caller holds HAS_CACHE on the slots: nobody replaced them.
            for k in 0..n as u32 {
                Self::remove(&mut i, slot + k);
            }
        }
        Self::bump(&mut i, StatCounter::LoadedPages, n as u64);
        Ok(())
    }

    fn read_for_writeback(&self, slot: u32, out: &mut [u8]) -> Result<(), PoolError> {
        self.load(slot, out, false)?;
        Self::bump(&mut lock(&self.inner), StatCounter::WritebackPages, 1);
        Ok(())
    }

    fn invalidate(&self, slot: u32, nr: u32) -> Result<u32, PoolError> {
        self.check(slot, nr as usize)?;
        let mut i = lock(&self.inner);
        let mut had = 0;
        for k in 0..nr {
            if Self::remove(&mut i, slot + k) {
                had += 1;
            }
        }
        Self::bump(&mut i, StatCounter::InvalidatedPages, had as u64);
        Ok(had)
    }

    fn stats(&self) -> Result<DeviceStats, PoolError> {
        let i = lock(&self.inner);
        let mut s = i.stats;
        s[StatCounter::Entries as usize] = i.entries.len() as u64;
        s[StatCounter::DevmemUsed as usize] = i.used;
        Ok(DeviceStats(s))
    }

    fn max_slots(&self) -> u32 {
        self.max_slots
    }
}
