//! Model check (shuttle) of the slot-map / swap-cache core.
//!
//! One page and one slot, threads doing swap-in faults (skip-swapcache, or
//! through the swap cache with an exclusive load), user writes, reclaim
//! (swap-out through the swap cache, to the device or the backing file),
//! writeback and unmap, each following the protocol's steps with shuttle's
//! locks standing in for the cluster lock, the PTL, the index lock and the
//! folio lock, and the real
//! [`SlotState`] transitions (a bad transition panics). Shuttle explores the
//! interleavings; after each, the page must read back as last written and the
//! slot map must agree with the PTE.
//!
//! `model_skip_path_without_has_cache_loses_updates` shows the checker finds
//! race (c) when the skip path does not take `HAS_CACHE`.

use pagepress::swap::slot_map::{PrepareError, SlotState};
use shuttle::sync::Mutex;
use shuttle::thread;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pte {
    None,
    Present(u32),
    Swap,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    data: u32,
    gen_: u64,
}

struct World {
    skip_takes_cache: bool,
    /// The cluster lock over slot 0's map entry.
    slot: Mutex<SlotState>,
    /// The PTL: the PTE and the value last written to the page.
    ptl: Mutex<(Pte, u32)>,
    /// Index lock: the device entry of slot 0 (mirror and device as one).
    index: Mutex<Option<Entry>>,
    /// Slot 0 in the backing file.
    file: Mutex<u32>,
    /// LRU lock: the generation of the entry on the LRU.
    lru: Mutex<Option<u64>>,
    next_gen: Mutex<u64>,
    /// The swap cache of slot 0 (a leaf lock).
    cache: Mutex<Option<Arc<Folio>>>,
}

/// A folio: its lock guards (data, uptodate).
type Folio = Mutex<(u32, bool)>;

impl World {
    fn new(skip_takes_cache: bool) -> Arc<World> {
        let w = Arc::new(World {
            skip_takes_cache,
            slot: Mutex::new(SlotState::FREE),
            ptl: Mutex::new((Pte::Present(7), 7)),
            index: Mutex::new(None),
            file: Mutex::new(0xdead),
            lru: Mutex::new(None),
            next_gen: Mutex::new(1),
            cache: Mutex::new(None),
        });
        reclaim(&w, true);
        assert_eq!(w.ptl.lock().unwrap().0, Pte::Swap);
        w
    }
}

/// A slot that reached `FREEING`: drop the device entry, then make it free.
fn free_slot(w: &World) {
    *w.index.lock().unwrap() = None;
    *w.lru.lock().unwrap() = None;
    w.slot.lock().unwrap().finish_free().unwrap();
}

fn clear_cache(w: &World) {
    let freeing = w.slot.lock().unwrap().clear_cache().unwrap();
    if freeing {
        free_slot(w);
    }
}

/// Swap-in on the skip-swapcache path (order 0, single user), retried.
fn fault(w: &World) {
    for _ in 0..3 {
        let pte = w.ptl.lock().unwrap().0;
        match pte {
            Pte::Present(_) => return,
            Pte::None => {
                let mut p = w.ptl.lock().unwrap();
                if p.0 == Pte::None {
                    *p = (Pte::Present(0), 0);
                }
                return;
            }
            Pte::Swap => {}
        }
        if w.skip_takes_cache {
            match w.slot.lock().unwrap().prepare() {
                Ok(()) => {}
                Err(PrepareError::Busy) | Err(PrepareError::NoEntry) => {
                    thread::yield_now();
                    continue;
                }
            }
        }
        // Non-exclusive read: the device entry if there is one, else the file.
        let data = match *w.index.lock().unwrap() {
            Some(e) => e.data,
            None => *w.file.lock().unwrap(),
        };
        let mut freeing = false;
        {
            let mut p = w.ptl.lock().unwrap();
            if p.0 == Pte::Swap {
                p.0 = Pte::Present(data);
                freeing = w.slot.lock().unwrap().put().unwrap();
            }
        }
        if freeing {
            free_slot(w);
        }
        if w.skip_takes_cache {
            clear_cache(w);
        }
        return;
    }
}

fn write(w: &World, v: u32) {
    let mut p = w.ptl.lock().unwrap();
    if let Pte::Present(_) = p.0 {
        *p = (Pte::Present(v), v);
    }
}

/// Swap-out of the page: allocate the slot (`HAS_CACHE`), unmap under the
/// PTL (count + 1), store to the device or, as a rejected store, the file
/// (after dropping any older entry), then drop `HAS_CACHE`.
fn reclaim(w: &World, to_device: bool) {
    if !matches!(w.ptl.lock().unwrap().0, Pte::Present(_)) {
        return;
    }
    if w.slot.lock().unwrap().alloc().is_err() {
        return;
    }
    // The folio goes into the swap cache, locked, for the whole swap-out.
    let folio: Arc<Folio> = Arc::new(Mutex::new((0, true)));
    let mut g = folio.lock().unwrap();
    *w.cache.lock().unwrap() = Some(folio.clone());
    let data = {
        let mut p = w.ptl.lock().unwrap();
        match p.0 {
            Pte::Present(d) => {
                p.0 = Pte::Swap;
                w.slot.lock().unwrap().dup().unwrap();
                Some(d)
            }
            _ => None,
        }
    };
    if let Some(d) = data {
        g.0 = d;
        if to_device {
            let gen_ = {
                let mut g = w.next_gen.lock().unwrap();
                *g += 1;
                *g
            };
            assert!(
                w.index.lock().unwrap().is_none(),
                "stale device entry on a new slot"
            );
            *w.index.lock().unwrap() = Some(Entry { data: d, gen_ });
            *w.lru.lock().unwrap() = Some(gen_);
        } else {
            *w.index.lock().unwrap() = None;
            *w.file.lock().unwrap() = d;
        }
    }
    *w.cache.lock().unwrap() = None;
    drop(g);
    clear_cache(w);
}

/// Swap-in through the swap cache: a cached folio is locked and re-validated
/// before it is mapped; otherwise `HAS_CACHE` is taken, a folio inserted and
/// the slot read with an exclusive load (the device entry goes once the data
/// is in the cached folio).
fn fault_cache(w: &World) {
    for _ in 0..3 {
        let pte = w.ptl.lock().unwrap().0;
        match pte {
            Pte::Present(_) | Pte::None => return fault(w),
            Pte::Swap => {}
        }
        let cached = w.cache.lock().unwrap().clone();
        if let Some(f) = cached {
            let g = f.lock().unwrap();
            let holds = w
                .cache
                .lock()
                .unwrap()
                .as_ref()
                .is_some_and(|c| Arc::ptr_eq(c, &f));
            if !holds || !g.1 {
                drop(g);
                thread::yield_now();
                continue;
            }
            return map_cached(w, &f, g);
        }
        if w.slot.lock().unwrap().prepare().is_err() {
            thread::yield_now();
            continue;
        }
        let f: Arc<Folio> = Arc::new(Mutex::new((0, false)));
        let mut g = f.lock().unwrap();
        *w.cache.lock().unwrap() = Some(f.clone());
        let exclusive = w.index.lock().unwrap().take();
        g.0 = match exclusive {
            Some(e) => e.data,
            None => *w.file.lock().unwrap(),
        };
        g.1 = true;
        return map_cached(w, &f, g);
    }
}

fn map_cached(w: &World, f: &Arc<Folio>, g: shuttle::sync::MutexGuard<'_, (u32, bool)>) {
    {
        let mut p = w.ptl.lock().unwrap();
        if p.0 == Pte::Swap {
            p.0 = Pte::Present(g.0);
            // HAS_CACHE is held by the cached folio: the slot stays.
            assert!(!w.slot.lock().unwrap().put().unwrap());
        }
    }
    // folio_free_swap: no user left → leave the cache, drop HAS_CACHE.
    if w.slot.lock().unwrap().count() == 0 {
        let mut c = w.cache.lock().unwrap();
        if c.as_ref().is_some_and(|c| Arc::ptr_eq(c, f)) {
            *c = None;
            drop(c);
            drop(g);
            clear_cache(w);
        }
    }
}

/// The shrinker: pop, take `HAS_CACHE` without waiting, re-find the entry by
/// generation, write it to the file, drop it.
fn writeback(w: &World) {
    let Some(gen_) = w.lru.lock().unwrap().take() else {
        return;
    };
    match w.slot.lock().unwrap().prepare() {
        Ok(()) => {}
        Err(PrepareError::Busy) => {
            let mut l = w.lru.lock().unwrap();
            if l.is_none() {
                *l = Some(gen_);
            }
            return;
        }
        Err(PrepareError::NoEntry) => return,
    }
    let folio: Arc<Folio> = Arc::new(Mutex::new((0, false)));
    let g = folio.lock().unwrap();
    *w.cache.lock().unwrap() = Some(folio.clone());
    let cur = *w.index.lock().unwrap();
    if let Some(e) = cur.filter(|e| e.gen_ == gen_) {
        *w.file.lock().unwrap() = e.data;
        *w.index.lock().unwrap() = None;
    }
    *w.cache.lock().unwrap() = None;
    drop(g);
    clear_cache(w);
}

/// munmap of the page: a swap entry's count is dropped; a cached folio left
/// without users is dropped if its lock can be taken without waiting.
fn zap(w: &World) {
    let old = {
        let mut p = w.ptl.lock().unwrap();
        let o = p.0;
        *p = (Pte::None, 0);
        o
    };
    if old == Pte::Swap {
        let freeing = w.slot.lock().unwrap().put().unwrap();
        if freeing {
            free_slot(w);
        } else {
            try_drop_cached(w, false);
        }
    }
}

/// Drops the cached folio if no slot user is left: `__try_to_reclaim_swap`
/// (try-lock) from the free path, or reclaim of a swap-cache folio on the
/// LRU (which happens eventually; modelled once after the threads end).
fn try_drop_cached(w: &World, wait: bool) {
    let Some(f) = w.cache.lock().unwrap().clone() else {
        return;
    };
    let g = if wait {
        f.lock().unwrap()
    } else {
        match f.try_lock() {
            Ok(g) => g,
            Err(_) => return,
        }
    };
    let unused = w.slot.lock().unwrap().count() == 0;
    let mut c = w.cache.lock().unwrap();
    if unused && g.1 && c.as_ref().is_some_and(|c| Arc::ptr_eq(c, &f)) {
        *c = None;
        drop(c);
        drop(g);
        clear_cache(w);
    }
}

fn check(w: &World) {
    let (pte, expected) = *w.ptl.lock().unwrap();
    let st = *w.slot.lock().unwrap();
    let got = match pte {
        Pte::None => 0,
        Pte::Present(d) => d,
        Pte::Swap => match *w.index.lock().unwrap() {
            Some(e) => e.data,
            None => *w.file.lock().unwrap(),
        },
    };
    assert_eq!(got, expected, "page lost or stale (pte {pte:?})");
    if pte == Pte::Swap {
        assert_eq!((st.count(), st.has_cache()), (1, false), "slot map {st:?}");
    } else {
        assert!(st.is_free(), "slot leaked: {st:?}");
        assert!(
            w.index.lock().unwrap().is_none(),
            "device entry of a free slot"
        );
    }
}

fn scenario(skip_takes_cache: bool, with_zap: bool) {
    scenario_with(skip_takes_cache, with_zap, false)
}

fn scenario_with(skip_takes_cache: bool, with_zap: bool, cache_path: bool) {
    let w = World::new(skip_takes_cache);
    let t1 = {
        let w = w.clone();
        thread::spawn(move || {
            if cache_path {
                fault_cache(&w);
            } else {
                fault(&w);
            }
            write(&w, 1);
        })
    };
    let t2 = {
        let w = w.clone();
        thread::spawn(move || {
            fault(&w);
            write(&w, 2);
        })
    };
    let t3 = {
        let w = w.clone();
        thread::spawn(move || {
            reclaim(&w, true);
            reclaim(&w, false);
        })
    };
    let t4 = {
        let w = w.clone();
        thread::spawn(move || {
            writeback(&w);
            if with_zap {
                zap(&w);
            }
        })
    };
    for t in [t1, t2, t3, t4] {
        t.join().unwrap();
    }
    // Reclaim of a swap-cache folio left without users (it is on the LRU).
    try_drop_cached(&w, true);
    check(&w);
}

#[test]
fn model_slot_map_and_swap_cache_core() {
    shuttle::check_random(|| scenario(true, false), 3000);
}

#[test]
fn model_with_unmap() {
    shuttle::check_random(|| scenario(true, true), 3000);
}

#[test]
fn model_swap_cache_path_against_skip_path() {
    shuttle::check_random(|| scenario_with(true, true, true), 3000);
}

#[test]
fn model_pct() {
    shuttle::check_pct(|| scenario(true, true), 2000, 3);
}

#[test]
#[should_panic(expected = "page lost or stale")]
fn model_skip_path_without_has_cache_loses_updates() {
    shuttle::check_pct(|| scenario(false, false), 20000, 3);
}
