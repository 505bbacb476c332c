//! One slot-map entry (Linux `swap_map[]` byte) and its state machine.
//!
//! The transitions are pure functions on a [`SlotState`]; the caller holds the
//! lock of the cluster the slot belongs to (see `cluster.rs`). Keeping them pure
//! lets the model check (`tests/model_check.rs`) drive the very same code.
//!
//! States:
//! - free: `0` — allocatable;
//! - in use: `count > 0` (PTEs or other holders reference the entry) and/or
//!   `HAS_CACHE` (a folio for the slot is in, or being put into, the swap cache;
//!   whoever set it owns bringing the slot's data into memory);
//! - `FREEING`: count and cache reached zero, the device entry is being
//!   invalidated; not allocatable until [`SlotState::finish_free`].

/// A slot-map entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SlotState(u8);

/// Largest use count (Linux `SWAP_MAP_MAX`).
pub const COUNT_MAX: u8 = 0x3e;
const COUNT_MASK: u8 = 0x3f;
const HAS_CACHE: u8 = 0x40;
const FREEING: u8 = 0x80;

/// Why `swapcache_prepare` did not give the caller `HAS_CACHE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrepareError {
    /// Someone else holds `HAS_CACHE` (Linux `-EEXIST`): wait for the folio to
    /// show up in the swap cache, or back off and retry; never read the slot.
    Busy,
    /// The entry has no users (freed, being freed, or never allocated; Linux
    /// `-ENOENT`): whoever looked the slot up holds a stale reference.
    NoEntry,
}

/// A transition that would break the slot map (a double free, an underflow).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad swap entry: {0}")]
pub struct BadEntry(pub &'static str);

impl SlotState {
    pub const FREE: SlotState = SlotState(0);

    pub fn count(self) -> u8 {
        self.0 & COUNT_MASK
    }
    pub fn has_cache(self) -> bool {
        self.0 & HAS_CACHE != 0
    }
    pub fn is_free(self) -> bool {
        self.0 == 0
    }
    pub fn is_freeing(self) -> bool {
        self.0 & FREEING != 0
    }
    /// In use: allocated and not on its way to free.
    pub fn in_use(self) -> bool {
        self.count() > 0 || self.has_cache()
    }

    /// Allocation for swap-out: the slot becomes `HAS_CACHE` with count 0 (the
    /// allocating reclaim puts the folio in the swap cache; each PTE it unmaps
    /// then adds one count).
    pub fn alloc(&mut self) -> Result<(), BadEntry> {
        if !self.is_free() {
            return Err(BadEntry("allocating a slot that is not free"));
        }
        self.0 = HAS_CACHE;
        Ok(())
    }

    /// Linux `swapcache_prepare`: take `HAS_CACHE` if the entry is in use and
    /// nobody holds it.
    pub fn prepare(&mut self) -> Result<(), PrepareError> {
        if self.has_cache() {
            Err(PrepareError::Busy)
        } else if self.count() == 0 {
            Err(PrepareError::NoEntry)
        } else {
            self.0 |= HAS_CACHE;
            Ok(())
        }
    }

    /// Drops `HAS_CACHE`. Returns true when the slot has no user left: it is
    /// now `FREEING` and the caller must invalidate its device entry and then
    /// call [`SlotState::finish_free`].
    pub fn clear_cache(&mut self) -> Result<bool, BadEntry> {
        if !self.has_cache() || self.is_freeing() {
            return Err(BadEntry("clearing HAS_CACHE that is not held"));
        }
        self.0 &= !HAS_CACHE;
        Ok(self.begin_free_if_unused())
    }

    /// Adds a user (a PTE now holds the entry). The slot must be in use.
    pub fn dup(&mut self) -> Result<(), BadEntry> {
        if !self.in_use() || self.is_freeing() {
            return Err(BadEntry("duplicating an unused entry"));
        }
        if self.count() >= COUNT_MAX {
            return Err(BadEntry("swap count overflow"));
        }
        self.0 += 1;
        Ok(())
    }

    /// Drops a user (Linux `swap_free`). Returns true when the slot has no user
    /// left (now `FREEING`, as for [`SlotState::clear_cache`]). A put on a count
    /// of zero is a double free.
    pub fn put(&mut self) -> Result<bool, BadEntry> {
        if self.count() == 0 || self.is_freeing() {
            return Err(BadEntry("freeing an entry with no users (double free)"));
        }
        self.0 -= 1;
        Ok(self.begin_free_if_unused())
    }

    fn begin_free_if_unused(&mut self) -> bool {
        if self.0 == 0 {
            self.0 = FREEING;
            true
        } else {
            false
        }
    }

    /// The device entry is gone: the slot becomes allocatable.
    pub fn finish_free(&mut self) -> Result<(), BadEntry> {
        if self.0 != FREEING {
            return Err(BadEntry("finishing a free that did not begin"));
        }
        self.0 = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        let mut s = SlotState::FREE;
        s.alloc().unwrap();
        assert!(s.has_cache() && s.count() == 0);
        s.dup().unwrap();
        assert_eq!(s.clear_cache(), Ok(false));
        assert_eq!(s.prepare(), Ok(()));
        assert_eq!(s.prepare(), Err(PrepareError::Busy));
        assert_eq!(s.put(), Ok(false));
        assert_eq!(s.prepare(), Err(PrepareError::Busy));
        assert_eq!(s.clear_cache(), Ok(true));
        assert!(s.is_freeing() && !s.is_free());
        assert_eq!(s.prepare(), Err(PrepareError::NoEntry));
        assert!(s.put().is_err());
        assert!(s.alloc().is_err());
        s.finish_free().unwrap();
        assert!(s.is_free());
    }

    #[test]
    fn double_free_is_caught() {
        let mut s = SlotState::FREE;
        s.alloc().unwrap();
        s.dup().unwrap();
        s.clear_cache().unwrap();
        assert_eq!(s.put(), Ok(true));
        assert!(s.put().is_err());
    }
}
