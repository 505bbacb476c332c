//! `QueueEngine`: serves the queues — round robin, one command per turn:
//! fetch it by DMA, hand it to the executor, post its completion by DMA,
//! raise the queue's interrupt — and runs the CONTROL RESET sequence.
//!
//! The golden reference is the model's `service_queue`, `post` and
//! `register_reset` (`host-driver/src/soft/regs.rs`, moving to
//! `firmware/src/model/regs.rs`). The queue registers and ring indices live
//! in the [`QueueFile`](crate::rtl::csr::QueueFile); the engine looks at one
//! queue at a time (`q_sel`) and updates it with single-cycle pulses.
//!
//! # Ports
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `enabled`, `irq_mask` | in | 1, 8 | CTRL.ENABLE, IRQ_MASK (from the CSR) |
//! | `resetting` | in | 1 | a CONTROL RESET is pending (from the CSR) |
//! | `reset_done` | out | 1 | pulse: the reset sequence finished |
//! | `host_wrote` | in | 1 | pulse: a register write was applied (eligibility may have changed) |
//! | `q_sel` | out | 3 | the queue the engine looks at |
//! | `q_hold` | out | 1 | the engine holds `q_sel` (from its eligibility check to its completion) |
//! | `q_fetched`, `q_posted`, `q_set_error`, `q_switch_off` | out | 1 | updates of `q_sel` |
//! | `q_ready` .. `q_irq_vector` | in | | the state of `q_sel` (`QueueFile` outputs) |
//! | `cmd_*`, `cmd_valid`/`cmd_ready` | out/in | | the command to the executor (its port table) |
//! | `done`, `status`, `result`, `info` | in | 1, 8, 32, 32 | the executor's outcome |
//! | `reset_entries`, `clear_stats` | out | 1 | pulses to the executor (reset sequence) |
//! | `exec_active` | out | 1 | the executor runs a command: the DMA port is the executor's |
//! | `dma_*` | | | the engine's DMA master port (fetches and posts) |
//! | `irq` | out | 8 | bit `v`: one-cycle pulse per completion posted on an unmasked queue of vector `v` (`v < num_queues`) |
//! | `idle` | out | 1 | no command running, no reset pending, no eligible queue |
//!
//! # Behaviour and timing
//!
//! `SCAN` looks at queue `q` for one cycle: eligible when the device is
//! enabled, the queue enabled and not in error, `sq_head != SQ_TAIL_DB` and
//! either the tail is bad (to flag it) or the completion ring has room. If so
//! the engine holds the queue (`CHECK`, where the CSR can no longer change
//! its ENABLE) and decides on fresh state: a tail above the mask puts the
//! queue in error; otherwise it fetches the entry at `sq_base + 32 sq_head`
//! (a fault puts the queue in error), advances `sq_head`, hands the command
//! to the executor, waits for `done`, and posts the completion at
//! `cq_base + 16 cq_tail` with `sq_head` after the fetch, the queue number and
//! the phase (a fault puts the queue in error; a ring the host made full in
//! the meantime drops it, as the model does). Then the next queue's turn.
//! Doorbell to completion of a NOP: 22 cycles with a 3-cycle executor and a
//! DMA port that stalls one cycle in four (test `nop_round_trip_cycles`).
//!
//! `idle` is high once `SCAN` has found every queue ineligible in a row with
//! no register write in between (`num_queues` cycles after the last change).
//!
//! A pending reset is taken at `SCAN`, i.e. after the running command has
//! posted. For each queue in order, while it is enabled, not in error and has
//! entries up to a valid tail: fetch (a fault stops this queue), advance
//! `sq_head`, post `ABORTED` (no room or a fault stops this queue; a fault
//! also puts it in error); then disable it. Then `reset_entries` and
//! `clear_stats` pulse (when the executor's `cmd_ready` is high), the engine
//! waits until `cmd_ready` is back (it must drop within a cycle of the
//! pulse), and pulses `reset_done`.

pub mod cmd_fetch;
pub mod cpl_post;

use crate::params::DeviceParams;
use crate::rtl::csr::queue_file::QUEUE_BITS;
use crate::rtl::csr::queue_regs::RING_INDEX_BITS;
use cmd_fetch::CmdFetch;
use cpl_post::CplPost;
use pagepress_abi::Status;
use pagepress_abi::desc::{COMMAND_SIZE, COMPLETION_SIZE};
use pagepress_rtl::compressor::widen::ZeroExtend;
use rust_hdl::prelude::*;

/// Width of `irq`. The device has one vector per queue (the model's
/// interrupt lines); a queue whose vector is `num_queues` or more raises nothing.
pub const IRQ_VECTORS: usize = crate::params::RTL_MAX_QUEUES as usize;
const IRQ_VECTOR_BITS: usize = IRQ_VECTORS.trailing_zeros() as usize;
const _: () = assert!(IRQ_VECTORS.is_power_of_two());

type Index = Bits<RING_INDEX_BITS>;

// FSM states (`Bits<4>` constants: rust-hdl's enum-valued DFFs emit a 64-bit
// initial value and unused localparams, which Verilator -Wall rejects).
const SCAN: u64 = 0;
const CHECK: u64 = 1;
const TAIL_BAD: u64 = 2;
const FETCH: u64 = 3;
const EXEC: u64 = 4;
const EXEC_WAIT: u64 = 5;
const POST: u64 = 6;
const POST_WAIT: u64 = 7;
const DRAIN_CHECK: u64 = 8;
const DRAIN_OFF: u64 = 9;
const CLEAR: u64 = 10;
const CLEAR_SETTLE: u64 = 11;
const CLEAR_WAIT: u64 = 12;

fn st(v: u64) -> Constant<Bits<4>> {
    Constant::new(v.to_bits())
}

#[derive(LogicBlock)]
pub struct QueueEngine {
    pub clock: Signal<In, Clock>,
    pub enabled: Signal<In, bool>,
    pub irq_mask: Signal<In, Bits<IRQ_VECTORS>>,
    pub resetting: Signal<In, bool>,
    pub reset_done: Signal<Out, bool>,
    pub host_wrote: Signal<In, bool>,
    // The queue file.
    pub q_sel: Signal<Out, Bits<QUEUE_BITS>>,
    pub q_hold: Signal<Out, bool>,
    pub q_fetched: Signal<Out, bool>,
    pub q_posted: Signal<Out, bool>,
    pub q_set_error: Signal<Out, bool>,
    pub q_switch_off: Signal<Out, bool>,
    pub q_ready: Signal<In, bool>,
    pub q_pending: Signal<In, bool>,
    pub q_tail_bad: Signal<In, bool>,
    pub q_cq_room: Signal<In, bool>,
    pub q_sq_base: Signal<In, Bits<64>>,
    pub q_cq_base: Signal<In, Bits<64>>,
    pub q_sq_head: Signal<In, Index>,
    pub q_cq_tail: Signal<In, Index>,
    pub q_phase: Signal<In, bool>,
    pub q_irq_vector: Signal<In, Bits<32>>,
    // The executor.
    pub cmd_valid: Signal<Out, bool>,
    pub cmd_ready: Signal<In, bool>,
    pub cmd_opcode: Signal<Out, Bits<8>>,
    pub cmd_flags: Signal<Out, Bits<8>>,
    pub cmd_nr_pages: Signal<Out, Bits<16>>,
    pub cmd_slot: Signal<Out, Bits<32>>,
    pub cmd_addr: Signal<Out, Bits<64>>,
    pub cmd_len: Signal<Out, Bits<32>>,
    pub done: Signal<In, bool>,
    pub status: Signal<In, Bits<8>>,
    pub result: Signal<In, Bits<32>>,
    pub info: Signal<In, Bits<32>>,
    pub reset_entries: Signal<Out, bool>,
    pub clear_stats: Signal<Out, bool>,
    pub exec_active: Signal<Out, bool>,
    // DMA master port.
    pub dma_req_valid: Signal<Out, bool>,
    pub dma_req_ready: Signal<In, bool>,
    pub dma_req_write: Signal<Out, bool>,
    pub dma_req_addr: Signal<Out, Bits<64>>,
    pub dma_req_len: Signal<Out, Bits<16>>,
    pub dma_wvalid: Signal<Out, bool>,
    pub dma_wready: Signal<In, bool>,
    pub dma_wdata: Signal<Out, Bits<64>>,
    pub dma_wlast: Signal<Out, bool>,
    pub dma_bvalid: Signal<In, bool>,
    pub dma_bok: Signal<In, bool>,
    pub dma_rvalid: Signal<In, bool>,
    pub dma_rdata: Signal<In, Bits<64>>,
    pub dma_rlast: Signal<In, bool>,
    pub dma_rerr: Signal<In, bool>,
    pub irq: Signal<Out, Bits<IRQ_VECTORS>>,
    pub idle: Signal<Out, bool>,

    fetch: CmdFetch,
    post: CplPost,
    head_x: ZeroExtend<RING_INDEX_BITS, 64>,
    tail_x: ZeroExtend<RING_INDEX_BITS, 64>,

    st_scan: Constant<Bits<4>>,
    st_check: Constant<Bits<4>>,
    st_tail_bad: Constant<Bits<4>>,
    st_fetch: Constant<Bits<4>>,
    st_exec: Constant<Bits<4>>,
    st_exec_wait: Constant<Bits<4>>,
    st_post: Constant<Bits<4>>,
    st_post_wait: Constant<Bits<4>>,
    st_drain_check: Constant<Bits<4>>,
    st_drain_off: Constant<Bits<4>>,
    st_clear: Constant<Bits<4>>,
    st_clear_settle: Constant<Bits<4>>,
    st_clear_wait: Constant<Bits<4>>,
    first_q: Constant<Bits<QUEUE_BITS>>,
    last_q: Constant<Bits<QUEUE_BITS>>,
    one_q: Constant<Bits<QUEUE_BITS>>,
    /// `quiet` value meaning every queue was found ineligible.
    all_quiet: Constant<Bits<4>>,
    one_quiet: Constant<Bits<4>>,
    no_quiet: Constant<Bits<4>>,
    sq_entry_shift: Constant<Bits<8>>,
    cq_entry_shift: Constant<Bits<8>>,
    aborted: Constant<Bits<8>>,
    zero32: Constant<Bits<32>>,
    no_irq: Constant<Bits<IRQ_VECTORS>>,
    irq_vector_0: Constant<Bits<IRQ_VECTORS>>,
    /// Vectors of the device: `num_queues`.
    irq_vectors: Constant<Bits<32>>,

    state: DFF<Bits<4>>,
    /// The queue whose turn it is.
    turn: DFF<Bits<QUEUE_BITS>>,
    /// The reset sequence runs (fetch and post serve it instead of the executor).
    draining: DFF<bool>,
    /// Consecutive `SCAN` cycles that found no eligible queue (saturating).
    quiet: DFF<Bits<4>>,
    status_q: DFF<Bits<8>>,
    result_q: DFF<Bits<32>>,
    info_q: DFF<Bits<32>>,
    irq_q: DFF<Bits<IRQ_VECTORS>>,

    eligible: Signal<Local, bool>,
    next_q: Signal<Local, Bits<QUEUE_BITS>>,
}

impl QueueEngine {
    pub fn new(params: &DeviceParams) -> Self {
        params.check().expect("device parameters");
        Self {
            clock: Default::default(),
            enabled: Default::default(),
            irq_mask: Default::default(),
            resetting: Default::default(),
            reset_done: Default::default(),
            host_wrote: Default::default(),
            q_sel: Default::default(),
            q_hold: Default::default(),
            q_fetched: Default::default(),
            q_posted: Default::default(),
            q_set_error: Default::default(),
            q_switch_off: Default::default(),
            q_ready: Default::default(),
            q_pending: Default::default(),
            q_tail_bad: Default::default(),
            q_cq_room: Default::default(),
            q_sq_base: Default::default(),
            q_cq_base: Default::default(),
            q_sq_head: Default::default(),
            q_cq_tail: Default::default(),
            q_phase: Default::default(),
            q_irq_vector: Default::default(),
            cmd_valid: Default::default(),
            cmd_ready: Default::default(),
            cmd_opcode: Default::default(),
            cmd_flags: Default::default(),
            cmd_nr_pages: Default::default(),
            cmd_slot: Default::default(),
            cmd_addr: Default::default(),
            cmd_len: Default::default(),
            done: Default::default(),
            status: Default::default(),
            result: Default::default(),
            info: Default::default(),
            reset_entries: Default::default(),
            clear_stats: Default::default(),
            exec_active: Default::default(),
            dma_req_valid: Default::default(),
            dma_req_ready: Default::default(),
            dma_req_write: Default::default(),
            dma_req_addr: Default::default(),
            dma_req_len: Default::default(),
            dma_wvalid: Default::default(),
            dma_wready: Default::default(),
            dma_wdata: Default::default(),
            dma_wlast: Default::default(),
            dma_bvalid: Default::default(),
            dma_bok: Default::default(),
            dma_rvalid: Default::default(),
            dma_rdata: Default::default(),
            dma_rlast: Default::default(),
            dma_rerr: Default::default(),
            irq: Default::default(),
            idle: Default::default(),
            fetch: Default::default(),
            post: Default::default(),
            head_x: Default::default(),
            tail_x: Default::default(),
            st_scan: st(SCAN),
            st_check: st(CHECK),
            st_tail_bad: st(TAIL_BAD),
            st_fetch: st(FETCH),
            st_exec: st(EXEC),
            st_exec_wait: st(EXEC_WAIT),
            st_post: st(POST),
            st_post_wait: st(POST_WAIT),
            st_drain_check: st(DRAIN_CHECK),
            st_drain_off: st(DRAIN_OFF),
            st_clear: st(CLEAR),
            st_clear_settle: st(CLEAR_SETTLE),
            st_clear_wait: st(CLEAR_WAIT),
            first_q: Constant::new(0u64.to_bits()),
            last_q: Constant::new(((params.num_queues - 1) as u64).to_bits()),
            one_q: Constant::new(1u64.to_bits()),
            all_quiet: Constant::new((params.num_queues as u64).to_bits()),
            one_quiet: Constant::new(1u64.to_bits()),
            no_quiet: Constant::new(0u64.to_bits()),
            sq_entry_shift: Constant::new((COMMAND_SIZE.trailing_zeros() as u64).to_bits()),
            cq_entry_shift: Constant::new((COMPLETION_SIZE.trailing_zeros() as u64).to_bits()),
            aborted: Constant::new((Status::Aborted as u64).to_bits()),
            zero32: Constant::new(0u64.to_bits()),
            no_irq: Constant::new(0u64.to_bits()),
            irq_vector_0: Constant::new(1u64.to_bits()),
            irq_vectors: Constant::new((params.num_queues as u64).to_bits()),
            state: Default::default(),
            turn: Default::default(),
            draining: Default::default(),
            quiet: Default::default(),
            status_q: Default::default(),
            result_q: Default::default(),
            info_q: Default::default(),
            irq_q: Default::default(),
            eligible: Default::default(),
            next_q: Default::default(),
        }
    }
}

const _: () = assert!(COMMAND_SIZE.is_power_of_two() && COMPLETION_SIZE.is_power_of_two());

// One `if` per FSM state with its handshake inside, like the state diagram;
// clippy would merge them.
#[allow(clippy::collapsible_if)]
impl Logic for QueueEngine {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, turn, draining, quiet, status_q, result_q, info_q, irq_q
        );
        self.fetch.clock.next = self.clock.val();
        self.post.clock.next = self.clock.val();

        // The queue file.
        self.q_sel.next = self.turn.q.val();
        self.q_hold.next = self.state.q.val() != self.st_scan.val();
        self.q_fetched.next = (self.state.q.val() == self.st_fetch.val())
            & self.fetch.done.val()
            & !self.fetch.fault.val();
        self.q_posted.next = (self.state.q.val() == self.st_post_wait.val())
            & self.post.done.val()
            & !self.post.fault.val();
        // The reset sequence stops a queue on a fetch fault without flagging
        // it (the model's `register_reset`); a post fault always flags.
        self.q_set_error.next = (self.state.q.val() == self.st_tail_bad.val())
            | ((self.state.q.val() == self.st_fetch.val())
                & self.fetch.done.val()
                & self.fetch.fault.val()
                & !self.draining.q.val())
            | ((self.state.q.val() == self.st_post_wait.val())
                & self.post.done.val()
                & self.post.fault.val());
        self.q_switch_off.next = self.state.q.val() == self.st_drain_off.val();
        self.eligible.next = self.enabled.val()
            & self.q_ready.val()
            & self.q_pending.val()
            & (self.q_tail_bad.val() | self.q_cq_room.val());
        self.next_q.next = self.turn.q.val() + self.one_q.val();
        if self.turn.q.val() == self.last_q.val() {
            self.next_q.next = self.first_q.val();
        }

        // Fetch and post: the entries of `q_sel` at its indices.
        self.head_x.narrow.next = self.q_sq_head.val();
        self.tail_x.narrow.next = self.q_cq_tail.val();
        self.fetch.start.next = false;
        self.fetch.addr.next =
            self.q_sq_base.val() + (self.head_x.wide.val() << self.sq_entry_shift.val());
        self.post.start.next = false;
        self.post.addr.next =
            self.q_cq_base.val() + (self.tail_x.wide.val() << self.cq_entry_shift.val());
        self.post.cid.next = self.fetch.cid.val();
        self.post.status.next = self.status_q.q.val();
        self.post.phase.next = self.q_phase.val();
        self.post.sq_head.next = self.q_sq_head.val();
        self.post.sq_id.next = self.turn.q.val();
        self.post.result.next = self.result_q.q.val();
        self.post.info.next = self.info_q.q.val();

        // One DMA port: at most one of fetch and post is active.
        self.dma_req_valid.next = self.fetch.dma_req_valid.val() | self.post.dma_req_valid.val();
        self.dma_req_write.next = self.post.dma_req_valid.val();
        self.dma_req_addr.next = self.fetch.dma_req_addr.val();
        self.dma_req_len.next = self.fetch.dma_req_len.val();
        if self.post.dma_req_valid.val() {
            self.dma_req_addr.next = self.post.dma_req_addr.val();
            self.dma_req_len.next = self.post.dma_req_len.val();
        }
        self.fetch.dma_req_ready.next = self.dma_req_ready.val();
        self.post.dma_req_ready.next = self.dma_req_ready.val();
        self.fetch.dma_rvalid.next = self.dma_rvalid.val();
        self.fetch.dma_rdata.next = self.dma_rdata.val();
        self.fetch.dma_rlast.next = self.dma_rlast.val();
        self.fetch.dma_rerr.next = self.dma_rerr.val();
        self.dma_wvalid.next = self.post.dma_wvalid.val();
        self.dma_wdata.next = self.post.dma_wdata.val();
        self.dma_wlast.next = self.post.dma_wlast.val();
        self.post.dma_wready.next = self.dma_wready.val();
        self.post.dma_bvalid.next = self.dma_bvalid.val();
        self.post.dma_bok.next = self.dma_bok.val();

        // The executor.
        self.cmd_valid.next = self.state.q.val() == self.st_exec.val();
        self.cmd_opcode.next = self.fetch.opcode.val();
        self.cmd_flags.next = self.fetch.flags.val();
        self.cmd_nr_pages.next = self.fetch.nr_pages.val();
        self.cmd_slot.next = self.fetch.slot.val();
        self.cmd_addr.next = self.fetch.buf_addr.val();
        self.cmd_len.next = self.fetch.len.val();
        self.exec_active.next = (self.state.q.val() == self.st_exec.val())
            | (self.state.q.val() == self.st_exec_wait.val());
        // The executor takes `reset_entries` only while idle.
        self.reset_entries.next =
            (self.state.q.val() == self.st_clear.val()) & self.cmd_ready.val();
        self.clear_stats.next = (self.state.q.val() == self.st_clear.val()) & self.cmd_ready.val();
        self.reset_done.next =
            (self.state.q.val() == self.st_clear_wait.val()) & self.cmd_ready.val();

        self.irq.next = self.irq_q.q.val();
        self.irq_q.d.next = self.no_irq.val();
        self.idle.next = (self.state.q.val() == self.st_scan.val())
            & !self.resetting.val()
            & (self.quiet.q.val() == self.all_quiet.val());

        // Service.
        if self.state.q.val() == self.st_scan.val() {
            if self.resetting.val() {
                self.turn.d.next = self.first_q.val();
                self.draining.d.next = true;
                self.state.d.next = self.st_drain_check.val();
            } else if self.eligible.val() {
                self.state.d.next = self.st_check.val();
            } else {
                self.turn.d.next = self.next_q.val();
                if self.quiet.q.val() != self.all_quiet.val() {
                    self.quiet.d.next = self.quiet.q.val() + self.one_quiet.val();
                }
            }
        }
        if self.state.q.val() == self.st_check.val() {
            if !(self.enabled.val() & self.q_ready.val() & self.q_pending.val()) {
                self.turn.d.next = self.next_q.val();
                self.state.d.next = self.st_scan.val();
            } else if self.q_tail_bad.val() {
                self.state.d.next = self.st_tail_bad.val();
            } else if !self.q_cq_room.val() {
                self.turn.d.next = self.next_q.val();
                self.state.d.next = self.st_scan.val();
            } else {
                self.fetch.start.next = true;
                self.state.d.next = self.st_fetch.val();
            }
        }
        if self.state.q.val() == self.st_tail_bad.val() {
            self.turn.d.next = self.next_q.val();
            self.state.d.next = self.st_scan.val();
        }
        if self.state.q.val() == self.st_fetch.val() {
            if self.fetch.done.val() {
                if self.fetch.fault.val() {
                    if self.draining.q.val() {
                        self.state.d.next = self.st_drain_off.val();
                    } else {
                        self.turn.d.next = self.next_q.val();
                        self.state.d.next = self.st_scan.val();
                    }
                } else if self.draining.q.val() {
                    self.status_q.d.next = self.aborted.val();
                    self.result_q.d.next = self.zero32.val();
                    self.info_q.d.next = self.zero32.val();
                    self.state.d.next = self.st_post.val();
                } else {
                    self.state.d.next = self.st_exec.val();
                }
            }
        }
        if self.state.q.val() == self.st_exec.val() {
            if self.cmd_ready.val() {
                self.state.d.next = self.st_exec_wait.val();
            }
        }
        if self.state.q.val() == self.st_exec_wait.val() {
            if self.done.val() {
                self.status_q.d.next = self.status.val();
                self.result_q.d.next = self.result.val();
                self.info_q.d.next = self.info.val();
                self.state.d.next = self.st_post.val();
            }
        }
        if self.state.q.val() == self.st_post.val() {
            if self.q_cq_room.val() {
                self.post.start.next = true;
                self.state.d.next = self.st_post_wait.val();
            } else if self.draining.q.val() {
                self.state.d.next = self.st_drain_off.val();
            } else {
                // The host moved CQ_HEAD_DB back: the model drops the completion.
                self.turn.d.next = self.next_q.val();
                self.state.d.next = self.st_scan.val();
            }
        }
        if self.state.q.val() == self.st_post_wait.val() {
            if self.post.done.val() {
                if !self.post.fault.val()
                    & !self.irq_mask.val().get_bit(self.turn.q.val().index())
                    & (self.q_irq_vector.val() < self.irq_vectors.val())
                {
                    self.irq_q.d.next = self.irq_vector_0.val()
                        << self.q_irq_vector.val().get_bits::<IRQ_VECTOR_BITS>(0);
                }
                if !self.draining.q.val() {
                    self.turn.d.next = self.next_q.val();
                    self.state.d.next = self.st_scan.val();
                } else if self.post.fault.val() {
                    self.state.d.next = self.st_drain_off.val();
                } else {
                    self.state.d.next = self.st_drain_check.val();
                }
            }
        }

        // CONTROL RESET.
        if self.state.q.val() == self.st_drain_check.val() {
            if self.q_ready.val() & self.q_pending.val() & !self.q_tail_bad.val() {
                self.fetch.start.next = true;
                self.state.d.next = self.st_fetch.val();
            } else {
                self.state.d.next = self.st_drain_off.val();
            }
        }
        if self.state.q.val() == self.st_drain_off.val() {
            if self.turn.q.val() == self.last_q.val() {
                self.state.d.next = self.st_clear.val();
            } else {
                self.turn.d.next = self.next_q.val();
                self.state.d.next = self.st_drain_check.val();
            }
        }
        if self.state.q.val() == self.st_clear.val() {
            if self.cmd_ready.val() {
                self.state.d.next = self.st_clear_settle.val();
            }
        }
        if self.state.q.val() == self.st_clear_settle.val() {
            self.state.d.next = self.st_clear_wait.val();
        }
        if self.state.q.val() == self.st_clear_wait.val() {
            if self.cmd_ready.val() {
                self.draining.d.next = false;
                self.turn.d.next = self.first_q.val();
                self.state.d.next = self.st_scan.val();
            }
        }

        if self.host_wrote.val() | (self.state.q.val() != self.st_scan.val()) {
            self.quiet.d.next = self.no_quiet.val();
        }
    }
}
