//! The swap cache of one swap device: slot → folio.
//!
//! A folio is inserted by whoever holds `HAS_CACHE` for its slots (and the
//! folio lock), and deleted by the holder of the folio lock before `HAS_CACHE`
//! is dropped; so "a folio is in the cache for s" implies `HAS_CACHE` on s.
//! The shard locks are leaf locks (Linux's `i_pages` lock).

use super::folio::Folio;
use super::lock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const SHARDS: usize = 16;

#[derive(Default)]
pub struct SwapCache {
    /// Each shard protected by its own lock.
    shards: [Mutex<HashMap<u32, Arc<Folio>>>; SHARDS],
}

impl SwapCache {
    fn shard(&self, slot: u32) -> &Mutex<HashMap<u32, Arc<Folio>>> {
        &self.shards[(slot as usize >> 4) % SHARDS]
    }

    /// The folio caching `slot`, if any (a lookup; the caller must lock the
    /// folio and re-check it still caches `slot` before trusting it).
    pub fn lookup(&self, slot: u32) -> Option<Arc<Folio>> {
        lock(self.shard(slot)).get(&slot).cloned()
    }

    /// Inserts `folio` for its `nr_pages` slots from `slot`.
    /// Preconditions: the caller holds the folio lock and `HAS_CACHE` on every slot.
    pub fn insert(&self, slot: u32, folio: &Arc<Folio>) {
        for i in 0..folio.nr_pages() {
            let old = lock(self.shard(slot + i)).insert(slot + i, folio.clone());
            debug_assert!(old.is_none(), "slot {} already cached", slot + i);
        }
    }

    /// Deletes `folio` from its slots. Precondition: folio lock held.
    pub fn delete(&self, slot: u32, folio: &Arc<Folio>) {
        for i in 0..folio.nr_pages() {
            let old = lock(self.shard(slot + i)).remove(&(slot + i));
            debug_assert!(
                old.as_ref().is_some_and(|f| Arc::ptr_eq(f, folio)),
                "slot {} cached another folio",
                slot + i
            );
        }
    }

    /// Whether `folio` still caches `slot` (re-validation after a lock drop).
    pub fn holds(&self, slot: u32, folio: &Arc<Folio>) -> bool {
        lock(self.shard(slot))
            .get(&slot)
            .is_some_and(|f| Arc::ptr_eq(f, folio))
    }

    /// Every cached (slot, folio), for swapoff.
    pub fn snapshot(&self) -> Vec<(u32, Arc<Folio>)> {
        let mut v = Vec::new();
        for s in &self.shards {
            v.extend(lock(s).iter().map(|(k, f)| (*k, f.clone())));
        }
        v.sort_by_key(|e| e.0);
        v
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
