//! [`DeviceClient`]: the driver's side of the device, as a [`CompressedPool`].
//!
//! Opening: walk the BAR0 register-block chain from offset 0 (finding blocks
//! by TYPE, never by a fixed offset), check IDENTITY's magic and ABI major and
//! CAPS' codec parameters, reset the device, allocate and program the rings of
//! each queue pair, enable them, enable the device.
//!
//! Data path: each pool call picks the calling thread's queue pair (threads are
//! numbered on first use and spread round-robin over the queues), copies the
//! pages into that queue's DMA bounce buffer (one extra copy of every page in
//! each direction, the price of not pinning the caller's memory), submits one
//! command and waits for its completion.
//!
//! Fallbacks, each counted in [`HostCounter`] (zswap's `reject_*` style):
//! - LOAD / READ_FOR_WRITEBACK completes `CORRUPT`: fetch each page's stored
//!   frame with `LOAD | RAW_FRAME` and decode it on the CPU with
//!   `decompress_any`; for an exclusive load, then INVALIDATE the range.
//! - A command times out: its command slot is abandoned (the late completion is
//!   discarded when it comes). A timed-out STORE is followed by an INVALIDATE of
//!   its range on the same queue — queues execute in order, so it runs after
//!   the STORE and no entry of the range survives — and `Timeout` is returned
//!   so the caller keeps the page. A timed-out exclusive LOAD that the device
//!   completes later has removed its entries: the reaper keeps the pages it
//!   delivered on the host ([`RescuedPages`]); loads of those slots are served
//!   from there and a store or invalidate of them drops them.
//! - A request longer than the device's `MAX_NR_PAGES` is split; a failure in a
//!   later part invalidates the earlier parts (STORE stays all-or-nothing) and
//!   an exclusive LOAD is done as plain LOADs followed by one INVALIDATE.

use super::DeviceError;
use super::queue::{QueuePair, Request, RescuedPages};
use crate::pool::{CompressedPool, DeviceStats, PoolError, StoreInfo};
use pagepress_abi::desc::{CMD_FLAG_EXCLUSIVE, CMD_FLAG_RAW_FRAME, COMMAND_SIZE, COMPLETION_SIZE};
use pagepress_abi::format::{CODEC_PARAMS, MAX_FRAME_SIZE, PAGE_SIZE};
use pagepress_abi::regs::{self, caps, control, header, identity, queues};
use pagepress_abi::stats::{STAT_COUNT, STATS_SNAPSHOT_SIZE};
use pagepress_abi::{ABI_VERSION_MAJOR, DEVICE_MAGIC, Opcode};
use pagepress_codec::decompress_any;
use pagepress_pcie::DeviceBackend;
use pagepress_pcie::ring::{CompletionRing, SubmissionRing};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Host-side counters of fallbacks and transport events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum HostCounter {
    /// Pages the device reported CORRUPT that were decoded on the CPU.
    CorruptCpuDecoded,
    /// Pages whose raw frame did not decode on the CPU either (reported as
    /// `PoolError::Corrupt`).
    CorruptLost,
    /// Commands abandoned at their deadline.
    Timeouts,
    /// INVALIDATEs issued after a timed-out STORE.
    StoreTimeoutInvalidates,
    /// Of those, ones that did not complete either.
    StoreTimeoutInvalidateFailed,
    /// Completions of abandoned commands, discarded when they arrived.
    LateCompletionsDiscarded,
    /// Completions naming no command in flight.
    StrayCompletions,
    /// Requests split because they exceed the device's `MAX_NR_PAGES`.
    SplitRequests,
    /// Exclusive LOADs that completed after their timeout: their pages
    /// (removed from the device) are kept on the host.
    LateExclusiveLoadsRescued,
    /// Pages served from the host's rescued pages.
    RescuedPagesServed,
}

impl HostCounter {
    pub const ALL: [HostCounter; 10] = [
        HostCounter::CorruptCpuDecoded,
        HostCounter::CorruptLost,
        HostCounter::Timeouts,
        HostCounter::StoreTimeoutInvalidates,
        HostCounter::StoreTimeoutInvalidateFailed,
        HostCounter::LateCompletionsDiscarded,
        HostCounter::StrayCompletions,
        HostCounter::SplitRequests,
        HostCounter::LateExclusiveLoadsRescued,
        HostCounter::RescuedPagesServed,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            HostCounter::CorruptCpuDecoded => "reject_corrupt_cpu_decoded",
            HostCounter::CorruptLost => "reject_corrupt_lost",
            HostCounter::Timeouts => "reject_timeout",
            HostCounter::StoreTimeoutInvalidates => "store_timeout_invalidate",
            HostCounter::StoreTimeoutInvalidateFailed => "store_timeout_invalidate_failed",
            HostCounter::LateCompletionsDiscarded => "late_completion_discarded",
            HostCounter::StrayCompletions => "stray_completion",
            HostCounter::SplitRequests => "split_request",
            HostCounter::LateExclusiveLoadsRescued => "late_exclusive_load_rescued",
            HostCounter::RescuedPagesServed => "rescued_page_served",
        }
    }
}

/// The host counters of one client (lock-free; any thread adds).
#[derive(Debug, Default)]
pub struct HostCounters([AtomicU64; HostCounter::ALL.len()]);

impl HostCounters {
    pub fn add(&self, c: HostCounter, n: u64) {
        self.0[c as usize].fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self, c: HostCounter) -> u64 {
        self.0[c as usize].load(Ordering::Relaxed)
    }
}

/// Driver-side choices when opening a device.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Queue pairs wanted (capped by the device's `NUM_QUEUES`).
    pub queues: u32,
    /// log2 of the ring entries wanted (capped by `MAX_QUEUE_LOG2`, at least 1).
    pub queue_log2: u32,
    /// How long one command may take before it is abandoned.
    pub command_timeout: Duration,
    /// How long the INVALIDATE that follows a timed-out STORE may take. It
    /// queues behind the STORE, so it may wait for that one to finish first.
    pub cleanup_timeout: Duration,
    /// How long a waiter polls its completion ring before it sleeps on the
    /// interrupt.
    pub spin: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            queues: 4,
            queue_log2: 6,
            command_timeout: Duration::from_secs(5),
            cleanup_timeout: Duration::from_secs(10),
            spin: Duration::from_micros(30),
        }
    }
}

/// One block of the BAR0 chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    pub block_type: u32,
    pub version: u32,
    pub base: u32,
}

/// The device's capabilities as read from CAPS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceCaps {
    pub num_queues: u32,
    pub max_queue_log2: u32,
    pub devmem_bytes: u64,
    pub max_slots: u32,
    pub max_nr_pages: u32,
    pub codec_params: u32,
    pub engines: u32,
    pub index_levels: u32,
    pub alloc_unit: u32,
    pub device_kind: u32,
    pub abi_version: u32,
}

/// Walks the BAR0 block chain from offset 0.
pub fn walk_chain(backend: &dyn DeviceBackend) -> Result<Vec<BlockInfo>, DeviceError> {
    let mut blocks = Vec::new();
    let mut base = 0u32;
    loop {
        if !base.is_multiple_of(4) || base + header::NEXT + 4 > regs::BAR0_SIZE {
            return Err(DeviceError::BadChain(format!(
                "block offset {base:#x} outside BAR0"
            )));
        }
        if blocks.iter().any(|b: &BlockInfo| b.base == base) || blocks.len() > 64 {
            return Err(DeviceError::BadChain(format!("loop at {base:#x}")));
        }
        let block_type = backend.bar0_read(base + header::TYPE);
        let version = backend.bar0_read(base + header::VERSION);
        let next = backend.bar0_read(base + header::NEXT);
        blocks.push(BlockInfo {
            block_type,
            version,
            base,
        });
        if next == 0 {
            return Ok(blocks);
        }
        base = next;
    }
}

fn find(blocks: &[BlockInfo], block_type: u32, name: &'static str) -> Result<u32, DeviceError> {
    blocks
        .iter()
        .find(|b| b.block_type == block_type)
        .map(|b| b.base)
        .ok_or(DeviceError::MissingBlock(name))
}

/// Numbers threads on first use, to spread them over the queues.
static NEXT_THREAD_INDEX: AtomicUsize = AtomicUsize::new(0);
thread_local! {
    static THREAD_INDEX: usize = NEXT_THREAD_INDEX.fetch_add(1, Ordering::Relaxed);
    static THREAD_QUEUE_OVERRIDE: std::cell::Cell<Option<usize>> =
        const { std::cell::Cell::new(None) };
}

/// Pins the calling thread to queue `index` (modulo the queue count) of every
/// client, e.g. one queue per CPU; `None` returns to round-robin numbering.
pub fn set_thread_queue(index: Option<usize>) {
    THREAD_QUEUE_OVERRIDE.with(|o| o.set(index));
}

/// The driver's handle on one device. Shared by all threads.
pub struct DeviceClient {
    backend: Arc<dyn DeviceBackend>,
    caps: DeviceCaps,
    control_base: u32,
    stats_base: u32,
    queues: Vec<QueuePair>,
    counters: Arc<HostCounters>,
    /// Pages of late exclusive LOADs (see [`RescuedPages`]).
    rescued: Arc<RescuedPages>,
    command_timeout: Duration,
    cleanup_timeout: Duration,
}

impl std::fmt::Debug for DeviceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceClient")
            .field("backend", &self.backend.name())
            .field("caps", &self.caps)
            .field("queues", &self.queues.len())
            .finish()
    }
}

impl DeviceClient {
    /// Finds, checks, resets and enables the device behind `backend`.
    pub fn open(backend: Arc<dyn DeviceBackend>, cfg: &ClientConfig) -> Result<Self, DeviceError> {
        let b = &*backend;
        let blocks = walk_chain(b)?;
        let id = find(&blocks, regs::BLOCK_TYPE_IDENTITY, "IDENTITY")?;
        let caps_base = find(&blocks, regs::BLOCK_TYPE_CAPS, "CAPS")?;
        let control_base = find(&blocks, regs::BLOCK_TYPE_CONTROL, "CONTROL")?;
        let stats_base = find(&blocks, regs::BLOCK_TYPE_STATS, "STATS")?;
        let queues_base = find(&blocks, regs::BLOCK_TYPE_QUEUES, "QUEUES")?;

        let magic = b.bar0_read(id + identity::MAGIC);
        if magic != DEVICE_MAGIC {
            return Err(DeviceError::BadMagic {
                found: magic,
                expected: DEVICE_MAGIC,
            });
        }
        let abi_version = b.bar0_read(id + identity::ABI_VERSION);
        let major = (abi_version >> 16) as u16;
        if major != ABI_VERSION_MAJOR {
            return Err(DeviceError::AbiMismatch {
                device: major,
                driver: ABI_VERSION_MAJOR,
            });
        }
        let rd = |off: u32| b.bar0_read(caps_base + off);
        let caps = DeviceCaps {
            num_queues: rd(caps::NUM_QUEUES),
            max_queue_log2: rd(caps::MAX_QUEUE_LOG2),
            devmem_bytes: rd(caps::DEVMEM_SIZE_LO) as u64 | (rd(caps::DEVMEM_SIZE_HI) as u64) << 32,
            max_slots: rd(caps::MAX_SLOTS),
            max_nr_pages: rd(caps::MAX_NR_PAGES),
            codec_params: rd(caps::CODEC_PARAMS),
            engines: rd(caps::ENGINES),
            index_levels: rd(caps::INDEX_LEVELS),
            alloc_unit: rd(caps::ALLOC_UNIT),
            device_kind: b.bar0_read(id + identity::DEVICE_KIND),
            abi_version,
        };
        if caps.codec_params != CODEC_PARAMS {
            return Err(DeviceError::CodecMismatch {
                device: caps.codec_params,
                driver: CODEC_PARAMS,
            });
        }
        let window_count = b.bar0_read(queues_base + queues::COUNT);
        let stride = b.bar0_read(queues_base + queues::STRIDE);
        let nq = cfg.queues.min(caps.num_queues).min(window_count);
        if nq == 0 || caps.max_slots == 0 || caps.max_nr_pages == 0 || caps.max_queue_log2 == 0 {
            return Err(DeviceError::NoCapacity);
        }

        // Reset: the device drops every entry and disables every queue.
        b.bar0_write(control_base + control::CTRL, control::CTRL_RESET);
        let reset_deadline = Instant::now() + Duration::from_secs(2);
        while b.bar0_read(control_base + control::CTRL) & control::CTRL_RESET != 0 {
            if Instant::now() >= reset_deadline {
                return Err(DeviceError::ResetTimeout);
            }
            std::thread::yield_now();
        }
        let status = b.bar0_read(control_base + control::STATUS);
        if status & control::STATUS_READY == 0 || status & control::STATUS_FATAL != 0 {
            return Err(DeviceError::NotReady(status));
        }

        let log2 = cfg.queue_log2.clamp(1, caps.max_queue_log2);
        let counters = Arc::new(HostCounters::default());
        let rescued = Arc::new(RescuedPages::default());
        let mut qps = Vec::with_capacity(nq as usize);
        for q in 0..nq {
            let window = queues_base + queues::FIRST + q * stride;
            let sq_region = backend.dma_alloc(COMMAND_SIZE << log2)?;
            let cq_region = backend.dma_alloc(COMPLETION_SIZE << log2)?;
            let sq = SubmissionRing::new(sq_region, log2);
            let cq = CompletionRing::new(cq_region, log2);
            let w = |reg: u32, v: u32| b.bar0_write(window + reg, v);
            w(queues::ENABLE, 0);
            w(queues::SQ_BASE_LO, sq.iova() as u32);
            w(queues::SQ_BASE_HI, (sq.iova() >> 32) as u32);
            w(queues::SQ_SIZE_LOG2, log2);
            w(queues::CQ_BASE_LO, cq.iova() as u32);
            w(queues::CQ_BASE_HI, (cq.iova() >> 32) as u32);
            w(queues::CQ_SIZE_LOG2, log2);
            w(queues::IRQ_VECTOR, q);
            w(queues::ENABLE, 1);
            let qstatus = b.bar0_read(window + queues::QSTATUS);
            if qstatus & queues::QSTATUS_ENABLED == 0 || qstatus & queues::QSTATUS_ERROR != 0 {
                return Err(DeviceError::QueueSetup { queue: q, qstatus });
            }
            qps.push(QueuePair::new(
                q,
                window,
                q,
                Arc::clone(&backend),
                Arc::clone(&counters),
                Arc::clone(&rescued),
                sq,
                cq,
                cfg.spin,
            ));
        }
        b.bar0_write(control_base + control::IRQ_MASK, 0);
        b.bar0_write(control_base + control::CTRL, control::CTRL_ENABLE);

        Ok(DeviceClient {
            backend,
            caps,
            control_base,
            stats_base,
            queues: qps,
            counters,
            rescued,
            command_timeout: cfg.command_timeout,
            cleanup_timeout: cfg.cleanup_timeout,
        })
    }

    pub fn caps(&self) -> &DeviceCaps {
        &self.caps
    }

    pub fn queue_count(&self) -> usize {
        self.queues.len()
    }

    pub fn counters(&self) -> &HostCounters {
        &self.counters
    }

    /// The calling thread's queue pair.
    fn queue(&self) -> &QueuePair {
        let i = THREAD_QUEUE_OVERRIDE
            .with(|o| o.get())
            .unwrap_or_else(|| THREAD_INDEX.with(|i| *i));
        &self.queues[i % self.queues.len()]
    }

    /// Queue pair `q` (tests drive a chosen queue).
    pub fn queue_pair(&self, q: usize) -> &QueuePair {
        &self.queues[q]
    }

    fn exec(
        &self,
        q: &QueuePair,
        op: Opcode,
        req: Request<'_>,
        out: Option<&mut [u8]>,
    ) -> Result<(u32, u32), PoolError> {
        let c = q.execute(op, req, out, self.command_timeout)?;
        match PoolError::from_status(c.status, c.info) {
            None => Ok((c.result, c.info)),
            Some(e) => Err(e),
        }
    }

    /// One NOP round trip on the calling thread's queue.
    pub fn nop(&self) -> Result<(), PoolError> {
        self.exec(self.queue(), Opcode::Nop, Request::default(), None)
            .map(|_| ())
    }

    /// Issues a raw command on the calling thread's queue and returns the
    /// completion as is (tests of status codes use it).
    pub fn raw_command(
        &self,
        op: Opcode,
        req: Request<'_>,
        out: Option<&mut [u8]>,
    ) -> Result<pagepress_abi::Completion, PoolError> {
        self.queue().execute(op, req, out, self.command_timeout)
    }

    /// RESET command: the device drops every entry.
    pub fn reset_entries(&self) -> Result<(), PoolError> {
        self.exec(self.queue(), Opcode::Reset, Request::default(), None)
            .map(|_| ())
    }

    /// The counters read from the STATS register block (LO then HI).
    pub fn stats_from_registers(&self) -> DeviceStats {
        DeviceStats(pagepress_pcie::raw_queue::read_counters(
            &*self.backend,
            self.stats_base,
        ))
    }

    /// The device's CONTROL `STATUS` register.
    pub fn device_status(&self) -> u32 {
        self.backend.bar0_read(self.control_base + control::STATUS)
    }

    fn max_nr(&self) -> usize {
        self.caps.max_nr_pages.min(u16::MAX as u32) as usize
    }

    /// One STORE of at most `MAX_NR_PAGES` whole pages.
    fn store_part(&self, q: &QueuePair, slot: u32, pages: &[u8]) -> Result<StoreInfo, PoolError> {
        debug_assert!(pages.len().is_multiple_of(PAGE_SIZE) && !pages.is_empty());
        debug_assert!(pages.len() / PAGE_SIZE <= self.max_nr());
        let nr = (pages.len() / PAGE_SIZE) as u16;
        let req = Request {
            slot,
            nr_pages: nr,
            input: Some(pages),
            ..Default::default()
        };
        match self.exec(q, Opcode::Store, req, None) {
            Ok((bytes, same)) => Ok(StoreInfo {
                compressed_bytes: bytes,
                same_filled: same,
            }),
            Err(PoolError::Timeout) => {
                // The STORE may still run; an INVALIDATE behind it on the same
                // queue removes whatever it stores.
                self.counters.add(HostCounter::StoreTimeoutInvalidates, 1);
                let req = Request {
                    slot,
                    nr_pages: nr,
                    ..Default::default()
                };
                let c = q.execute(Opcode::Invalidate, req, None, self.cleanup_timeout);
                if c.is_err() {
                    self.counters
                        .add(HostCounter::StoreTimeoutInvalidateFailed, 1);
                }
                Err(PoolError::Timeout)
            }
            Err(e) => Err(e),
        }
    }

    /// One INVALIDATE of `1 ..= MAX_NR_PAGES` slots.
    fn invalidate_part(&self, q: &QueuePair, slot: u32, nr: u32) -> Result<u32, PoolError> {
        debug_assert!(nr >= 1 && nr as usize <= self.max_nr());
        let req = Request {
            slot,
            nr_pages: nr as u16,
            ..Default::default()
        };
        self.exec(q, Opcode::Invalidate, req, None).map(|(n, _)| n)
    }

    fn invalidate_on(&self, q: &QueuePair, slot: u32, nr: u32) -> Result<u32, PoolError> {
        let mut removed = 0;
        let max = self.max_nr() as u32;
        let mut done = 0;
        while done < nr {
            let part = (nr - done).min(max);
            removed += self.invalidate_part(q, slot.wrapping_add(done), part)?;
            done += part;
        }
        Ok(removed)
    }

    /// LOAD or READ_FOR_WRITEBACK of one part, with the CPU fallback on CORRUPT.
    fn load_part(
        &self,
        q: &QueuePair,
        op: Opcode,
        slot: u32,
        out: &mut [u8],
        exclusive: bool,
    ) -> Result<(), PoolError> {
        debug_assert!(out.len().is_multiple_of(PAGE_SIZE) && !out.is_empty());
        debug_assert!(out.len() / PAGE_SIZE <= self.max_nr());
        let nr = out.len() / PAGE_SIZE;
        let req = Request {
            flags: if exclusive { CMD_FLAG_EXCLUSIVE } else { 0 },
            slot,
            nr_pages: nr as u16,
            output_len: out.len(),
            ..Default::default()
        };
        match self.exec(q, op, req, Some(out)) {
            Err(PoolError::Corrupt { .. }) => {
                self.cpu_decode(q, slot, out)?;
                if exclusive {
                    self.invalidate_part(q, slot, nr as u32)?;
                }
                Ok(())
            }
            other => other.map(|_| ()),
        }
    }

    /// Fetches every page's stored frame and decodes it on the CPU.
    fn cpu_decode(&self, q: &QueuePair, slot: u32, out: &mut [u8]) -> Result<(), PoolError> {
        let mut frame = vec![0u8; MAX_FRAME_SIZE];
        for (i, page) in out.chunks_exact_mut(PAGE_SIZE).enumerate() {
            let req = Request {
                flags: CMD_FLAG_RAW_FRAME,
                slot: slot + i as u32,
                nr_pages: 1,
                len: MAX_FRAME_SIZE as u32,
                output_len: MAX_FRAME_SIZE,
                ..Default::default()
            };
            let (len, _) = self
                .exec(q, Opcode::Load, req, Some(&mut frame))
                .map_err(|e| with_page_offset(e, i as u32))?;
            let len = (len as usize).min(MAX_FRAME_SIZE);
            let page: &mut [u8; PAGE_SIZE] = page.try_into().expect("chunks_exact of PAGE_SIZE");
            match decompress_any(&frame[..len], page) {
                Ok(_) => self.counters.add(HostCounter::CorruptCpuDecoded, 1),
                Err(_) => {
                    self.counters.add(HostCounter::CorruptLost, 1);
                    return Err(PoolError::Corrupt { page: i as u32 });
                }
            }
        }
        Ok(())
    }

    fn load_range(
        &self,
        op: Opcode,
        slot: u32,
        out: &mut [u8],
        exclusive: bool,
    ) -> Result<(), PoolError> {
        if out.is_empty() || !out.len().is_multiple_of(PAGE_SIZE) {
            return Err(PoolError::BadCommand);
        }
        let q = self.queue();
        let nr = (out.len() / PAGE_SIZE) as u32;
        if self.rescued.any_in(slot, nr) {
            return self.load_with_rescued(q, op, slot, out, exclusive);
        }
        let part_bytes = self.max_nr() * PAGE_SIZE;
        if out.len() <= part_bytes {
            return match self.load_part(q, op, slot, out, exclusive) {
                // A late exclusive LOAD of this slot on this queue completed
                // ahead of this one (queues run in order): its pages are on
                // the host now.
                Err(PoolError::NotFound { .. }) if self.rescued.any_in(slot, nr) => {
                    self.load_with_rescued(q, op, slot, out, exclusive)
                }
                other => other,
            };
        }
        self.counters.add(HostCounter::SplitRequests, 1);
        for (k, part) in out.chunks_mut(part_bytes).enumerate() {
            let first = (k * self.max_nr()) as u32;
            self.load_part(q, op, slot + first, part, false)
                .map_err(|e| with_page_offset(e, first))?;
        }
        if exclusive {
            self.invalidate_on(q, slot, (out.len() / PAGE_SIZE) as u32)?;
        }
        Ok(())
    }
}

impl DeviceClient {
    /// A load whose range holds rescued pages: those come from the host, the
    /// others from the device one by one.
    fn load_with_rescued(
        &self,
        q: &QueuePair,
        op: Opcode,
        slot: u32,
        out: &mut [u8],
        exclusive: bool,
    ) -> Result<(), PoolError> {
        let take = exclusive && op == Opcode::Load;
        // Device pages first, so that a failure leaves the rescued ones.
        let mut from_host = Vec::new();
        for (i, page) in out.chunks_exact_mut(PAGE_SIZE).enumerate() {
            let s = slot + i as u32;
            if self.rescued.copy_out(s, page, false) {
                from_host.push(s);
            } else {
                self.load_part(q, op, s, page, false)
                    .map_err(|e| with_page_offset(e, i as u32))?;
            }
        }
        if take {
            for (i, _) in out.chunks_exact(PAGE_SIZE).enumerate() {
                let s = slot + i as u32;
                if !from_host.contains(&s) {
                    self.invalidate_part(q, s, 1)?;
                }
            }
            self.rescued.supersede(slot, (out.len() / PAGE_SIZE) as u32);
        }
        self.counters
            .add(HostCounter::RescuedPagesServed, from_host.len() as u64);
        Ok(())
    }
}

/// Shifts the page index of an error from a part of a split request.
fn with_page_offset(e: PoolError, off: u32) -> PoolError {
    match e {
        PoolError::Incompressible { page } => PoolError::Incompressible { page: page + off },
        PoolError::NoSpace { page } => PoolError::NoSpace { page: page + off },
        PoolError::NotFound { page } => PoolError::NotFound { page: page + off },
        PoolError::Corrupt { page } => PoolError::Corrupt { page: page + off },
        other => other,
    }
}

impl CompressedPool for DeviceClient {
    fn store(&self, slot: u32, pages: &[u8]) -> Result<StoreInfo, PoolError> {
        if pages.is_empty() || !pages.len().is_multiple_of(PAGE_SIZE) {
            return Err(PoolError::BadCommand);
        }
        let q = self.queue();
        // New data supersedes any rescued page of the range.
        self.rescued
            .supersede(slot, (pages.len() / PAGE_SIZE) as u32);
        let part_bytes = self.max_nr() * PAGE_SIZE;
        if pages.len() <= part_bytes {
            return self.store_part(q, slot, pages);
        }
        self.counters.add(HostCounter::SplitRequests, 1);
        let mut total = StoreInfo::default();
        for (k, part) in pages.chunks(part_bytes).enumerate() {
            let first = (k * self.max_nr()) as u32;
            match self.store_part(q, slot + first, part) {
                Ok(info) => {
                    total.compressed_bytes += info.compressed_bytes;
                    total.same_filled += info.same_filled;
                }
                Err(e) => {
                    // All or nothing: drop the parts already stored. (The
                    // failed part removed its own range.)
                    if first > 0 {
                        let _ = self.invalidate_on(q, slot, first);
                    }
                    return Err(with_page_offset(e, first));
                }
            }
        }
        Ok(total)
    }

    fn load(&self, slot: u32, out: &mut [u8], exclusive: bool) -> Result<(), PoolError> {
        self.load_range(Opcode::Load, slot, out, exclusive)
    }

    fn read_for_writeback(&self, slot: u32, out: &mut [u8]) -> Result<(), PoolError> {
        self.load_range(Opcode::ReadForWriteback, slot, out, false)
    }

    fn invalidate(&self, slot: u32, nr: u32) -> Result<u32, PoolError> {
        if nr == 0 {
            return Ok(0);
        }
        let rescued = self.rescued.supersede(slot, nr);
        Ok(self.invalidate_on(self.queue(), slot, nr)? + rescued)
    }

    fn stats(&self) -> Result<DeviceStats, PoolError> {
        let mut buf = [0u8; STATS_SNAPSHOT_SIZE];
        let req = Request {
            len: STATS_SNAPSHOT_SIZE as u32,
            output_len: STATS_SNAPSHOT_SIZE,
            ..Default::default()
        };
        self.exec(self.queue(), Opcode::Stats, req, Some(&mut buf))?;
        let mut v = [0u64; STAT_COUNT];
        for (c, b) in v.iter_mut().zip(buf.chunks_exact(8)) {
            *c = u64::from_le_bytes(b.try_into().expect("8-byte chunk"));
        }
        Ok(DeviceStats(v))
    }

    fn max_slots(&self) -> u32 {
        self.caps.max_slots
    }

    fn host_counters(&self) -> Vec<(&'static str, u64)> {
        HostCounter::ALL
            .iter()
            .map(|&c| (c.name(), self.counters.get(c)))
            .collect()
    }
}

impl Drop for DeviceClient {
    fn drop(&mut self) {
        // Stop the device touching rings that are about to be freed.
        self.backend
            .bar0_write(self.control_base + control::CTRL, 0);
        for q in &self.queues {
            self.backend.bar0_write(q.window() + queues::ENABLE, 0);
        }
    }
}
