//! `QueueRegs`: one queue pair's window of BAR0 and its ring state.
//!
//! The registers of `pagepress_abi::regs::queues` (configuration read back as
//! written, ENABLE, QSTATUS, the two doorbells, IRQ_VECTOR) and the device's
//! ring indices (`sq_head`, `cq_tail`, phase), as the model's `QueueHw` and
//! `QueueEngine` hold them.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `host_write` | in | 1 | a host write to register `host_word` of this window, applied this cycle |
//! | `host_word` | in | 4 | register offset in the window / 4 |
//! | `host_wdata` | in | 32 | write data |
//! | `host_rdata` | out | 32 | read-back of register `host_word` (0 for write-only and unknown offsets) |
//! | `fetched` | in | 1 | the engine fetched the command at `sq_head`: advance it |
//! | `posted` | in | 1 | the engine posted a completion at `cq_tail`: advance it (a wrap flips the phase) |
//! | `set_error` | in | 1 | the engine puts the queue in error |
//! | `switch_off` | in | 1 | the engine disables the queue (CONTROL RESET) |
//! | `ready` | out | 1 | enabled and not in error |
//! | `pending` | out | 1 | `sq_head != SQ_TAIL_DB` |
//! | `tail_bad` | out | 1 | `SQ_TAIL_DB` is above the ring mask |
//! | `cq_room` | out | 1 | `(cq_tail + 1) & mask != CQ_HEAD_DB`: a completion fits |
//! | `sq_base`, `cq_base` | out | 64 | ring IOVAs |
//! | `sq_head`, `cq_tail` | out | 16 | device ring indices |
//! | `phase` | out | 1 | phase of the next completion |
//! | `irq_vector` | out | 32 | IRQ_VECTOR |
//!
//! ENABLE (written with bit 0 set) validates the configuration as the model's
//! `enable_queue` does, resets the indices, the doorbells and the phase, and
//! sets `error = !ok`. The engine only updates a queue it holds, and the CSR
//! never applies an ENABLE write to a queue the engine holds, so the two
//! writers never meet on a field.

use pagepress_abi::regs::queues;
use pagepress_rtl::compressor::widen::ZeroExtend;
use rust_hdl::prelude::*;

/// Bits of a ring index: rings hold at most `2^15` entries (`DeviceParams::check`).
pub const RING_INDEX_BITS: usize = 16;
/// Bits of a register's word index in a queue window.
pub const WINDOW_WORD_BITS: usize = (queues::STRIDE_BYTES / 4).trailing_zeros() as usize;
/// Ring bases must be aligned to this many bytes (the model's `enable_queue`).
pub const RING_BASE_ALIGN: u64 = 16;
/// ENABLE bit 0: the queue is enabled (`regmap::QUEUE_REGS`).
pub const QUEUE_ENABLE: u32 = 1 << 0;

const _: () = assert!(queues::STRIDE_BYTES.is_power_of_two());
const _: () = assert!(WINDOW_WORD_BITS == 4);

type Index = Bits<RING_INDEX_BITS>;

fn word(offset: u32) -> Constant<Bits<WINDOW_WORD_BITS>> {
    Constant::new(((offset / 4) as u64).to_bits())
}

#[derive(LogicBlock)]
pub struct QueueRegs {
    pub clock: Signal<In, Clock>,
    pub host_write: Signal<In, bool>,
    pub host_word: Signal<In, Bits<WINDOW_WORD_BITS>>,
    pub host_wdata: Signal<In, Bits<32>>,
    pub host_rdata: Signal<Out, Bits<32>>,
    pub fetched: Signal<In, bool>,
    pub posted: Signal<In, bool>,
    pub set_error: Signal<In, bool>,
    pub switch_off: Signal<In, bool>,
    pub ready: Signal<Out, bool>,
    pub pending: Signal<Out, bool>,
    pub tail_bad: Signal<Out, bool>,
    pub cq_room: Signal<Out, bool>,
    pub sq_base: Signal<Out, Bits<64>>,
    pub cq_base: Signal<Out, Bits<64>>,
    pub sq_head: Signal<Out, Index>,
    pub cq_tail: Signal<Out, Index>,
    pub phase: Signal<Out, bool>,
    pub irq_vector: Signal<Out, Bits<32>>,

    // Register words (offset / 4 in the window).
    w_sq_base_lo: Constant<Bits<WINDOW_WORD_BITS>>,
    w_sq_base_hi: Constant<Bits<WINDOW_WORD_BITS>>,
    w_sq_log2: Constant<Bits<WINDOW_WORD_BITS>>,
    w_cq_base_lo: Constant<Bits<WINDOW_WORD_BITS>>,
    w_cq_base_hi: Constant<Bits<WINDOW_WORD_BITS>>,
    w_cq_log2: Constant<Bits<WINDOW_WORD_BITS>>,
    w_enable: Constant<Bits<WINDOW_WORD_BITS>>,
    w_qstatus: Constant<Bits<WINDOW_WORD_BITS>>,
    w_sq_tail_db: Constant<Bits<WINDOW_WORD_BITS>>,
    w_cq_head_db: Constant<Bits<WINDOW_WORD_BITS>>,
    w_irq_vector: Constant<Bits<WINDOW_WORD_BITS>>,
    // Values.
    min_log2: Constant<Bits<32>>,
    max_log2: Constant<Bits<32>>,
    align_mask: Constant<Bits<64>>,
    zero64: Constant<Bits<64>>,
    zero32: Constant<Bits<32>>,
    lo_half: Constant<Bits<64>>,
    hi_half: Constant<Bits<64>>,
    half_shift: Constant<Bits<64>>,
    zero_index: Constant<Index>,
    /// The largest doorbell value that fits a ring index.
    index_max: Constant<Bits<32>>,
    one_index: Constant<Index>,
    enable_bit: Constant<Bits<32>>,
    qstatus_enabled: Constant<Bits<32>>,
    qstatus_error: Constant<Bits<32>>,
    wdata_wide: ZeroExtend<32, 64>,

    // Configuration, read back as written.
    sq_base_r: DFF<Bits<64>>,
    cq_base_r: DFF<Bits<64>>,
    sq_log2: DFF<Bits<32>>,
    cq_log2: DFF<Bits<32>>,
    irq_vector_r: DFF<Bits<32>>,
    enabled: DFF<bool>,
    error: DFF<bool>,
    /// Ring masks, latched from the log2 values when the queue is enabled.
    sq_mask: DFF<Index>,
    cq_mask: DFF<Index>,
    /// Doorbells: the low bits and whether any higher bit is set (such a
    /// value is above every ring mask; the model compares 32-bit values).
    sq_tail: DFF<Index>,
    sq_tail_wide: DFF<bool>,
    cq_head: DFF<Index>,
    cq_head_wide: DFF<bool>,
    sq_head_r: DFF<Index>,
    cq_tail_r: DFF<Index>,
    phase_r: DFF<bool>,

    // Scratch.
    config_ok: Signal<Local, bool>,
    cq_next: Signal<Local, Index>,
}

impl QueueRegs {
    /// A queue of a device whose rings are at most `2^max_queue_log2` entries.
    pub fn new(max_queue_log2: u32) -> Self {
        Self {
            clock: Default::default(),
            host_write: Default::default(),
            host_word: Default::default(),
            host_wdata: Default::default(),
            host_rdata: Default::default(),
            fetched: Default::default(),
            posted: Default::default(),
            set_error: Default::default(),
            switch_off: Default::default(),
            ready: Default::default(),
            pending: Default::default(),
            tail_bad: Default::default(),
            cq_room: Default::default(),
            sq_base: Default::default(),
            cq_base: Default::default(),
            sq_head: Default::default(),
            cq_tail: Default::default(),
            phase: Default::default(),
            irq_vector: Default::default(),
            w_sq_base_lo: word(queues::SQ_BASE_LO),
            w_sq_base_hi: word(queues::SQ_BASE_HI),
            w_sq_log2: word(queues::SQ_SIZE_LOG2),
            w_cq_base_lo: word(queues::CQ_BASE_LO),
            w_cq_base_hi: word(queues::CQ_BASE_HI),
            w_cq_log2: word(queues::CQ_SIZE_LOG2),
            w_enable: word(queues::ENABLE),
            w_qstatus: word(queues::QSTATUS),
            w_sq_tail_db: word(queues::SQ_TAIL_DB),
            w_cq_head_db: word(queues::CQ_HEAD_DB),
            w_irq_vector: word(queues::IRQ_VECTOR),
            min_log2: Constant::new(1u64.to_bits()),
            max_log2: Constant::new((max_queue_log2 as u64).to_bits()),
            align_mask: Constant::new((RING_BASE_ALIGN - 1).to_bits()),
            zero64: Constant::new(0u64.to_bits()),
            zero32: Constant::new(0u64.to_bits()),
            lo_half: Constant::new(0xffff_ffffu64.to_bits()),
            hi_half: Constant::new((0xffff_ffffu64 << 32).to_bits()),
            half_shift: Constant::new(32u64.to_bits()),
            zero_index: Constant::new(0u64.to_bits()),
            index_max: Constant::new(((1u64 << RING_INDEX_BITS) - 1).to_bits()),
            one_index: Constant::new(1u64.to_bits()),
            enable_bit: Constant::new((QUEUE_ENABLE as u64).to_bits()),
            qstatus_enabled: Constant::new((queues::QSTATUS_ENABLED as u64).to_bits()),
            qstatus_error: Constant::new((queues::QSTATUS_ERROR as u64).to_bits()),
            wdata_wide: Default::default(),
            sq_base_r: Default::default(),
            cq_base_r: Default::default(),
            sq_log2: Default::default(),
            cq_log2: Default::default(),
            irq_vector_r: Default::default(),
            enabled: Default::default(),
            error: Default::default(),
            sq_mask: Default::default(),
            cq_mask: Default::default(),
            sq_tail: Default::default(),
            sq_tail_wide: Default::default(),
            cq_head: Default::default(),
            cq_head_wide: Default::default(),
            sq_head_r: Default::default(),
            cq_tail_r: Default::default(),
            phase_r: Default::default(),
            config_ok: Default::default(),
            cq_next: Default::default(),
        }
    }
}

impl Logic for QueueRegs {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            sq_base_r,
            cq_base_r,
            sq_log2,
            cq_log2,
            irq_vector_r,
            enabled,
            error,
            sq_mask,
            cq_mask,
            sq_tail,
            sq_tail_wide,
            cq_head,
            cq_head_wide,
            sq_head_r,
            cq_tail_r,
            phase_r
        );
        self.wdata_wide.narrow.next = self.host_wdata.val();

        // The model's enable_queue check.
        self.config_ok.next = (self.sq_log2.q.val() >= self.min_log2.val())
            & (self.sq_log2.q.val() <= self.max_log2.val())
            & (self.cq_log2.q.val() >= self.min_log2.val())
            & (self.cq_log2.q.val() <= self.max_log2.val())
            & (self.sq_base_r.q.val() != self.zero64.val())
            & (self.cq_base_r.q.val() != self.zero64.val())
            & ((self.sq_base_r.q.val() & self.align_mask.val()) == self.zero64.val())
            & ((self.cq_base_r.q.val() & self.align_mask.val()) == self.zero64.val());

        // Engine side.
        self.cq_next.next = (self.cq_tail_r.q.val() + self.one_index.val()) & self.cq_mask.q.val();
        self.ready.next = self.enabled.q.val() & !self.error.q.val();
        self.pending.next =
            (self.sq_head_r.q.val() != self.sq_tail.q.val()) | self.sq_tail_wide.q.val();
        self.tail_bad.next =
            (self.sq_tail.q.val() > self.sq_mask.q.val()) | self.sq_tail_wide.q.val();
        self.cq_room.next =
            (self.cq_next.val() != self.cq_head.q.val()) | self.cq_head_wide.q.val();
        self.sq_base.next = self.sq_base_r.q.val();
        self.cq_base.next = self.cq_base_r.q.val();
        self.sq_head.next = self.sq_head_r.q.val();
        self.cq_tail.next = self.cq_tail_r.q.val();
        self.phase.next = self.phase_r.q.val();
        self.irq_vector.next = self.irq_vector_r.q.val();
        if self.fetched.val() {
            self.sq_head_r.d.next =
                (self.sq_head_r.q.val() + self.one_index.val()) & self.sq_mask.q.val();
        }
        if self.posted.val() {
            self.cq_tail_r.d.next = self.cq_next.val();
            if self.cq_next.val() == self.zero_index.val() {
                self.phase_r.d.next = !self.phase_r.q.val();
            }
        }
        if self.set_error.val() {
            self.error.d.next = true;
        }
        if self.switch_off.val() {
            self.enabled.d.next = false;
        }

        // Host side: read-back.
        self.host_rdata.next = self.zero32.val();
        if self.host_word.val() == self.w_sq_base_lo.val() {
            self.host_rdata.next = self.sq_base_r.q.val().get_bits::<32>(0);
        }
        if self.host_word.val() == self.w_sq_base_hi.val() {
            self.host_rdata.next = self.sq_base_r.q.val().get_bits::<32>(32);
        }
        if self.host_word.val() == self.w_sq_log2.val() {
            self.host_rdata.next = self.sq_log2.q.val();
        }
        if self.host_word.val() == self.w_cq_base_lo.val() {
            self.host_rdata.next = self.cq_base_r.q.val().get_bits::<32>(0);
        }
        if self.host_word.val() == self.w_cq_base_hi.val() {
            self.host_rdata.next = self.cq_base_r.q.val().get_bits::<32>(32);
        }
        if self.host_word.val() == self.w_cq_log2.val() {
            self.host_rdata.next = self.cq_log2.q.val();
        }
        if (self.host_word.val() == self.w_enable.val()) & self.enabled.q.val() {
            self.host_rdata.next = self.enable_bit.val();
        }
        if self.host_word.val() == self.w_qstatus.val() {
            if self.enabled.q.val() {
                self.host_rdata.next = self.qstatus_enabled.val();
            }
            if self.error.q.val() {
                self.host_rdata.next = self.host_rdata.val() | self.qstatus_error.val();
            }
        }
        if self.host_word.val() == self.w_irq_vector.val() {
            self.host_rdata.next = self.irq_vector_r.q.val();
        }

        // Host side: writes.
        if self.host_write.val() {
            if self.host_word.val() == self.w_sq_base_lo.val() {
                self.sq_base_r.d.next =
                    (self.sq_base_r.q.val() & self.hi_half.val()) | self.wdata_wide.wide.val();
            }
            if self.host_word.val() == self.w_sq_base_hi.val() {
                self.sq_base_r.d.next = (self.sq_base_r.q.val() & self.lo_half.val())
                    | (self.wdata_wide.wide.val() << self.half_shift.val());
            }
            if self.host_word.val() == self.w_sq_log2.val() {
                self.sq_log2.d.next = self.host_wdata.val();
            }
            if self.host_word.val() == self.w_cq_base_lo.val() {
                self.cq_base_r.d.next =
                    (self.cq_base_r.q.val() & self.hi_half.val()) | self.wdata_wide.wide.val();
            }
            if self.host_word.val() == self.w_cq_base_hi.val() {
                self.cq_base_r.d.next = (self.cq_base_r.q.val() & self.lo_half.val())
                    | (self.wdata_wide.wide.val() << self.half_shift.val());
            }
            if self.host_word.val() == self.w_cq_log2.val() {
                self.cq_log2.d.next = self.host_wdata.val();
            }
            if self.host_word.val() == self.w_irq_vector.val() {
                self.irq_vector_r.d.next = self.host_wdata.val();
            }
            if self.host_word.val() == self.w_sq_tail_db.val() {
                self.sq_tail.d.next = self.host_wdata.val().get_bits::<RING_INDEX_BITS>(0);
                self.sq_tail_wide.d.next = self.host_wdata.val() > self.index_max.val();
            }
            if self.host_word.val() == self.w_cq_head_db.val() {
                self.cq_head.d.next = self.host_wdata.val().get_bits::<RING_INDEX_BITS>(0);
                self.cq_head_wide.d.next = self.host_wdata.val() > self.index_max.val();
            }
            if self.host_word.val() == self.w_enable.val() {
                if (self.host_wdata.val() & self.enable_bit.val()) == self.enable_bit.val() {
                    // Masks of a valid log2 (<= 15); unused when the check fails.
                    self.sq_mask.d.next = (self.one_index.val()
                        << self.sq_log2.q.val().get_bits::<4>(0))
                        - self.one_index.val();
                    self.cq_mask.d.next = (self.one_index.val()
                        << self.cq_log2.q.val().get_bits::<4>(0))
                        - self.one_index.val();
                    self.sq_head_r.d.next = self.zero_index.val();
                    self.cq_tail_r.d.next = self.zero_index.val();
                    self.phase_r.d.next = true;
                    self.sq_tail.d.next = self.zero_index.val();
                    self.sq_tail_wide.d.next = false;
                    self.cq_head.d.next = self.zero_index.val();
                    self.cq_head_wide.d.next = false;
                    self.error.d.next = !self.config_ok.val();
                    self.enabled.d.next = self.config_ok.val();
                } else {
                    self.enabled.d.next = false;
                }
            }
        }
    }
}
