//! [`SimDevice`]: a harnessed device as a `pagepress_pcie::DeviceBackend`.
//!
//! The harness sits behind a mutex. A clock thread runs it in batches of
//! cycles while the device is busy and parks when it is quiescent; a register
//! write unparks it. Host threads take the same mutex for each BAR access
//! (whose handshake cycles they run themselves); a host thread announces
//! itself in `waiting`, the clock thread ends its batch at the next cycle and
//! lets it in, so a BAR access waits about one cycle's worth of simulation,
//! not a batch.
//!
//! A device that fails (a register access without an answer, a protocol
//! error) is dead from then on, as a surprise-removed PCIe function: BAR0
//! reads return all ones, writes are dropped, the clock stops.
//! [`SimDevice::failure`] says why.

use super::device_harness::DeviceHarness;
use super::ports::DevicePorts;
use super::{HarnessConfig, HarnessError, SimStats};
use pagepress_pcie::{BackendError, DeviceBackend, DmaRegion, DmaSpace, IrqLine};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// Most cycles the clock thread runs per hold of the lock.
const BATCH_CYCLES: u64 = 4096;

/// What a BAR0 read of a dead device returns (a PCIe master abort).
const DEAD_READ: u32 = u32::MAX;

#[derive(Debug)]
struct State<P: DevicePorts> {
    harness: DeviceHarness<P>,
    /// The first failure; the device is dead once set.
    failure: Option<HarnessError>,
}

#[derive(Debug)]
struct Shared<P: DevicePorts> {
    state: Mutex<State<P>>,
    space: DmaSpace,
    irqs: Arc<[IrqLine]>,
    /// Host threads waiting for `state`.
    waiting: AtomicUsize,
    stop: AtomicBool,
}

/// The `sim` backend: a device behind [`DevicePorts`] (the Verilated RTL), its
/// harness and a clock thread. Dropping it stops the thread.
#[derive(Debug)]
pub struct SimDevice<P: DevicePorts + 'static> {
    shared: Arc<Shared<P>>,
    clock: Option<JoinHandle<()>>,
}

impl<P: DevicePorts + 'static> SimDevice<P> {
    /// Harnesses `ports` with `cfg` and starts the clock.
    pub fn new(ports: P, cfg: HarnessConfig) -> Arc<Self> {
        let harness = DeviceHarness::new(ports, cfg);
        let shared = Arc::new(Shared {
            space: harness.dma_space().clone(),
            irqs: Arc::clone(harness.irq_lines()),
            state: Mutex::new(State {
                harness,
                failure: None,
            }),
            waiting: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let clock = std::thread::Builder::new()
            .name("pagepress-sim-clock".into())
            .spawn(move || s.clock())
            .expect("spawn the sim clock thread");
        Arc::new(SimDevice {
            shared,
            clock: Some(clock),
        })
    }

    /// Runs `f` on the harness, holding the clock (inspection, device-memory
    /// corruption, latency changes), then lets the clock look again.
    pub fn with_harness<R>(&self, f: impl FnOnce(&mut DeviceHarness<P>) -> R) -> R {
        let r = f(&mut self.shared.lock().harness);
        self.wake_clock();
        r
    }

    /// Cycle figures so far.
    pub fn stats(&self) -> SimStats {
        self.shared.lock().harness.stats()
    }

    /// Why the device died, if it did.
    pub fn failure(&self) -> Option<HarnessError> {
        self.shared.lock().failure.clone()
    }

    fn wake_clock(&self) {
        if let Some(c) = &self.clock {
            c.thread().unpark();
        }
    }
}

impl<P: DevicePorts> Shared<P> {
    /// The harness, ahead of the clock thread's next batch.
    fn lock(&self) -> MutexGuard<'_, State<P>> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        g
    }

    /// The clock thread.
    fn clock(&self) {
        while !self.stop.load(Ordering::Acquire) {
            let busy = {
                let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if st.failure.is_some() {
                    false
                } else {
                    let waiting = || self.waiting.load(Ordering::Relaxed) != 0;
                    match st.harness.run_while_busy(BATCH_CYCLES, waiting) {
                        Ok(quiescent) => !quiescent,
                        Err(e) => {
                            st.failure = Some(e);
                            false
                        }
                    }
                }
            };
            if busy {
                // Let the waiting host threads have the lock first.
                while self.waiting.load(Ordering::Relaxed) != 0
                    && !self.stop.load(Ordering::Relaxed)
                {
                    std::thread::yield_now();
                }
            } else {
                // A register write (or the drop) unparks; an unpark that came
                // since the check above makes this return at once.
                std::thread::park();
            }
        }
    }
}

impl<P: DevicePorts + 'static> Drop for SimDevice<P> {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(c) = self.clock.take() {
            c.thread().unpark();
            let _ = c.join();
        }
    }
}

impl<P: DevicePorts + 'static> DeviceBackend for SimDevice<P> {
    fn name(&self) -> &'static str {
        "sim"
    }

    fn bar0_read(&self, offset: u32) -> u32 {
        let mut st = self.shared.lock();
        if st.failure.is_some() {
            return DEAD_READ;
        }
        match st.harness.reg_read(offset) {
            Ok(v) => v,
            Err(e) => {
                st.failure = Some(e);
                DEAD_READ
            }
        }
    }

    fn bar0_write(&self, offset: u32, value: u32) {
        {
            let mut st = self.shared.lock();
            if st.failure.is_some() {
                return;
            }
            if let Err(e) = st.harness.reg_write(offset, value) {
                st.failure = Some(e);
                return;
            }
        }
        self.wake_clock();
    }

    fn dma_alloc(&self, len: usize) -> Result<DmaRegion, BackendError> {
        Ok(self.shared.space.alloc(len.max(1)))
    }

    fn interrupt_count(&self, vector: u32) -> u64 {
        self.shared
            .irqs
            .get(vector as usize)
            .map_or(0, IrqLine::count)
    }

    fn wait_interrupt(&self, vector: u32, seen: u64, timeout: Duration) -> u64 {
        match self.shared.irqs.get(vector as usize) {
            Some(l) => l.wait(seen, timeout),
            None => {
                std::thread::sleep(timeout);
                0
            }
        }
    }
}
