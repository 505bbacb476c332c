//! The soft device's BAR0 register file, queue engines and interrupt lines.

use super::Shared;
use pagepress_abi::desc::CPL_FLAG_PHASE;
use pagepress_abi::regmap::{BLOCKS, block_next};
use pagepress_abi::regs::{self, caps, control, header, identity, queues, stats};
use pagepress_abi::stats::STAT_COUNT;
use pagepress_abi::{Command, Completion, Status};
use pagepress_pcie::Iotlb;
use pagepress_pcie::ring::{device_fetch_command, device_post_completion};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Commands a queue runs per service pass before the worker looks at the
/// other queues (fairness between queues of one worker).
const SERVICE_BUDGET: u32 = 32;

/// The device-internal state of a queue, owned by whoever runs the queue.
#[derive(Debug, Default)]
pub(crate) struct QueueEngine {
    sq_head: u32,
    cq_tail: u32,
    /// Phase written into the next completion (true on the first pass).
    phase: bool,
    /// The queue's cached IOVA translations (rings, bounce buffers).
    tlb: Iotlb,
}

/// One queue pair's registers and engine state.
///
/// The configuration registers and the doorbells are atomics the host writes
/// without a lock; `engine` is held while the queue's commands run, and by a
/// host write to `ENABLE` (which waits for the running command to finish).
#[derive(Debug, Default)]
pub(crate) struct QueueHw {
    sq_base: AtomicU64,
    sq_log2: AtomicU32,
    cq_base: AtomicU64,
    cq_log2: AtomicU32,
    irq_vector: AtomicU32,
    enabled: AtomicBool,
    error: AtomicBool,
    /// `SQ_TAIL_DB`: the host's submission tail.
    sq_tail: AtomicU32,
    /// `CQ_HEAD_DB`: the host's completion head.
    cq_head: AtomicU32,
    engine: Mutex<QueueEngine>,
}

impl QueueHw {
    fn engine(&self) -> MutexGuard<'_, QueueEngine> {
        self.engine.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn set_lo(r: &AtomicU64, v: u32) {
    let _ = r.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |old| {
        Some((old & !0xffff_ffff) | v as u64)
    });
}

fn set_hi(r: &AtomicU64, v: u32) {
    let _ = r.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |old| {
        Some((old & 0xffff_ffff) | (v as u64) << 32)
    });
}

impl Shared {
    /// The block of `BLOCKS` containing BAR0 offset `off`, and its index.
    fn block_at(off: u32) -> Option<usize> {
        (0..BLOCKS.len()).find(|&i| {
            let end = match block_next(i) {
                0 => regs::BAR0_SIZE,
                n => n,
            };
            off >= BLOCKS[i].base && off < end
        })
    }

    pub(crate) fn read_reg(&self, off: u32) -> u32 {
        let Some(i) = Self::block_at(off) else {
            return 0;
        };
        let b = &BLOCKS[i];
        let r = off - b.base;
        match r {
            header::TYPE => return b.block_type,
            header::VERSION => return b.version,
            header::NEXT => return block_next(i),
            _ => {}
        }
        let cfg = &self.cfg;
        match b.block_type {
            regs::BLOCK_TYPE_IDENTITY => match r {
                identity::MAGIC => cfg.magic,
                identity::ABI_VERSION => cfg.abi_version,
                identity::DEVICE_KIND => pagepress_abi::DeviceKind::Soft as u32,
                identity::BUILD_ID => cfg.build_id,
                _ => 0,
            },
            regs::BLOCK_TYPE_CAPS => match r {
                caps::NUM_QUEUES => cfg.num_queues,
                caps::MAX_QUEUE_LOG2 => cfg.max_queue_log2,
                caps::DEVMEM_SIZE_LO => cfg.devmem_bytes as u32,
                caps::DEVMEM_SIZE_HI => (cfg.devmem_bytes >> 32) as u32,
                caps::MAX_SLOTS => cfg.max_slots,
                caps::MAX_NR_PAGES => cfg.max_nr_pages,
                caps::CODEC_PARAMS => cfg.codec_params,
                caps::ENGINES => {
                    let w = cfg.workers.clamp(1, 255);
                    w | w << 8
                }
                caps::INDEX_LEVELS => self.engine.core().index.levels(),
                caps::ALLOC_UNIT => cfg.alloc_unit,
                _ => 0,
            },
            regs::BLOCK_TYPE_CONTROL => match r {
                control::CTRL if self.enabled.load(Ordering::SeqCst) => control::CTRL_ENABLE,
                control::CTRL => 0,
                control::STATUS => control::STATUS_READY,
                control::IRQ_MASK => self.irq_mask.load(Ordering::SeqCst),
                control::FATAL_CODE => 0,
                _ => 0,
            },
            regs::BLOCK_TYPE_STATS => match r {
                stats::COUNT => STAT_COUNT as u32,
                r if r >= stats::COUNTERS && r < stats::COUNTERS + 8 * STAT_COUNT as u32 => {
                    let i = ((r - stats::COUNTERS) / 8) as usize;
                    let latch = &self.stat_hi_latch[i];
                    if (r - stats::COUNTERS).is_multiple_of(8) {
                        let v = self.engine.stat(pagepress_abi::stats::StatCounter::ALL[i]);
                        latch.store((v >> 32) as u32, Ordering::SeqCst);
                        v as u32
                    } else {
                        latch.load(Ordering::SeqCst)
                    }
                }
                _ => 0,
            },
            regs::BLOCK_TYPE_QUEUES => match r {
                queues::COUNT => self.queues.len() as u32,
                queues::STRIDE => queues::STRIDE_BYTES,
                r if r >= queues::FIRST => {
                    let q = ((r - queues::FIRST) / queues::STRIDE_BYTES) as usize;
                    let Some(qh) = self.queues.get(q) else {
                        return 0;
                    };
                    match (r - queues::FIRST) % queues::STRIDE_BYTES {
                        queues::SQ_BASE_LO => qh.sq_base.load(Ordering::SeqCst) as u32,
                        queues::SQ_BASE_HI => (qh.sq_base.load(Ordering::SeqCst) >> 32) as u32,
                        queues::SQ_SIZE_LOG2 => qh.sq_log2.load(Ordering::SeqCst),
                        queues::CQ_BASE_LO => qh.cq_base.load(Ordering::SeqCst) as u32,
                        queues::CQ_BASE_HI => (qh.cq_base.load(Ordering::SeqCst) >> 32) as u32,
                        queues::CQ_SIZE_LOG2 => qh.cq_log2.load(Ordering::SeqCst),
                        queues::ENABLE => qh.enabled.load(Ordering::SeqCst) as u32,
                        queues::QSTATUS => {
                            let mut s = 0;
                            if qh.enabled.load(Ordering::SeqCst) {
                                s |= queues::QSTATUS_ENABLED;
                            }
                            if qh.error.load(Ordering::SeqCst) {
                                s |= queues::QSTATUS_ERROR;
                            }
                            s
                        }
                        queues::IRQ_VECTOR => qh.irq_vector.load(Ordering::SeqCst),
                        _ => 0,
                    }
                }
                _ => 0,
            },
            _ => 0,
        }
    }

    pub(crate) fn write_reg(&self, off: u32, v: u32) {
        let Some(i) = Self::block_at(off) else {
            return;
        };
        let b = &BLOCKS[i];
        let r = off - b.base;
        match b.block_type {
            regs::BLOCK_TYPE_CONTROL => match r {
                control::CTRL => {
                    if v & control::CTRL_RESET != 0 {
                        self.register_reset();
                    }
                    let on = v & control::CTRL_ENABLE != 0;
                    self.enabled.store(on, Ordering::SeqCst);
                    if on {
                        for q in 0..self.queues.len() {
                            self.kick(q);
                        }
                    }
                }
                control::IRQ_MASK => self.irq_mask.store(v, Ordering::SeqCst),
                _ => {}
            },
            regs::BLOCK_TYPE_QUEUES if r >= queues::FIRST => {
                let q = ((r - queues::FIRST) / queues::STRIDE_BYTES) as usize;
                let Some(qh) = self.queues.get(q) else {
                    return;
                };
                match (r - queues::FIRST) % queues::STRIDE_BYTES {
                    queues::SQ_BASE_LO => set_lo(&qh.sq_base, v),
                    queues::SQ_BASE_HI => set_hi(&qh.sq_base, v),
                    queues::SQ_SIZE_LOG2 => qh.sq_log2.store(v, Ordering::SeqCst),
                    queues::CQ_BASE_LO => set_lo(&qh.cq_base, v),
                    queues::CQ_BASE_HI => set_hi(&qh.cq_base, v),
                    queues::CQ_SIZE_LOG2 => qh.cq_log2.store(v, Ordering::SeqCst),
                    queues::IRQ_VECTOR => qh.irq_vector.store(v, Ordering::SeqCst),
                    queues::ENABLE => self.enable_queue(qh, v & 1 != 0),
                    queues::SQ_TAIL_DB => {
                        qh.sq_tail.store(v, Ordering::Release);
                        self.kick(q);
                    }
                    queues::CQ_HEAD_DB => {
                        qh.cq_head.store(v, Ordering::Release);
                        self.kick(q);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn enable_queue(&self, qh: &QueueHw, on: bool) {
        let mut eng = qh.engine();
        if !on {
            qh.enabled.store(false, Ordering::SeqCst);
            return;
        }
        let valid_log2 = |l: u32| l >= 1 && l <= self.cfg.max_queue_log2;
        let sq_base = qh.sq_base.load(Ordering::SeqCst);
        let cq_base = qh.cq_base.load(Ordering::SeqCst);
        let ok = valid_log2(qh.sq_log2.load(Ordering::SeqCst))
            && valid_log2(qh.cq_log2.load(Ordering::SeqCst))
            && sq_base != 0
            && cq_base != 0
            && sq_base.is_multiple_of(16)
            && cq_base.is_multiple_of(16);
        *eng = QueueEngine {
            sq_head: 0,
            cq_tail: 0,
            phase: true,
            tlb: Iotlb::default(),
        };
        qh.sq_tail.store(0, Ordering::SeqCst);
        qh.cq_head.store(0, Ordering::SeqCst);
        qh.error.store(!ok, Ordering::SeqCst);
        qh.enabled.store(ok, Ordering::SeqCst);
    }

    /// CONTROL RESET: completes every fetched-but-unrun command with ABORTED,
    /// disables every queue, drops every entry, zeroes the counters.
    fn register_reset(&self) {
        self.enabled.store(false, Ordering::SeqCst);
        let mut guards: Vec<_> = self.queues.iter().map(|q| q.engine()).collect();
        for (q, eng) in guards.iter_mut().enumerate() {
            let qh = &self.queues[q];
            if qh.enabled.load(Ordering::SeqCst) && !qh.error.load(Ordering::SeqCst) {
                let tail = qh.sq_tail.load(Ordering::Acquire);
                let sq_mask = (1u32 << qh.sq_log2.load(Ordering::SeqCst)) - 1;
                while eng.sq_head != tail && tail <= sq_mask {
                    let head = eng.sq_head;
                    let Ok(cmd) = device_fetch_command(
                        &self.engine.dma,
                        &mut eng.tlb,
                        qh.sq_base.load(Ordering::SeqCst),
                        head,
                    ) else {
                        break;
                    };
                    eng.sq_head = (eng.sq_head + 1) & sq_mask;
                    if !self.post(q, qh, eng, &cmd, Status::Aborted, 0, 0) {
                        break;
                    }
                }
            }
            qh.enabled.store(false, Ordering::SeqCst);
        }
        self.engine.drop_all_entries();
        self.engine.clear_stats();
        drop(guards);
    }

    /// Posts a completion for `cmd` if the ring has room; raises the
    /// interrupt. Returns false if it could not (ring full or DMA fault).
    #[allow(clippy::too_many_arguments)]
    fn post(
        &self,
        q: usize,
        qh: &QueueHw,
        eng: &mut QueueEngine,
        cmd: &Command,
        status: Status,
        result: u32,
        info: u32,
    ) -> bool {
        let cq_mask = (1u32 << qh.cq_log2.load(Ordering::SeqCst)) - 1;
        if (eng.cq_tail + 1) & cq_mask == qh.cq_head.load(Ordering::Acquire) {
            return false;
        }
        let c = Completion {
            cid: cmd.cid,
            status: status as u8,
            flags: if eng.phase { CPL_FLAG_PHASE } else { 0 },
            sq_head: eng.sq_head as u16,
            sq_id: q as u16,
            result,
            info,
        };
        if device_post_completion(
            &self.engine.dma,
            &mut eng.tlb,
            qh.cq_base.load(Ordering::SeqCst),
            eng.cq_tail,
            &c,
        )
        .is_err()
        {
            qh.error.store(true, Ordering::SeqCst);
            return false;
        }
        eng.cq_tail = (eng.cq_tail + 1) & cq_mask;
        if eng.cq_tail == 0 {
            eng.phase = !eng.phase;
        }
        let vector = qh.irq_vector.load(Ordering::SeqCst);
        if self.irq_mask.load(Ordering::SeqCst) & (1u32.checked_shl(q as u32).unwrap_or(0)) == 0
            && let Some(line) = self.irqs.get(vector as usize)
        {
            line.raise();
        }
        true
    }

    /// Runs up to a budget of queue `q`'s pending commands; returns whether
    /// any ran.
    pub(crate) fn service_queue(&self, q: usize) -> bool {
        let qh = &self.queues[q];
        if !self.enabled.load(Ordering::Acquire)
            || !qh.enabled.load(Ordering::Acquire)
            || qh.error.load(Ordering::Acquire)
        {
            return false;
        }
        let tail = qh.sq_tail.load(Ordering::Acquire);
        let Ok(mut eng) = qh.engine.try_lock() else {
            // Another thread (inline submitter, register write) runs it.
            return false;
        };
        if !qh.enabled.load(Ordering::Acquire) {
            return false;
        }
        let sq_mask = (1u32 << qh.sq_log2.load(Ordering::SeqCst)) - 1;
        let cq_mask = (1u32 << qh.cq_log2.load(Ordering::SeqCst)) - 1;
        if tail > sq_mask {
            qh.error.store(true, Ordering::SeqCst);
            return false;
        }
        let mut ran = 0;
        while eng.sq_head != tail && ran < SERVICE_BUDGET {
            // No room for the completion: wait for the host's CQ_HEAD_DB.
            if (eng.cq_tail + 1) & cq_mask == qh.cq_head.load(Ordering::Acquire) {
                break;
            }
            let head = eng.sq_head;
            let cmd = match device_fetch_command(
                &self.engine.dma,
                &mut eng.tlb,
                qh.sq_base.load(Ordering::SeqCst),
                head,
            ) {
                Ok(c) => c,
                Err(_) => {
                    qh.error.store(true, Ordering::SeqCst);
                    break;
                }
            };
            eng.sq_head = (eng.sq_head + 1) & sq_mask;
            ran += 1;
            let out = self.engine.execute(&cmd, &mut eng.tlb);
            if let Some(d) = out.delay {
                std::thread::sleep(d);
            }
            if out.drop_completion {
                continue;
            }
            if !self.post(q, qh, &mut eng, &cmd, out.status, out.result, out.info) {
                break;
            }
        }
        ran > 0
    }
}
