//! Model check (shuttle) of the slot-map / swap-cache core.
//!
//! One page and one slot, threads doing skip-swapcache faults, user writes,
//! reclaim (swap-out, to the device or the backing file), writeback and
//! unmap, each following the protocol's steps with shuttle's locks standing
//! in for the cluster lock, the PTL and the index lock, and the real
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
}

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
    clear_cache(w);
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
    let cur = *w.index.lock().unwrap();
    if let Some(e) = cur.filter(|e| e.gen_ == gen_) {
        *w.file.lock().unwrap() = e.data;
        *w.index.lock().unwrap() = None;
    }
    clear_cache(w);
}

/// munmap of the page: a swap entry's count is dropped.
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
        }
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
    let w = World::new(skip_takes_cache);
    let t1 = {
        let w = w.clone();
        thread::spawn(move || {
            fault(&w);
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
fn model_pct() {
    shuttle::check_pct(|| scenario(true, true), 2000, 3);
}

#[test]
#[should_panic(expected = "page lost or stale")]
fn model_skip_path_without_has_cache_loses_updates() {
    shuttle::check_pct(|| scenario(false, false), 20000, 3);
}
