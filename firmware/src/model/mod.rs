//! The behavioural model of the pagepress device (the `soft` backend), the
//! golden reference of the RTL top level.
//!
//! It implements the contract of `pagepress_abi` the way the RTL does: a BAR0
//! register file laid out as the block chain of `regmap::BLOCKS`, queue pairs
//! whose commands it fetches from host memory by DMA (through the IOVA map of
//! [`pagepress_pcie::DmaSpace`], so a bad address is a `DMA_FAULT`), the command
//! engines of [`engine`], the radix index of [`index`] and the device-memory
//! allocator of [`alloc`]. It runs in worker threads of its own, woken by
//! doorbell writes, and signals completions on per-vector interrupt lines.
//!
//! [`Execution::Inline`] runs the queue in the thread that rings the doorbell
//! instead — same rings, same registers, no thread hand-off — which is how the
//! benchmarks isolate the driver's own cost.
//!
//! Faults are injected deterministically with [`FaultRule`]s.

#![forbid(unsafe_code)]

pub mod alloc;
mod engine;
pub mod fault;
pub mod index;
mod regs;

pub use fault::{FaultAction, FaultRule};

use crate::params::DeviceParams;
use engine::{Core, Engine, EngineParams};
use fault::FaultState;
use pagepress_abi::stats::StatCounter;
use pagepress_pcie::{BackendError, DeviceBackend, DmaRegion, DmaSpace, IrqLine};
use regs::QueueHw;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

/// Where the device's queue engine runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Execution {
    /// Worker threads of the device, woken by doorbells (like hardware).
    Threads,
    /// In the thread that writes the doorbell, before the write returns.
    Inline,
}

/// The model's parameters: what its CAPS report, and test knobs.
#[derive(Clone, Debug)]
pub struct SoftConfig {
    /// Device memory for frames, bytes.
    pub devmem_bytes: u64,
    /// Slots the index holds.
    pub max_slots: u32,
    /// Queue pairs (and interrupt vectors).
    pub num_queues: u32,
    /// log2 of the largest ring.
    pub max_queue_log2: u32,
    /// Largest `nr_pages` per command.
    pub max_nr_pages: u32,
    /// Device-memory allocation unit, bytes (a power of two).
    pub alloc_unit: u32,
    /// Most index nodes in device memory (`None`: as many as the slots need).
    pub index_nodes: Option<usize>,
    /// Worker threads (queue q is served by worker `q % workers`).
    pub workers: u32,
    pub execution: Execution,
    /// How long an idle worker polls before it parks.
    pub idle_poll: Duration,
    /// Faults installed from the start.
    pub faults: Vec<FaultRule>,
    /// IDENTITY / CAPS values (tests set wrong ones to check the driver refuses).
    pub magic: u32,
    pub abi_version: u32,
    pub codec_params: u32,
    pub build_id: u32,
}

impl SoftConfig {
    /// The model of the device built from `p` (what its CAPS report), with
    /// the default execution and test knobs.
    pub fn from_params(p: &DeviceParams) -> Self {
        SoftConfig {
            devmem_bytes: p.devmem_bytes,
            max_slots: p.max_slots,
            num_queues: p.num_queues,
            max_queue_log2: p.max_queue_log2,
            max_nr_pages: p.max_nr_pages,
            alloc_unit: p.alloc_unit,
            index_nodes: Some(p.index_nodes as usize),
            build_id: p.build_id,
            ..SoftConfig::default()
        }
    }
}

impl Default for SoftConfig {
    fn default() -> Self {
        SoftConfig {
            devmem_bytes: 64 << 20,
            max_slots: 1 << 20,
            num_queues: 8,
            max_queue_log2: 12,
            max_nr_pages: 512,
            alloc_unit: 64,
            index_nodes: None,
            workers: 1,
            execution: Execution::Threads,
            idle_poll: Duration::from_micros(50),
            faults: Vec::new(),
            magic: pagepress_abi::DEVICE_MAGIC,
            abi_version: pagepress_abi::ABI_VERSION,
            codec_params: pagepress_abi::format::CODEC_PARAMS,
            build_id: 1,
        }
    }
}

/// Everything the device's threads and the host's register accesses share.
///
/// Locks: each queue's `QueueHw::engine` (held while the queue's commands
/// run) is taken before `Engine::core` / `Engine::faults`; two queue locks are
/// held together only by a register reset, in queue order.
#[derive(Debug)]
pub(crate) struct Shared {
    cfg: SoftConfig,
    engine: Engine,
    /// CONTROL `CTRL` ENABLE.
    enabled: AtomicBool,
    irq_mask: AtomicU32,
    queues: Vec<QueueHw>,
    irqs: Vec<IrqLine>,
    /// STATS block: the high word latched by each counter's low-word read.
    stat_hi_latch: Vec<AtomicU32>,
    workers: OnceLock<Vec<Thread>>,
    shutdown: AtomicBool,
}

/// The soft device. Dropping the last handle stops its threads.
#[derive(Debug)]
pub struct SoftDevice {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl SoftDevice {
    /// Builds the device and starts its workers.
    pub fn new(cfg: SoftConfig) -> Arc<SoftDevice> {
        assert!(
            cfg.alloc_unit.is_power_of_two(),
            "alloc_unit must be a power of two"
        );
        assert!(cfg.num_queues >= 1 && cfg.num_queues <= pagepress_abi::regs::queues::MAX_QUEUES);
        let units = u32::try_from(cfg.devmem_bytes / cfg.alloc_unit as u64)
            .expect("device memory too large for the allocator");
        let max_nodes = cfg
            .index_nodes
            .unwrap_or((cfg.max_slots as usize).div_ceil(64) * 2 + 1024);
        let core = Core {
            index: index::RadixIndex::new(cfg.max_slots, max_nodes),
            alloc: alloc::UnitAllocator::new(units),
            devmem: vec![0u8; units as usize * cfg.alloc_unit as usize],
        };
        let params = EngineParams {
            max_slots: cfg.max_slots,
            max_nr_pages: cfg.max_nr_pages,
            alloc_unit: cfg.alloc_unit,
        };
        let engine = Engine::new(params, core, FaultState::new(&cfg.faults), DmaSpace::new());
        let shared = Arc::new(Shared {
            queues: (0..cfg.num_queues).map(|_| QueueHw::default()).collect(),
            irqs: (0..cfg.num_queues).map(|_| IrqLine::default()).collect(),
            stat_hi_latch: (0..pagepress_abi::stats::STAT_COUNT)
                .map(|_| AtomicU32::new(0))
                .collect(),
            engine,
            enabled: AtomicBool::new(false),
            irq_mask: AtomicU32::new(0),
            workers: OnceLock::new(),
            shutdown: AtomicBool::new(false),
            cfg,
        });
        let mut threads = Vec::new();
        if shared.cfg.execution == Execution::Threads {
            for w in 0..shared.cfg.workers.max(1) {
                let s = Arc::clone(&shared);
                let h = std::thread::Builder::new()
                    .name(format!("pagepress-soft-{w}"))
                    .spawn(move || s.worker(w))
                    .expect("spawn soft device worker");
                threads.push(h);
            }
            let handles = threads.iter().map(|h| h.thread().clone()).collect();
            let _ = shared.workers.set(handles);
        }
        Arc::new(SoftDevice { shared, threads })
    }

    /// Installs a fault rule; it counts commands from now.
    pub fn inject(&self, rule: FaultRule) {
        self.shared.engine.faults().install(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared.engine.faults().clear();
    }

    /// A device counter, read directly.
    pub fn stat(&self, c: StatCounter) -> u64 {
        self.shared.engine.stat(c)
    }

    /// Where the frame of `slot` lives: (device-memory byte address, length).
    /// `None` for an empty or same-filled slot. Counts no index access.
    pub fn frame_location(&self, slot: u32) -> Option<(u64, u32)> {
        let core = self.shared.engine.core();
        match core.index.peek(slot) {
            Some(index::Entry::Compressed { unit, len }) => {
                Some((unit as u64 * self.shared.cfg.alloc_unit as u64, len))
            }
            _ => None,
        }
    }

    /// XORs the device-memory byte at `addr` with `mask` (device-memory
    /// corruption). False if `addr` is outside frame memory.
    pub fn flip_devmem_byte(&self, addr: u64, mask: u8) -> bool {
        let mut core = self.shared.engine.core();
        match core.devmem.get_mut(addr as usize) {
            Some(b) => {
                *b ^= mask;
                true
            }
            None => false,
        }
    }

    /// Flips one byte of the frame stored for `slot` (device-memory
    /// corruption). Returns false if the slot holds no frame.
    pub fn corrupt_stored_frame(&self, slot: u32, byte: usize) -> bool {
        match self.frame_location(slot) {
            Some((at, len)) => self.flip_devmem_byte(at + (byte % len as usize) as u64, 0x5a),
            None => false,
        }
    }

    /// Index nodes in use (for tests).
    pub fn index_nodes_in_use(&self) -> usize {
        self.shared.engine.core().index.nodes_in_use()
    }

    pub fn config(&self) -> &SoftConfig {
        &self.shared.cfg
    }
}

impl Drop for SoftDevice {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        if let Some(ws) = self.shared.workers.get() {
            for w in ws {
                w.unpark();
            }
        }
        for h in self.threads.drain(..) {
            let _ = h.join();
        }
    }
}

impl Shared {
    /// Wakes the worker serving queue `q` (or runs it here when inline).
    fn kick(&self, q: usize) {
        match self.cfg.execution {
            Execution::Inline => while self.service_queue(q) {},
            Execution::Threads => {
                if let Some(ws) = self.workers.get() {
                    ws[q % ws.len()].unpark();
                }
            }
        }
    }

    /// The body of worker `w`.
    fn worker(&self, w: u32) {
        let nworkers = self.cfg.workers.max(1) as usize;
        let mine: Vec<usize> = (0..self.queues.len())
            .filter(|q| q % nworkers == w as usize)
            .collect();
        let mut idle_since = Instant::now();
        let mut idle_polls = 0u32;
        while !self.shutdown.load(Ordering::Acquire) {
            let mut busy = false;
            for &q in &mine {
                busy |= self.service_queue(q);
            }
            if busy {
                idle_since = Instant::now();
                idle_polls = 0;
            } else if idle_polls < 64 {
                idle_polls += 1;
                std::hint::spin_loop();
            } else if idle_since.elapsed() < self.cfg.idle_poll {
                // Keep polling, but let the host's threads have the CPU.
                std::thread::yield_now();
            } else {
                // A doorbell unparks us; the token makes a doorbell that came
                // after the scan above return at once.
                std::thread::park_timeout(Duration::from_millis(100));
                idle_since = Instant::now();
            }
        }
    }
}

impl DeviceBackend for SoftDevice {
    fn name(&self) -> &'static str {
        "soft"
    }

    fn bar0_read(&self, offset: u32) -> u32 {
        self.shared.read_reg(offset)
    }

    fn bar0_write(&self, offset: u32, value: u32) {
        self.shared.write_reg(offset, value)
    }

    fn dma_alloc(&self, len: usize) -> Result<DmaRegion, BackendError> {
        Ok(self.shared.engine.dma.alloc(len.max(1)))
    }

    fn interrupt_count(&self, vector: u32) -> u64 {
        self.shared
            .irqs
            .get(vector as usize)
            .map_or(0, |l| l.count())
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
