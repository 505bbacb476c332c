//! Test pause points, actions, an event log and rule switches.
//!
//! Protocol code calls [`Hooks::point`] at named places where a race can be
//! forced. When no test has armed anything the call is one relaxed atomic load.
//! A test can
//! - [`Hooks::pause_at`] a point: the next thread to reach it parks there until
//!   [`Hooks::release`]; [`Hooks::wait_paused`] blocks the test until a thread
//!   is parked (no sleeps: the interleaving is forced, not hoped for);
//! - [`Hooks::on`] a point: run an action on the thread that reaches it (once);
//! - read the [`Hooks::events`] log the protocol writes at key steps;
//! - [`Hooks::disable`] a [`Rule`] to show what the rule prevents.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// A protocol rule that a test may switch off to show the failure it prevents.
/// Every rule is on unless a test disables it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Rule {
    /// (a) Large-folio swap-in re-checks that all subpages have the same backing
    /// after `HAS_CACHE` is held for the whole range.
    RecheckBackingUnderCache = 1 << 0,
    /// (b) Writeback keeps only the slot, takes `HAS_CACHE` and re-finds the
    /// entry under the index lock before reading it.
    WritebackRevalidates = 1 << 1,
    /// (c) The skip-swapcache swap-in path takes `HAS_CACHE` before reading.
    SkipPathTakesCache = 1 << 2,
    /// (d) Freeing a swap entry holds the device's liveness reference across the
    /// whole operation.
    FreeHoldsDeviceRef = 1 << 3,
    /// (e) Writeback never waits for `HAS_CACHE` held by someone else.
    WritebackNeverWaits = 1 << 4,
    /// A failed store invalidates any older device entry before the data goes
    /// to the backing file.
    FailedStoreInvalidates = 1 << 5,
}

#[derive(Default)]
struct PointState {
    /// Threads still to be paused here.
    arm: u32,
    /// Threads parked here now.
    parked: u32,
    /// Releases granted and not yet consumed.
    released: u32,
    /// Times a thread reached the point (armed or not, counted while active).
    hits: u64,
}

type Action = Arc<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct Inner {
    points: HashMap<&'static str, PointState>,
    actions: HashMap<&'static str, Action>,
    events: Vec<String>,
}

/// Named pause points. Shared by every path of one swap system.
#[derive(Default)]
pub struct Hooks {
    /// Set once a test arms anything; until then `point` is a no-op.
    active: AtomicBool,
    /// Disabled rules (bit set = rule off).
    disabled: AtomicU32,
    inner: Mutex<Inner>,
    cv: Condvar,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("active", &self.active.load(Ordering::Relaxed))
            .finish()
    }
}

impl Hooks {
    pub fn new() -> Arc<Hooks> {
        Arc::new(Hooks::default())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A pause point. Zero cost (one relaxed load) unless a test armed hooks.
    #[inline]
    pub fn point(&self, name: &'static str) {
        if self.active.load(Ordering::Relaxed) {
            self.point_slow(name);
        }
    }

    #[cold]
    fn point_slow(&self, name: &'static str) {
        let mut g = self.lock();
        let action = g.actions.remove(name);
        let st = g.points.entry(name).or_default();
        st.hits += 1;
        if st.arm > 0 {
            st.arm -= 1;
            st.parked += 1;
            self.cv.notify_all();
            loop {
                let st = g.points.get_mut(name).expect("point state");
                if st.released > 0 {
                    st.released -= 1;
                    st.parked -= 1;
                    break;
                }
                g = self.cv.wait(g).unwrap_or_else(PoisonError::into_inner);
            }
        }
        drop(g);
        if let Some(a) = action {
            a();
        }
    }

    /// Parks the next thread that reaches `name`.
    pub fn pause_at(&self, name: &'static str) {
        self.active.store(true, Ordering::SeqCst);
        self.lock().points.entry(name).or_default().arm += 1;
    }

    /// Blocks until a thread is parked at `name`.
    pub fn wait_paused(&self, name: &'static str) {
        let mut g = self.lock();
        while g.points.get(name).is_none_or(|s| s.parked == 0) {
            g = self.cv.wait(g).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Lets one thread parked (or about to park) at `name` continue.
    pub fn release(&self, name: &'static str) {
        self.lock().points.entry(name).or_default().released += 1;
        self.cv.notify_all();
    }

    /// Runs `action` once, on the thread that next reaches `name`.
    pub fn on(&self, name: &'static str, action: impl Fn() + Send + Sync + 'static) {
        self.active.store(true, Ordering::SeqCst);
        self.lock().actions.insert(name, Arc::new(action));
    }

    /// How often `name` was reached since hooks became active.
    pub fn hits(&self, name: &'static str) -> u64 {
        self.lock().points.get(name).map_or(0, |s| s.hits)
    }

    /// Appends to the event log (only while hooks are active).
    pub fn event(&self, what: impl FnOnce() -> String) {
        if self.active.load(Ordering::Relaxed) {
            let e = what();
            self.lock().events.push(e);
        }
    }

    /// Makes the event log record (without arming any point).
    pub fn record_events(&self) {
        self.active.store(true, Ordering::SeqCst);
    }

    /// The event log so far.
    pub fn events(&self) -> Vec<String> {
        self.lock().events.clone()
    }

    /// Switches a rule off (tests showing the failure it prevents).
    pub fn disable(&self, rule: Rule) {
        self.disabled.fetch_or(rule as u32, Ordering::SeqCst);
    }

    /// Whether a rule is followed (always, outside such tests).
    #[inline]
    pub fn rule(&self, rule: Rule) -> bool {
        self.disabled.load(Ordering::Relaxed) & rule as u32 == 0
    }
}
