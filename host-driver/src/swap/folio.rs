//! Folios: 2^order pages with a sleepable lock and flags.

use super::lock;
use super::page_table::{Mm, SwapEntry};
use pagepress_abi::format::PAGE_SIZE;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, Weak};

/// Folio flags (Linux `PG_uptodate`, `PG_dirty`, `PG_writeback`).
pub mod flags {
    /// The data is valid.
    pub const UPTODATE: u32 = 1 << 0;
    /// The data exists nowhere else (must be written before the folio is dropped).
    pub const DIRTY: u32 = 1 << 1;
    /// A write of the data to the device or the backing file is in flight.
    pub const WRITEBACK: u32 = 1 << 2;
}

/// Where an anonymous folio is mapped (Linux rmap, one mapping per folio here).
#[derive(Clone, Debug)]
pub struct Rmap {
    pub mm: Weak<Mm>,
    /// Page number of the first subpage in the address space.
    pub va: u64,
}

/// The state protected by the folio lock.
#[derive(Debug, Default)]
pub struct FolioState {
    /// [`flags`] bits.
    pub flags: u32,
    /// The first slot, while the folio is in the swap cache (`PG_swapcache`).
    pub swap: Option<SwapEntry>,
    /// Where the folio is mapped, while any PTE maps it.
    pub rmap: Option<Rmap>,
}

impl FolioState {
    pub fn test(&self, f: u32) -> bool {
        self.flags & f != 0
    }
    pub fn set(&mut self, f: u32) {
        self.flags |= f;
    }
    pub fn clear(&mut self, f: u32) {
        self.flags &= !f;
    }
}

/// The folio lock: held while the folio is being read in, written out, split
/// or moved in or out of the swap cache. Sleepable (a thread may block on it
/// across device commands).
pub type FolioGuard<'a> = MutexGuard<'a, FolioState>;

/// 2^order pages.
#[derive(Debug)]
pub struct Folio {
    pub order: u32,
    /// The folio lock and the state it protects.
    state: Mutex<FolioState>,
    /// The contents. Leaf lock; written by its owner under the folio lock while
    /// the folio is not mapped, or by a user under the PTL of a mapping PTE.
    data: Mutex<Box<[u8]>>,
    /// PTEs mapping a subpage. Changed under the PTL of those PTEs.
    pub mapcount: AtomicU32,
    /// RAM is charged for the folio until it is freed (exactly once).
    charged: AtomicBool,
    /// On the resident LRU (set by whoever pushes it, cleared by the popper).
    pub on_lru: AtomicBool,
}

impl Folio {
    /// A zeroed folio, charged to RAM by the caller.
    pub fn new(order: u32) -> Folio {
        Folio {
            order,
            state: Mutex::new(FolioState::default()),
            data: Mutex::new(vec![0u8; PAGE_SIZE << order].into_boxed_slice()),
            mapcount: AtomicU32::new(0),
            charged: AtomicBool::new(true),
            on_lru: AtomicBool::new(false),
        }
    }

    pub fn nr_pages(&self) -> u32 {
        1 << self.order
    }

    /// Takes the folio lock, sleeping until it is free.
    pub fn lock(&self) -> FolioGuard<'_> {
        lock(&self.state)
    }

    /// Takes the folio lock if it is free (reclaim never sleeps on it).
    pub fn try_lock(&self) -> Option<FolioGuard<'_>> {
        match self.state.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// The contents (leaf lock; see the field's rule).
    pub fn data(&self) -> MutexGuard<'_, Box<[u8]>> {
        lock(&self.data)
    }

    /// Clears the charged mark; true for the one caller that must uncharge.
    pub fn uncharge(&self) -> bool {
        self.charged.swap(false, Ordering::SeqCst)
    }

    pub fn is_charged(&self) -> bool {
        self.charged.load(Ordering::SeqCst)
    }
}
