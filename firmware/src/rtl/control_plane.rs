//! `ControlPlane`: the device's register block and queue engine — [`Csr`],
//! [`QueueFile`] and [`QueueEngine`] — with the DMA port shared with the
//! executor. The device top level is this block wired to the `Executor`.
//!
//! # Ports
//!
//! Top level (`docs/device-rtl.md`): `reg_*`, `dma_*`, `irq`, `idle`.
//!
//! Executor side (the mirror of the Executor's port table):
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `cmd_valid`/`cmd_ready` | out/in | 1 | a command for the executor |
//! | `cmd_opcode`, `cmd_flags` | out | 8, 8 | |
//! | `cmd_nr_pages` | out | 16 | |
//! | `cmd_slot` | out | 32 | |
//! | `cmd_addr` | out | 64 | |
//! | `cmd_len` | out | 32 | |
//! | `done` | in | 1 | pulse: the outcome is on `status`/`result`/`info` |
//! | `status` | in | 8 | `pagepress_abi::Status` |
//! | `result`, `info` | in | 32, 32 | |
//! | `reset_entries`, `clear_stats` | out | 1 | pulses of the CONTROL RESET sequence |
//! | `stat_idx` | out | 5 | counter read port: index ... |
//! | `stat_value` | in | 64 | ... and its value one cycle later |
//! | `ex_dma_*` | | | the executor's DMA master port (same signals as `dma_*`, directions mirrored) |
//!
//! The DMA port belongs to the executor from the cycle the engine offers it a
//! command until its `done` (`QueueEngine::exec_active`), to the engine
//! otherwise; the side that does not own it sees `*_ready`, `rvalid` and
//! `bvalid` low.
//!
//! `idle` is high when the engine is idle (no command running, no reset
//! pending, no eligible queue) and no register access is in progress.

use crate::params::DeviceParams;
use crate::rtl::csr::{Csr, QueueFile, REG_ADDR_BITS, STAT_IDX_BITS};
use crate::rtl::queue_engine::{IRQ_VECTORS, QueueEngine};
use pagepress_abi::DeviceKind;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct ControlPlane {
    pub clock: Signal<In, Clock>,
    // BAR0 register port.
    pub reg_valid: Signal<In, bool>,
    pub reg_write: Signal<In, bool>,
    pub reg_addr: Signal<In, Bits<REG_ADDR_BITS>>,
    pub reg_wdata: Signal<In, Bits<32>>,
    pub reg_ready: Signal<Out, bool>,
    pub reg_rvalid: Signal<Out, bool>,
    pub reg_rdata: Signal<Out, Bits<32>>,
    // DMA master port (host memory).
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
    pub stat_idx: Signal<Out, Bits<STAT_IDX_BITS>>,
    pub stat_value: Signal<In, Bits<64>>,
    // The executor's DMA master port.
    pub ex_dma_req_valid: Signal<In, bool>,
    pub ex_dma_req_ready: Signal<Out, bool>,
    pub ex_dma_req_write: Signal<In, bool>,
    pub ex_dma_req_addr: Signal<In, Bits<64>>,
    pub ex_dma_req_len: Signal<In, Bits<16>>,
    pub ex_dma_wvalid: Signal<In, bool>,
    pub ex_dma_wready: Signal<Out, bool>,
    pub ex_dma_wdata: Signal<In, Bits<64>>,
    pub ex_dma_wlast: Signal<In, bool>,
    pub ex_dma_bvalid: Signal<Out, bool>,
    pub ex_dma_bok: Signal<Out, bool>,
    pub ex_dma_rvalid: Signal<Out, bool>,
    pub ex_dma_rdata: Signal<Out, Bits<64>>,
    pub ex_dma_rlast: Signal<Out, bool>,
    pub ex_dma_rerr: Signal<Out, bool>,

    csr: Csr,
    queues: QueueFile,
    engine: QueueEngine,
}

impl ControlPlane {
    /// The control plane of a device built from `params`; IDENTITY reports `kind`.
    pub fn new(params: &DeviceParams, kind: DeviceKind) -> Self {
        Self {
            clock: Default::default(),
            reg_valid: Default::default(),
            reg_write: Default::default(),
            reg_addr: Default::default(),
            reg_wdata: Default::default(),
            reg_ready: Default::default(),
            reg_rvalid: Default::default(),
            reg_rdata: Default::default(),
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
            stat_idx: Default::default(),
            stat_value: Default::default(),
            ex_dma_req_valid: Default::default(),
            ex_dma_req_ready: Default::default(),
            ex_dma_req_write: Default::default(),
            ex_dma_req_addr: Default::default(),
            ex_dma_req_len: Default::default(),
            ex_dma_wvalid: Default::default(),
            ex_dma_wready: Default::default(),
            ex_dma_wdata: Default::default(),
            ex_dma_wlast: Default::default(),
            ex_dma_bvalid: Default::default(),
            ex_dma_bok: Default::default(),
            ex_dma_rvalid: Default::default(),
            ex_dma_rdata: Default::default(),
            ex_dma_rlast: Default::default(),
            ex_dma_rerr: Default::default(),
            csr: Csr::new(params, kind),
            queues: QueueFile::new(params.num_queues, params.max_queue_log2),
            engine: QueueEngine::new(params),
        }
    }
}

/// The Verilog of a control plane (`module top`), for lint and area reports.
pub fn control_plane_verilog(params: &DeviceParams, kind: DeviceKind) -> String {
    let mut uut = ControlPlane::new(params, kind);
    uut.connect_all();
    generate_verilog(&uut)
}

impl Logic for ControlPlane {
    #[hdl_gen]
    fn update(&mut self) {
        self.csr.clock.next = self.clock.val();
        self.queues.clock.next = self.clock.val();
        self.engine.clock.next = self.clock.val();

        // Register port and counters.
        self.csr.reg_valid.next = self.reg_valid.val();
        self.csr.reg_write.next = self.reg_write.val();
        self.csr.reg_addr.next = self.reg_addr.val();
        self.csr.reg_wdata.next = self.reg_wdata.val();
        self.reg_ready.next = self.csr.reg_ready.val();
        self.reg_rvalid.next = self.csr.reg_rvalid.val();
        self.reg_rdata.next = self.csr.reg_rdata.val();
        self.stat_idx.next = self.csr.stat_idx.val();
        self.csr.stat_value.next = self.stat_value.val();

        // CSR <-> queue file (host side).
        self.queues.host_q.next = self.csr.host_q.val();
        self.queues.host_word.next = self.csr.host_word.val();
        self.queues.host_write.next = self.csr.host_write.val();
        self.queues.host_wdata.next = self.csr.host_wdata.val();
        self.csr.host_rdata.next = self.queues.host_rdata.val();

        // CSR <-> engine.
        self.engine.enabled.next = self.csr.enabled.val();
        self.engine.irq_mask.next = self.csr.irq_mask.val();
        self.engine.resetting.next = self.csr.resetting.val();
        self.engine.host_wrote.next = self.csr.wrote.val();
        self.csr.reset_done.next = self.engine.reset_done.val();
        self.csr.eng_q.next = self.engine.q_sel.val();
        self.csr.eng_hold.next = self.engine.q_hold.val();

        // Engine <-> queue file (engine side).
        self.queues.eng_q.next = self.engine.q_sel.val();
        self.queues.fetched.next = self.engine.q_fetched.val();
        self.queues.posted.next = self.engine.q_posted.val();
        self.queues.set_error.next = self.engine.q_set_error.val();
        self.queues.switch_off.next = self.engine.q_switch_off.val();
        self.engine.q_ready.next = self.queues.ready.val();
        self.engine.q_pending.next = self.queues.pending.val();
        self.engine.q_tail_bad.next = self.queues.tail_bad.val();
        self.engine.q_cq_room.next = self.queues.cq_room.val();
        self.engine.q_sq_base.next = self.queues.sq_base.val();
        self.engine.q_cq_base.next = self.queues.cq_base.val();
        self.engine.q_sq_head.next = self.queues.sq_head.val();
        self.engine.q_cq_tail.next = self.queues.cq_tail.val();
        self.engine.q_phase.next = self.queues.phase.val();
        self.engine.q_irq_vector.next = self.queues.irq_vector.val();

        // Engine <-> executor.
        self.cmd_valid.next = self.engine.cmd_valid.val();
        self.engine.cmd_ready.next = self.cmd_ready.val();
        self.cmd_opcode.next = self.engine.cmd_opcode.val();
        self.cmd_flags.next = self.engine.cmd_flags.val();
        self.cmd_nr_pages.next = self.engine.cmd_nr_pages.val();
        self.cmd_slot.next = self.engine.cmd_slot.val();
        self.cmd_addr.next = self.engine.cmd_addr.val();
        self.cmd_len.next = self.engine.cmd_len.val();
        self.engine.done.next = self.done.val();
        self.engine.status.next = self.status.val();
        self.engine.result.next = self.result.val();
        self.engine.info.next = self.info.val();
        self.reset_entries.next = self.engine.reset_entries.val();
        self.clear_stats.next = self.engine.clear_stats.val();
        self.irq.next = self.engine.irq.val();
        self.idle.next = self.engine.idle.val() & !self.csr.busy.val();

        // The DMA port: the executor's while it runs a command, else the engine's.
        self.ex_dma_rdata.next = self.dma_rdata.val();
        self.ex_dma_rlast.next = self.dma_rlast.val();
        self.ex_dma_rerr.next = self.dma_rerr.val();
        self.ex_dma_bok.next = self.dma_bok.val();
        self.engine.dma_rdata.next = self.dma_rdata.val();
        self.engine.dma_rlast.next = self.dma_rlast.val();
        self.engine.dma_rerr.next = self.dma_rerr.val();
        self.engine.dma_bok.next = self.dma_bok.val();
        if self.engine.exec_active.val() {
            self.dma_req_valid.next = self.ex_dma_req_valid.val();
            self.dma_req_write.next = self.ex_dma_req_write.val();
            self.dma_req_addr.next = self.ex_dma_req_addr.val();
            self.dma_req_len.next = self.ex_dma_req_len.val();
            self.dma_wvalid.next = self.ex_dma_wvalid.val();
            self.dma_wdata.next = self.ex_dma_wdata.val();
            self.dma_wlast.next = self.ex_dma_wlast.val();
            self.ex_dma_req_ready.next = self.dma_req_ready.val();
            self.ex_dma_wready.next = self.dma_wready.val();
            self.ex_dma_bvalid.next = self.dma_bvalid.val();
            self.ex_dma_rvalid.next = self.dma_rvalid.val();
            self.engine.dma_req_ready.next = false;
            self.engine.dma_wready.next = false;
            self.engine.dma_bvalid.next = false;
            self.engine.dma_rvalid.next = false;
        } else {
            self.dma_req_valid.next = self.engine.dma_req_valid.val();
            self.dma_req_write.next = self.engine.dma_req_write.val();
            self.dma_req_addr.next = self.engine.dma_req_addr.val();
            self.dma_req_len.next = self.engine.dma_req_len.val();
            self.dma_wvalid.next = self.engine.dma_wvalid.val();
            self.dma_wdata.next = self.engine.dma_wdata.val();
            self.dma_wlast.next = self.engine.dma_wlast.val();
            self.ex_dma_req_ready.next = false;
            self.ex_dma_wready.next = false;
            self.ex_dma_bvalid.next = false;
            self.ex_dma_rvalid.next = false;
            self.engine.dma_req_ready.next = self.dma_req_ready.val();
            self.engine.dma_wready.next = self.dma_wready.val();
            self.engine.dma_bvalid.next = self.dma_bvalid.val();
            self.engine.dma_rvalid.next = self.dma_rvalid.val();
        }
    }
}

#[cfg(test)]
mod tests;
