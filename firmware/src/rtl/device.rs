//! `PagepressDevice`: the device top level — the [`ControlPlane`] (register
//! block and queue engine) wired to the [`Executor`] (command execution with
//! the engines, the slot index and the allocator).
//!
//! Its ports are the ones a board shell connects, listed in
//! `docs/device-rtl.md` ("Top-level ports"): the BAR0 register port, the DMA
//! master port to host memory (owned by the queue engine between commands and
//! by the executor while one runs; the control plane muxes it), the
//! device-memory port (the executor's), the interrupt vectors and `idle`.
//!
//! The allocator's and the index's RAMs are sized from the parameters at
//! compile time (`ALLOC_BITS`, `NODE_BITS`, `TOP_BITS`: see
//! `executor::alloc_bits` and its siblings); [`SimDevice`] is the build the
//! Verilator harness runs.

use crate::params::{DeviceParams, SIM_DEVICE};
use crate::rtl::control_plane::ControlPlane;
use crate::rtl::csr::REG_ADDR_BITS;
use crate::rtl::executor::{Executor, alloc_bits, node_bits, top_bits};
use crate::rtl::queue_engine::IRQ_VECTORS;
use pagepress_abi::DeviceKind;
use rust_hdl::prelude::*;

/// The device top level. See the module documentation.
#[derive(LogicBlock)]
pub struct PagepressDevice<const ALLOC_BITS: usize, const NODE_BITS: usize, const TOP_BITS: usize> {
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
    // Device-memory port.
    pub mem_req_valid: Signal<Out, bool>,
    pub mem_req_ready: Signal<In, bool>,
    pub mem_req_write: Signal<Out, bool>,
    pub mem_req_addr: Signal<Out, Bits<32>>,
    pub mem_wdata: Signal<Out, Bits<64>>,
    pub mem_rvalid: Signal<In, bool>,
    pub mem_rdata: Signal<In, Bits<64>>,
    // Interrupts and clock gating.
    pub irq: Signal<Out, Bits<IRQ_VECTORS>>,
    pub idle: Signal<Out, bool>,
    control: ControlPlane,
    executor: Executor<ALLOC_BITS, NODE_BITS, TOP_BITS>,
}

/// The device the `sim` backend Verilates ([`SIM_DEVICE`]).
pub type SimDevice = PagepressDevice<
    { alloc_bits(&SIM_DEVICE) },
    { node_bits(&SIM_DEVICE) },
    { top_bits(&SIM_DEVICE) },
>;

impl<const ALLOC_BITS: usize, const NODE_BITS: usize, const TOP_BITS: usize>
    PagepressDevice<ALLOC_BITS, NODE_BITS, TOP_BITS>
{
    /// The device built from `params`, reporting `kind` in IDENTITY.
    pub fn new(params: &DeviceParams, kind: DeviceKind) -> Self {
        PagepressDevice {
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
            mem_req_valid: Default::default(),
            mem_req_ready: Default::default(),
            mem_req_write: Default::default(),
            mem_req_addr: Default::default(),
            mem_wdata: Default::default(),
            mem_rvalid: Default::default(),
            mem_rdata: Default::default(),
            irq: Default::default(),
            idle: Default::default(),
            control: ControlPlane::new(params, kind),
            executor: Executor::new(params),
        }
    }
}

impl<const ALLOC_BITS: usize, const NODE_BITS: usize, const TOP_BITS: usize> Logic
    for PagepressDevice<ALLOC_BITS, NODE_BITS, TOP_BITS>
{
    #[hdl_gen]
    fn update(&mut self) {
        self.control.clock.next = self.clock.val();
        self.executor.clock.next = self.clock.val();
        // Register port.
        self.control.reg_valid.next = self.reg_valid.val();
        self.control.reg_write.next = self.reg_write.val();
        self.control.reg_addr.next = self.reg_addr.val();
        self.control.reg_wdata.next = self.reg_wdata.val();
        self.reg_ready.next = self.control.reg_ready.val();
        self.reg_rvalid.next = self.control.reg_rvalid.val();
        self.reg_rdata.next = self.control.reg_rdata.val();
        // Host DMA port: the control plane's, which muxes in the executor's.
        self.dma_req_valid.next = self.control.dma_req_valid.val();
        self.control.dma_req_ready.next = self.dma_req_ready.val();
        self.dma_req_write.next = self.control.dma_req_write.val();
        self.dma_req_addr.next = self.control.dma_req_addr.val();
        self.dma_req_len.next = self.control.dma_req_len.val();
        self.dma_wvalid.next = self.control.dma_wvalid.val();
        self.control.dma_wready.next = self.dma_wready.val();
        self.dma_wdata.next = self.control.dma_wdata.val();
        self.dma_wlast.next = self.control.dma_wlast.val();
        self.control.dma_bvalid.next = self.dma_bvalid.val();
        self.control.dma_bok.next = self.dma_bok.val();
        self.control.dma_rvalid.next = self.dma_rvalid.val();
        self.control.dma_rdata.next = self.dma_rdata.val();
        self.control.dma_rlast.next = self.dma_rlast.val();
        self.control.dma_rerr.next = self.dma_rerr.val();
        self.irq.next = self.control.irq.val();
        self.idle.next = self.control.idle.val();
        // Commands and outcomes.
        self.executor.cmd_valid.next = self.control.cmd_valid.val();
        self.control.cmd_ready.next = self.executor.cmd_ready.val();
        self.executor.cmd_opcode.next = self.control.cmd_opcode.val();
        self.executor.cmd_flags.next = self.control.cmd_flags.val();
        self.executor.cmd_nr_pages.next = self.control.cmd_nr_pages.val();
        self.executor.cmd_slot.next = self.control.cmd_slot.val();
        self.executor.cmd_addr.next = self.control.cmd_addr.val();
        self.executor.cmd_len.next = self.control.cmd_len.val();
        self.control.done.next = self.executor.done.val();
        self.control.status.next = self.executor.status.val();
        self.control.result.next = self.executor.result.val();
        self.control.info.next = self.executor.info.val();
        self.executor.reset_entries.next = self.control.reset_entries.val();
        self.executor.clear_stats.next = self.control.clear_stats.val();
        self.executor.stat_idx.next = self.control.stat_idx.val();
        self.control.stat_value.next = self.executor.stat_value.val();
        // The executor's DMA port, through the control plane's mux.
        self.control.ex_dma_req_valid.next = self.executor.dma_req_valid.val();
        self.executor.dma_req_ready.next = self.control.ex_dma_req_ready.val();
        self.control.ex_dma_req_write.next = self.executor.dma_req_write.val();
        self.control.ex_dma_req_addr.next = self.executor.dma_req_addr.val();
        self.control.ex_dma_req_len.next = self.executor.dma_req_len.val();
        self.control.ex_dma_wvalid.next = self.executor.dma_wvalid.val();
        self.executor.dma_wready.next = self.control.ex_dma_wready.val();
        self.control.ex_dma_wdata.next = self.executor.dma_wdata.val();
        self.control.ex_dma_wlast.next = self.executor.dma_wlast.val();
        self.executor.dma_bvalid.next = self.control.ex_dma_bvalid.val();
        self.executor.dma_bok.next = self.control.ex_dma_bok.val();
        self.executor.dma_rvalid.next = self.control.ex_dma_rvalid.val();
        self.executor.dma_rdata.next = self.control.ex_dma_rdata.val();
        self.executor.dma_rlast.next = self.control.ex_dma_rlast.val();
        self.executor.dma_rerr.next = self.control.ex_dma_rerr.val();
        // Device memory: the executor's.
        self.mem_req_valid.next = self.executor.mem_req_valid.val();
        self.executor.mem_req_ready.next = self.mem_req_ready.val();
        self.mem_req_write.next = self.executor.mem_req_write.val();
        self.mem_req_addr.next = self.executor.mem_req_addr.val();
        self.mem_wdata.next = self.executor.mem_wdata.val();
        self.executor.mem_rvalid.next = self.mem_rvalid.val();
        self.executor.mem_rdata.next = self.mem_rdata.val();
    }
}

/// The Verilog (`module top`) of the device built from `params`.
pub fn device_verilog<const ALLOC_BITS: usize, const NODE_BITS: usize, const TOP_BITS: usize>(
    params: &DeviceParams,
    kind: DeviceKind,
) -> String {
    let mut uut = PagepressDevice::<ALLOC_BITS, NODE_BITS, TOP_BITS>::new(params, kind);
    uut.connect_all();
    generate_verilog(&uut)
}

/// The Verilog of the device the `sim` backend runs.
pub fn sim_device_verilog() -> String {
    device_verilog::<
        { alloc_bits(&SIM_DEVICE) },
        { node_bits(&SIM_DEVICE) },
        { top_bits(&SIM_DEVICE) },
    >(&SIM_DEVICE, DeviceKind::Sim)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole device generates Verilog that Verilator lints clean.
    #[test]
    fn verilog_generates_and_lints() {
        let v = sim_device_verilog();
        pagepress_rtl::lint::lint_verilog("device", &v).unwrap();
    }
}
