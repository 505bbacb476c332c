//! The command `Executor`: runs one device command at a time (docs/device-rtl.md,
//! "Executor" and "The command algorithm") and owns what commands use: the
//! statistics counters, the slot index and the allocator (behind the
//! [`entries::EntryStore`]), one compressor, one decompressor, the page/frame
//! transfer buffer and the device-memory and DMA master ports.
//!
//! # Ports
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | |
//! | `cmd_valid`/`cmd_ready` | in/out | 1 | a command is offered / taken (`cmd_ready` is a register: high while idle) |
//! | `cmd_opcode`, `cmd_flags` | in | 8, 8 | |
//! | `cmd_nr_pages` | in | 16 | |
//! | `cmd_slot` | in | 32 | |
//! | `cmd_addr` | in | 64 | |
//! | `cmd_len` | in | 32 | |
//! | `done` | out | 1 | pulse: the outcome is on `status`/`result`/`info` (held until the next command starts) |
//! | `status` | out | 8 | `pagepress_abi::Status` |
//! | `result`, `info` | out | 32, 32 | |
//! | `reset_entries` | in | 1 | pulse: drop every entry (index CLEAR, allocator CLEAR); `cmd_ready` is low from the next cycle until done. A pulse while a command runs (or with a command taken in the same cycle) is kept and runs after that command |
//! | `clear_stats` | in | 1 | pulse: zero the counters (the two gauges read live) |
//! | `stat_idx`/`stat_value` | in/out | 5/64 | counter read port for the CSR: value one cycle after the index |
//! | `dma_*` | | | DMA master port, as at the top level |
//! | `mem_*` | | | device-memory master port, as at the top level |
//!
//! # Blocks
//!
//! ```text
//!  cmd ─> Sequencer ──(entry ops)──> EntryStore [SlotIndex, UnitAlloc] ─┐ index port
//!           │  │ └──(bumps)──> Stats <── stat_idx / snapshot port       │
//!           │  └──(transfers)──> DmaEngine <── BeatSource [buffer, FillFrame, stats]
//!           │                      │ read beats ─> Compressor ─> FrameDrain ─┐
//!           │                      └────────────> SameFill                  │ kept frames
//!           └──(frame moves)──> FramePort <───────────────────────────────────┘
//!                                 │ frame words ─> Decompressor ─> BeatSource buffer
//!                                 └── mem_* (lent to the index between frame moves)
//! ```
//!
//! [`sequencer::Sequencer`] is the state machine; the others move data.
//! A STORE page streams from the DMA port straight into the compressor (and
//! past the same-fill check); its frame streams from the compressor straight
//! into device memory once allocated. A LOAD frame streams from device memory
//! into the decompressor, whose page waits in the transfer buffer until the
//! decoder says OK.
//!
//! # Timing
//!
//! Cycles from `cmd_valid && cmd_ready` to `done`, one page, the test
//! device (one index level, device-memory latency 4, host and device memory
//! never stalling; `commands_match_the_model` prints them):
//!
//! | command | cycles | where they go |
//! |---|---|---|
//! | STORE, word-filled page | 546 | 512 beats of DMA read; remove + insert |
//! | STORE, text page (1674-byte frame) | 2528 | the compressor (~1700 to its frame's first beat after the last page beat), the frame written at its pace |
//! | STORE, first after power-up | + up to 4096 | the compressor clears its hash table |
//! | LOAD, same-filled page | 543 | 512 beats of DMA write |
//! | LOAD, text page | 7317 | the decompressor (about a byte per cycle), then 512 beats of DMA write |
//! | LOAD RAW_FRAME, text page | 459 | 210 frame words read into the buffer, 210 beats written |
//! | INVALIDATE, 4 slots (3 entries) | 74 | |
//!
//! Besides the engines and the transfers, a command costs a few cycles per
//! index or allocator operation (see their module docs) and about 10 of its
//! own (decode, registered starts, one counter bump per cycle).

#[cfg(test)]
#[macro_use]
pub(crate) mod testutil;

pub mod beat_source;
pub mod decode;
pub mod dma;
pub mod drain;
pub mod entries;
pub mod fill_frame;
pub mod frame_port;
pub mod narrow;
pub mod same_fill;
pub mod sequencer;

#[cfg(test)]
mod tests;

use super::stats::Stats;
use crate::params::{DeviceParams, SIM_DEVICE};
use beat_source::BeatSource;
use dma::DmaEngine;
use drain::FrameDrain;
use entries::EntryStore;
use frame_port::FramePort;
use narrow::Narrow;
use pagepress_abi::format::MAX_FRAME_SIZE;
use pagepress_rtl::compressor::Compressor;
use pagepress_rtl::decompressor::Decompressor;
use rust_hdl::prelude::*;
use same_fill::SameFill;
use sequencer::Sequencer;

/// A sized constant (a Verilog localparam of exactly `N` bits).
pub(crate) fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.to_bits())
}

/// `ceil(log2(n))`, at least 1: the address bits of a RAM of `n` entries.
const fn addr_bits(n: u64) -> usize {
    let mut b = 1;
    while (1u64 << b) < n {
        b += 1;
    }
    b
}

/// Address bits of the allocator's bitmap RAM (64 units a word) for `p`.
pub const fn alloc_bits(p: &DeviceParams) -> usize {
    addr_bits(p.units().div_ceil(64) as u64)
}

/// Address bits of the index's node RAMs (masks, free stack) for `p`.
pub const fn node_bits(p: &DeviceParams) -> usize {
    addr_bits(p.index_nodes as u64)
}

/// Address bits of the index's on-chip top level for `p`.
pub const fn top_bits(p: &DeviceParams) -> usize {
    addr_bits(p.index_geometry().top_entries() as u64)
}

/// The executor of [`SIM_DEVICE`].
pub type SimExecutor =
    Executor<{ alloc_bits(&SIM_DEVICE) }, { node_bits(&SIM_DEVICE) }, { top_bits(&SIM_DEVICE) }>;

/// The executor. Its RAMs are sized by type: `ALLOC_BITS`, `NODE_BITS` and
/// `TOP_BITS` are [`alloc_bits`], [`node_bits`] and [`top_bits`] of the
/// parameters it is built from.
#[derive(LogicBlock)]
pub struct Executor<const ALLOC_BITS: usize, const NODE_BITS: usize, const TOP_BITS: usize> {
    pub clock: Signal<In, Clock>,
    pub cmd_valid: Signal<In, bool>,
    pub cmd_ready: Signal<Out, bool>,
    pub cmd_opcode: Signal<In, Bits<8>>,
    pub cmd_flags: Signal<In, Bits<8>>,
    pub cmd_nr_pages: Signal<In, Bits<16>>,
    pub cmd_slot: Signal<In, Bits<32>>,
    pub cmd_addr: Signal<In, Bits<64>>,
    pub cmd_len: Signal<In, Bits<32>>,
    pub done: Signal<Out, bool>,
    pub status: Signal<Out, Bits<8>>,
    pub result: Signal<Out, Bits<32>>,
    pub info: Signal<Out, Bits<32>>,
    pub reset_entries: Signal<In, bool>,
    pub clear_stats: Signal<In, bool>,
    pub stat_idx: Signal<In, Bits<5>>,
    pub stat_value: Signal<Out, Bits<64>>,
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
    pub mem_req_valid: Signal<Out, bool>,
    pub mem_req_ready: Signal<In, bool>,
    pub mem_req_write: Signal<Out, bool>,
    pub mem_req_addr: Signal<Out, Bits<32>>,
    pub mem_wdata: Signal<Out, Bits<64>>,
    pub mem_rvalid: Signal<In, bool>,
    pub mem_rdata: Signal<In, Bits<64>>,
    seq: Sequencer,
    stats: Stats,
    store: EntryStore<ALLOC_BITS, NODE_BITS, TOP_BITS>,
    dma: DmaEngine,
    source: BeatSource,
    frames: FramePort,
    same_fill: SameFill,
    drain: FrameDrain,
    comp: Compressor,
    dec: Decompressor,
    /// The snapshot beat is the counter index.
    snap_idx: Narrow<10, 5>,
}

impl<const ALLOC_BITS: usize, const NODE_BITS: usize, const TOP_BITS: usize>
    Executor<ALLOC_BITS, NODE_BITS, TOP_BITS>
{
    /// The executor of a device built from `p` (see [`DeviceParams::check`]).
    pub fn new(p: &DeviceParams) -> Self {
        p.check().expect("device parameters");
        assert!(
            (MAX_FRAME_SIZE as u32).div_ceil(p.alloc_unit) <= u8::MAX as u32,
            "a frame's allocation units must fit the allocator's 8-bit count"
        );
        assert_eq!(
            (ALLOC_BITS, NODE_BITS, TOP_BITS),
            (alloc_bits(p), node_bits(p), top_bits(p)),
            "RAM sizes of the parameters"
        );
        assert!(
            p.devmem_total_bytes() <= 1 << 32,
            "device memory addresses are 32 bits"
        );
        let g = p.index_geometry();
        Executor {
            clock: Default::default(),
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
            seq: Sequencer::new(p.max_nr_pages, p.max_slots, p.alloc_unit),
            stats: Stats::new(p.alloc_unit),
            store: EntryStore::new(
                p.alloc_unit,
                p.units(),
                g.levels,
                g.top_bits,
                p.index_nodes,
                p.index_base(),
            ),
            dma: Default::default(),
            source: Default::default(),
            frames: Default::default(),
            same_fill: Default::default(),
            drain: Default::default(),
            comp: Default::default(),
            dec: Default::default(),
            snap_idx: Default::default(),
        }
    }
}

impl<const ALLOC_BITS: usize, const NODE_BITS: usize, const TOP_BITS: usize> Logic
    for Executor<ALLOC_BITS, NODE_BITS, TOP_BITS>
{
    #[hdl_gen]
    fn update(&mut self) {
        self.seq.clock.next = self.clock.val();
        self.stats.clock.next = self.clock.val();
        self.store.clock.next = self.clock.val();
        self.dma.clock.next = self.clock.val();
        self.source.clock.next = self.clock.val();
        self.frames.clock.next = self.clock.val();
        self.same_fill.clock.next = self.clock.val();
        self.drain.clock.next = self.clock.val();
        self.comp.clock.next = self.clock.val();
        self.dec.clock.next = self.clock.val();

        // Commands.
        self.seq.cmd_valid.next = self.cmd_valid.val();
        self.cmd_ready.next = self.seq.cmd_ready.val();
        self.seq.cmd_opcode.next = self.cmd_opcode.val();
        self.seq.cmd_flags.next = self.cmd_flags.val();
        self.seq.cmd_nr_pages.next = self.cmd_nr_pages.val();
        self.seq.cmd_slot.next = self.cmd_slot.val();
        self.seq.cmd_addr.next = self.cmd_addr.val();
        self.seq.cmd_len.next = self.cmd_len.val();
        self.done.next = self.seq.done.val();
        self.status.next = self.seq.status.val();
        self.result.next = self.seq.result.val();
        self.info.next = self.seq.info.val();
        self.seq.reset_entries.next = self.reset_entries.val();

        // Entry operations.
        self.store.op_valid.next = self.seq.e_valid.val();
        self.seq.e_ready.next = self.store.op_ready.val();
        self.store.op.next = self.seq.e_op.val();
        self.store.op_slot.next = self.seq.e_slot.val();
        self.store.op_kind.next = self.seq.e_kind.val();
        self.store.op_value.next = self.seq.e_value.val();
        self.store.op_units.next = self.seq.e_units.val();
        self.seq.e_done.next = self.store.done.val();
        self.seq.e_ok.next = self.store.ok.val();
        self.seq.e_res_kind.next = self.store.res_kind.val();
        self.seq.e_res_value.next = self.store.res_value.val();
        self.seq.e_unit.next = self.store.unit.val();
        self.seq.e_accesses.next = self.store.accesses.val();

        // Counters.
        self.stats.bump_valid.next = self.seq.bump_valid.val();
        self.stats.bump_idx.next = self.seq.bump_idx.val();
        self.stats.bump_n.next = self.seq.bump_n.val();
        self.stats.clear.next = self.clear_stats.val();
        self.stats.entries.next = self.store.entries.val();
        self.stats.used_units.next = self.store.used.val();
        self.stats.rd_idx.next = self.stat_idx.val();
        self.stat_value.next = self.stats.rd_value.val();
        self.snap_idx.wide.next = self.dma.src_beat.val();
        self.stats.snap_idx.next = self.snap_idx.narrow.val();

        // Host memory: transfers, and what they write.
        self.dma.start.next = self.seq.dma_start.val();
        self.dma.write.next = self.seq.dma_write.val();
        self.dma.addr.next = self.seq.dma_addr.val();
        self.dma.len.next = self.seq.dma_len.val();
        self.seq.dma_done.next = self.dma.done.val();
        self.seq.dma_ok.next = self.dma.ok.val();
        self.dma.src_data.next = self.source.data.val();
        self.source.beat.next = self.dma.src_beat.val();
        self.source.sel.next = self.seq.src_sel.val();
        self.source.stats_data.next = self.stats.snap_value.val();
        self.source.fill_word.next = self.seq.fill_word.val();
        self.source.fill_frame.next = self.seq.fill_frame.val();
        self.seq.fill_len.next = self.source.fill_len.val();
        self.source.restart.next = self.seq.buf_restart.val();
        self.source.from_frame.next = self.seq.buf_from_frame.val();
        self.source.dec_valid.next = self.dec.out_valid.val();
        self.source.dec_data.next = self.dec.out_data.val();
        self.source.frame_valid.next = self.frames.rd_valid.val();
        self.source.frame_data.next = self.frames.rd_data.val();
        self.dma_req_valid.next = self.dma.dma_req_valid.val();
        self.dma.dma_req_ready.next = self.dma_req_ready.val();
        self.dma_req_write.next = self.dma.dma_req_write.val();
        self.dma_req_addr.next = self.dma.dma_req_addr.val();
        self.dma_req_len.next = self.dma.dma_req_len.val();
        self.dma_wvalid.next = self.dma.dma_wvalid.val();
        self.dma.dma_wready.next = self.dma_wready.val();
        self.dma_wdata.next = self.dma.dma_wdata.val();
        self.dma_wlast.next = self.dma.dma_wlast.val();
        self.dma.dma_bvalid.next = self.dma_bvalid.val();
        self.dma.dma_bok.next = self.dma_bok.val();
        self.dma.dma_rvalid.next = self.dma_rvalid.val();
        self.dma.dma_rdata.next = self.dma_rdata.val();
        self.dma.dma_rlast.next = self.dma_rlast.val();
        self.dma.dma_rerr.next = self.dma_rerr.val();

        // STORE: page beats into the compressor and the same-fill check.
        self.comp.in_valid.next = self.dma.rd_valid.val();
        self.comp.in_data.next = self.dma.rd_data.val();
        self.seq.comp_ready.next = self.comp.in_ready.val();
        self.same_fill.start.next = self.seq.page_start.val();
        self.same_fill.valid.next = self.dma.rd_valid.val();
        self.same_fill.data.next = self.dma.rd_data.val();
        self.seq.filled.next = self.same_fill.filled.val();
        self.seq.fill_value.next = self.same_fill.word.val();
        // Frames out: dropped, or streamed to device memory.
        self.drain.out_valid.next = self.comp.out_valid.val();
        self.drain.out_last.next = self.comp.out_last.val();
        self.comp.out_ready.next = self.drain.out_ready.val();
        self.drain.discard.next = self.seq.discard.val();
        self.drain.sink_ready.next = self.frames.in_ready.val();
        self.seq.frame_valid.next = self.drain.frame_valid.val();
        self.seq.frame_len.next = self.comp.frame_len.val();
        self.seq.frame_kind.next = self.comp.frame_kind.val();
        self.frames.in_valid.next = self.drain.frame_valid.val();
        self.frames.in_data.next = self.comp.out_data.val();
        self.frames.in_last.next = self.comp.out_last.val();
        self.frames.in_bytes.next = self.comp.out_bytes.val();

        // Device memory: frame moves, and the index between them.
        self.frames.rd_start.next = self.seq.fp_rd_start.val();
        self.frames.wr_start.next = self.seq.fp_wr_start.val();
        self.frames.addr.next = self.seq.fp_addr.val();
        self.frames.len.next = self.seq.fp_len.val();
        self.seq.fp_done.next = self.frames.done.val();
        self.frames.idx_req_valid.next = self.store.mem_req_valid.val();
        self.store.mem_req_ready.next = self.frames.idx_req_ready.val();
        self.frames.idx_req_write.next = self.store.mem_req_write.val();
        self.frames.idx_req_addr.next = self.store.mem_req_addr.val();
        self.frames.idx_wdata.next = self.store.mem_wdata.val();
        self.store.mem_rvalid.next = self.frames.idx_rvalid.val();
        self.store.mem_rdata.next = self.frames.idx_rdata.val();
        self.mem_req_valid.next = self.frames.mem_req_valid.val();
        self.frames.mem_req_ready.next = self.mem_req_ready.val();
        self.mem_req_write.next = self.frames.mem_req_write.val();
        self.mem_req_addr.next = self.frames.mem_req_addr.val();
        self.mem_wdata.next = self.frames.mem_wdata.val();
        self.frames.mem_rvalid.next = self.mem_rvalid.val();
        self.frames.mem_rdata.next = self.mem_rdata.val();

        // LOAD: frame words into the decompressor (not for RAW_FRAME, which
        // buffers the frame itself), its page into the transfer buffer.
        self.dec.in_valid.next = self.frames.rd_valid.val() & !self.seq.buf_from_frame.val();
        self.dec.in_data.next = self.frames.rd_data.val();
        self.dec.in_bytes.next = self.frames.rd_bytes.val();
        self.dec.in_last.next = self.frames.rd_last.val();
        self.seq.dec_ready.next = self.dec.in_ready.val();
        self.seq.dec_done.next = self.dec.done.val();
        self.seq.dec_status.next = self.dec.status.val();
    }
}

/// The executor's Verilog (module `top`) for a device built from `p`.
pub fn executor_verilog<const ALLOC_BITS: usize, const NODE_BITS: usize, const TOP_BITS: usize>(
    p: &DeviceParams,
) -> String {
    let mut uut = Executor::<ALLOC_BITS, NODE_BITS, TOP_BITS>::new(p);
    uut.connect_all();
    generate_verilog(&uut)
}
