//! An interrupt vector: an event count and a way to sleep on it (the shape of
//! an eventfd wired to an MSI-X vector).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// One vector. The device side calls [`IrqLine::raise`]; host threads read
/// [`IrqLine::count`] and [`IrqLine::wait`] for it to move.
///
/// Locking: `count` and `waiters` are atomics; `lock` only pairs the condvar
/// with a waiter's check, and the device takes it only when someone waits.
#[derive(Debug, Default)]
pub struct IrqLine {
    count: AtomicU64,
    /// Threads in `wait`.
    waiters: AtomicU32,
    lock: Mutex<()>,
    cv: Condvar,
}

impl IrqLine {
    /// Interrupts raised so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Raises the interrupt once.
    pub fn raise(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        // Pairs with the waiter's increment of `waiters` before its check of
        // `count`: one of the two sees the other's write.
        if self.waiters.load(Ordering::SeqCst) > 0 {
            let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.cv.notify_all();
        }
    }

    /// Waits until the count differs from `seen` or `timeout` passes; returns
    /// the count then.
    pub fn wait(&self, seen: u64, timeout: Duration) -> u64 {
        let deadline = Instant::now() + timeout;
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let mut g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let now = self.count.load(Ordering::SeqCst);
            let left = deadline.saturating_duration_since(Instant::now());
            if now != seen || left.is_zero() {
                drop(g);
                self.waiters.fetch_sub(1, Ordering::SeqCst);
                return now;
            }
            g = self
                .cv
                .wait_timeout(g, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_raise_wakes_a_waiter() {
        let line = Arc::new(IrqLine::default());
        let l2 = Arc::clone(&line);
        let t = std::thread::spawn(move || l2.wait(0, Duration::from_secs(10)));
        std::thread::sleep(Duration::from_millis(20));
        line.raise();
        assert_eq!(t.join().unwrap(), 1);
        // A stale `seen` returns at once.
        assert_eq!(line.wait(0, Duration::from_secs(10)), 1);
        // Nothing new: the timeout ends the wait.
        assert_eq!(line.wait(1, Duration::from_millis(10)), 1);
    }
}
