//! A device driven at the ring level: one queue pair, commands as they are.
//!
//! The host driver's queues hide bounce buffers, timeouts and fallbacks. Tools
//! that must put arbitrary commands on the wire — the RTL-versus-model
//! differential tests, the device report, board bring-up — use this instead:
//! it resets and enables the device, programs one queue pair, pushes commands
//! and collects completions in order. It finds the blocks by walking the chain
//! (`pagepress_abi::regmap`), never by fixed offsets.

use crate::backend::{BackendError, DeviceBackend};
use crate::ring::{CompletionRing, SubmissionRing};
use pagepress_abi::desc::{COMMAND_SIZE, COMPLETION_SIZE};
use pagepress_abi::regs::{self, control, header, queues};
use pagepress_abi::stats::STAT_COUNT;
use pagepress_abi::{Command, Completion};
use std::sync::atomic::{Ordering, fence};
use std::time::{Duration, Instant};

/// Why the raw queue could not be set up or a command did not complete.
#[derive(Debug, thiserror::Error)]
pub enum RawQueueError {
    #[error("BAR0 has no block of type {0:#x}")]
    MissingBlock(u32),
    #[error("the device did not finish its reset")]
    ResetTimeout,
    #[error("queue {queue} refused its configuration (qstatus {qstatus:#x})")]
    QueueSetup { queue: u32, qstatus: u32 },
    #[error("no completion within {0:?} ({1} outstanding)")]
    Timeout(Duration, usize),
    #[error("the ring is full ({0} outstanding)")]
    RingFull(usize),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// BAR0 base of the first block of `block_type`, by walking the chain.
pub fn find_block(dev: &dyn DeviceBackend, block_type: u32) -> Option<u32> {
    let mut base = 0u32;
    for _ in 0..64 {
        if dev.bar0_read(base + header::TYPE) == block_type {
            return Some(base);
        }
        base = dev.bar0_read(base + header::NEXT);
        if base == 0 || base >= regs::BAR0_SIZE {
            return None;
        }
    }
    None
}

/// The counters of the STATS block at `stats_base`, each read LO then HI
/// (the device latches HI on the LO read). Counters past the block's `COUNT`
/// read 0.
pub fn read_counters(dev: &dyn DeviceBackend, stats_base: u32) -> [u64; STAT_COUNT] {
    let mut v = [0u64; STAT_COUNT];
    let n = dev.bar0_read(stats_base + regs::stats::COUNT) as usize;
    for (i, c) in v.iter_mut().enumerate().take(n.min(STAT_COUNT)) {
        let lo = stats_base + regs::stats::COUNTERS + 8 * i as u32;
        let l = dev.bar0_read(lo) as u64;
        *c = l | (dev.bar0_read(lo + 4) as u64) << 32;
    }
    v
}

/// One queue pair of a device, driven directly.
pub struct RawQueue<'d> {
    dev: &'d dyn DeviceBackend,
    control: u32,
    /// BAR0 offset of the queue's register window.
    window: u32,
    qid: u32,
    sq: SubmissionRing,
    cq: CompletionRing,
    outstanding: usize,
}

impl<'d> RawQueue<'d> {
    /// Resets the device (CONTROL `RESET`), programs queue `qid` with rings of
    /// `1 << log2` entries and enables the device unless `enable` is false (a
    /// disabled device takes commands into its ring but runs none).
    pub fn open(
        dev: &'d dyn DeviceBackend,
        qid: u32,
        log2: u32,
        enable: bool,
    ) -> Result<Self, RawQueueError> {
        let control = find_block(dev, regs::BLOCK_TYPE_CONTROL)
            .ok_or(RawQueueError::MissingBlock(regs::BLOCK_TYPE_CONTROL))?;
        let queues_base = find_block(dev, regs::BLOCK_TYPE_QUEUES)
            .ok_or(RawQueueError::MissingBlock(regs::BLOCK_TYPE_QUEUES))?;
        let window = queues_base + queues::FIRST + qid * queues::STRIDE_BYTES;
        dev.bar0_write(control + control::CTRL, control::CTRL_RESET);
        let deadline = Instant::now() + Duration::from_secs(10);
        while dev.bar0_read(control + control::CTRL) & control::CTRL_RESET != 0 {
            if Instant::now() > deadline {
                return Err(RawQueueError::ResetTimeout);
            }
            std::thread::yield_now();
        }
        let entries = 1usize << log2;
        let sq = SubmissionRing::new(dev.dma_alloc(entries * COMMAND_SIZE)?, log2);
        let cq = CompletionRing::new(dev.dma_alloc(entries * COMPLETION_SIZE)?, log2);
        let reg = |r| window + r;
        dev.bar0_write(reg(queues::SQ_BASE_LO), sq.iova() as u32);
        dev.bar0_write(reg(queues::SQ_BASE_HI), (sq.iova() >> 32) as u32);
        dev.bar0_write(reg(queues::SQ_SIZE_LOG2), log2);
        dev.bar0_write(reg(queues::CQ_BASE_LO), cq.iova() as u32);
        dev.bar0_write(reg(queues::CQ_BASE_HI), (cq.iova() >> 32) as u32);
        dev.bar0_write(reg(queues::CQ_SIZE_LOG2), log2);
        dev.bar0_write(reg(queues::IRQ_VECTOR), qid);
        dev.bar0_write(reg(queues::ENABLE), 1);
        let qstatus = dev.bar0_read(reg(queues::QSTATUS));
        if qstatus != queues::QSTATUS_ENABLED {
            return Err(RawQueueError::QueueSetup {
                queue: qid,
                qstatus,
            });
        }
        if enable {
            dev.bar0_write(control + control::CTRL, control::CTRL_ENABLE);
        }
        Ok(RawQueue {
            dev,
            control,
            window,
            qid,
            sq,
            cq,
            outstanding: 0,
        })
    }

    /// BAR0 base of the CONTROL block.
    pub fn control_base(&self) -> u32 {
        self.control
    }

    /// Commands submitted and not yet collected.
    pub fn outstanding(&self) -> usize {
        self.outstanding
    }

    /// Writes `cmd` into the ring without ringing the doorbell.
    pub fn push(&mut self, cmd: &Command) -> Result<(), RawQueueError> {
        if self.outstanding + 1 >= self.sq.entries() as usize {
            return Err(RawQueueError::RingFull(self.outstanding));
        }
        self.sq.push(cmd);
        self.outstanding += 1;
        Ok(())
    }

    /// Rings the submission doorbell with the current tail.
    pub fn ring(&mut self) {
        fence(Ordering::Release);
        self.dev
            .bar0_write(self.window + queues::SQ_TAIL_DB, self.sq.tail());
    }

    /// Collects the next `n` completions in order, releasing their entries
    /// to the device as it goes.
    pub fn collect(
        &mut self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<Completion>, RawQueueError> {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            match self.cq.pop() {
                Some(c) => {
                    out.push(c);
                    self.outstanding = self.outstanding.saturating_sub(1);
                    self.dev
                        .bar0_write(self.window + queues::CQ_HEAD_DB, self.cq.head());
                }
                None if Instant::now() > deadline => {
                    return Err(RawQueueError::Timeout(timeout, self.outstanding));
                }
                None => {
                    // Read the count, re-check the ring, then sleep: a
                    // completion posted in between moves the count.
                    let seen = self.dev.interrupt_count(self.qid);
                    if self.cq.ready() {
                        continue;
                    }
                    self.dev
                        .wait_interrupt(self.qid, seen, Duration::from_millis(1));
                }
            }
        }
        Ok(out)
    }

    /// Submits one command and waits for its completion.
    pub fn execute(
        &mut self,
        cmd: &Command,
        timeout: Duration,
    ) -> Result<Completion, RawQueueError> {
        self.push(cmd)?;
        self.ring();
        Ok(self.collect(1, timeout)?.remove(0))
    }

    /// Writes CONTROL `CTRL`.
    pub fn write_ctrl(&self, value: u32) {
        self.dev.bar0_write(self.control + control::CTRL, value);
    }
}
