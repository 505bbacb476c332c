//! `Sequencer`: the executor's command state machine. It runs one command at a
//! time, step for step as the model's `Engine::execute`, by driving the
//! executor's blocks: the entry store (index + allocator), the DMA engine and
//! its beat source, the frame port, the compressor side (same-fill check,
//! frame drain) and the decompressor. Every output is a register (or a
//! function of registers only), so no combinational path runs from its
//! inputs through it.
//!
//! | port group | meaning |
//! |---|---|
//! | `cmd_*`, `done`, `status`, `result`, `info`, `reset_entries` | the executor's command ports (docs/device-rtl.md) |
//! | `e_*` | the `EntryStore` operation port (`e_valid`/`e_ready`, then `e_done` with the results) |
//! | `bump_*` | one counter bump per cycle to `Stats` |
//! | `dma_*` | start a `DmaEngine` transfer (`dma_done`/`dma_ok` back) |
//! | `src_sel`, `fill_*`, `buf_*` | the `BeatSource`: which source the DMA writes, the fill word and mode, the transfer buffer's fill |
//! | `fp_*` | start a `FramePort` read or write (`fp_done` back) |
//! | `comp_ready`, `page_start`, `filled`, `fill_value` | the compressor's `in_ready`, and the `SameFill` check of the page going in |
//! | `frame_*`, `discard` | the compressor's kept frame at the `FrameDrain` head; drop a frame |
//! | `dec_ready`, `dec_done`, `dec_status` | the decompressor takes a frame; its outcome |
//!
//! The command algorithm (see docs/device-rtl.md and the model):
//!
//! - `DECODE`: the `CmdDecode` checks; `STORE_CMDS`/`LOAD_CMDS` counted first.
//! - STORE: remove the range (`RM_*` loop), then per page: DMA-read it into
//!   the compressor while `SameFill` watches; a same-filled page is inserted
//!   as such and its frame dropped; else the frame's first beat gives its
//!   length and kind: raw → INCOMPRESSIBLE; allocate, stream the frame into
//!   device memory, insert (the entry store frees the units of a refused
//!   insert). A failure at page `i` removes pages `0 .. i` and counts it.
//! - LOAD / READ_FOR_WRITEBACK: look every slot up into the found-entries
//!   RAM, then per page: a fill page is written from the fill generator, a
//!   frame is read into the decompressor, whose page lands in the transfer
//!   buffer and is written only if the decoder says OK. RAW_FRAME writes the
//!   stored frame (read into the buffer first) or the fill frame. EXCLUSIVE
//!   then removes each entry that is still the one found (`E_REMOVE_IF`).
//! - INVALIDATE: the `RM_*` loop, counting removals. STATS: the snapshot by
//!   DMA from the counters' second read port. RESET (and `reset_entries`):
//!   the entry store's CLEAR.
//!
//! `EOP` runs one entry-store operation and counts its index accesses; `ret`
//! says where it returns (`rm_ret` for the end of the `RM_*` loop). Bumps are
//! spread over distinct states, one per cycle.
//!
//! Engine cycles: `COMPRESS_CYCLES` counts, per compressed page, the cycles
//! from its read request to its frame's first beat; `DECOMPRESS_CYCLES` per
//! frame, from its read request to the decoder's verdict.

use super::beat_source::{SRC_BUFFER, SRC_FILL, SRC_STATS};
use super::decode::{ACT_INVALIDATE, ACT_LOAD, ACT_RESET, ACT_STATS, ACT_STORE, CmdDecode};
use super::entries::{E_ALLOC, E_CLEAR, E_INSERT, E_LOOKUP, E_REMOVE, E_REMOVE_IF};
use super::k;
use super::narrow::Narrow;
use pagepress_abi::format::{BLOCK_TYPE_RAW, PAGE_SHIFT, PAGE_SIZE};
use pagepress_abi::stats::{STAT_COUNT, STATS_SNAPSHOT_SIZE, StatCounter};
use pagepress_abi::{EntryKind, Status};
use pagepress_rtl::compressor::widen::ZeroExtend;
use pagepress_rtl::decompressor;
use rust_hdl::prelude::*;

// FSM states, as `Bits<5>` constants: an enum-typed `DFF` does not lint clean
// in rust-hdl 0.46 (its DFF module initialises `q = 64'h0`, a WIDTH warning,
// and repeats every variant as an unused localparam).
const S_IDLE: u64 = 0;
const S_DECODE: u64 = 1;
const S_FINISH: u64 = 2;
const S_EOP: u64 = 3;
const S_RM_NEXT: u64 = 4;
const S_RM_STEP: u64 = 5;
const S_ST_PAGE: u64 = 6;
const S_ST_READ: u64 = 7;
const S_ST_FRAME: u64 = 8;
const S_ST_ALLOCATED: u64 = 9;
const S_ST_WRITE: u64 = 10;
const S_ST_INSERTED: u64 = 11;
const S_ST_FAIL: u64 = 12;
const S_ST_OK2: u64 = 13;
const S_ST_OK3: u64 = 14;
const S_LK_NEXT: u64 = 15;
const S_LK_FOUND: u64 = 16;
const S_LD_PAGE: u64 = 17;
const S_LD_DECODE: u64 = 18;
const S_DMA_WAIT: u64 = 19;
const S_LD_WRITTEN: u64 = 20;
const S_LD_END: u64 = 21;
const S_LD_OK: u64 = 22;
const S_RAW: u64 = 23;
const S_RAW_READ: u64 = 24;
const S_STATS_END: u64 = 25;
const S_INV_END: u64 = 26;
const S_CLR_DONE: u64 = 27;
const S_RAW_CHECK: u64 = 28;

#[derive(LogicBlock)]
pub struct Sequencer {
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
    pub e_valid: Signal<Out, bool>,
    pub e_ready: Signal<In, bool>,
    pub e_op: Signal<Out, Bits<3>>,
    pub e_slot: Signal<Out, Bits<32>>,
    pub e_kind: Signal<Out, Bits<2>>,
    pub e_value: Signal<Out, Bits<64>>,
    pub e_units: Signal<Out, Bits<8>>,
    pub e_done: Signal<In, bool>,
    pub e_ok: Signal<In, bool>,
    pub e_res_kind: Signal<In, Bits<2>>,
    pub e_res_value: Signal<In, Bits<64>>,
    pub e_unit: Signal<In, Bits<32>>,
    pub e_accesses: Signal<In, Bits<16>>,
    pub bump_valid: Signal<Out, bool>,
    pub bump_idx: Signal<Out, Bits<5>>,
    pub bump_n: Signal<Out, Bits<32>>,
    pub dma_start: Signal<Out, bool>,
    pub dma_write: Signal<Out, bool>,
    pub dma_addr: Signal<Out, Bits<64>>,
    pub dma_len: Signal<Out, Bits<16>>,
    pub dma_done: Signal<In, bool>,
    pub dma_ok: Signal<In, bool>,
    pub src_sel: Signal<Out, Bits<2>>,
    pub fill_word: Signal<Out, Bits<64>>,
    pub fill_frame: Signal<Out, bool>,
    pub fill_len: Signal<In, Bits<16>>,
    pub buf_restart: Signal<Out, bool>,
    pub buf_from_frame: Signal<Out, bool>,
    pub fp_rd_start: Signal<Out, bool>,
    pub fp_wr_start: Signal<Out, bool>,
    pub fp_addr: Signal<Out, Bits<32>>,
    pub fp_len: Signal<Out, Bits<16>>,
    pub fp_done: Signal<In, bool>,
    pub comp_ready: Signal<In, bool>,
    pub page_start: Signal<Out, bool>,
    pub filled: Signal<In, bool>,
    pub fill_value: Signal<In, Bits<64>>,
    pub frame_valid: Signal<In, bool>,
    pub frame_len: Signal<In, Bits<16>>,
    pub frame_kind: Signal<In, Bits<2>>,
    pub discard: Signal<Out, bool>,
    pub dec_ready: Signal<In, bool>,
    pub dec_done: Signal<In, bool>,
    pub dec_status: Signal<In, Bits<8>>,
    decode: CmdDecode,
    f_value: RAM<Bits<64>, 9>,
    f_kind: RAM<Bits<2>, 9>,
    rd_addr: Narrow<16, 9>,
    wr_addr: Narrow<16, 9>,
    frame_units: Narrow<16, 8>,
    pg_x: ZeroExtend<16, 32>,
    nr_x: ZeroExtend<16, 32>,
    removed_x: ZeroExtend<16, 32>,
    fills_x: ZeroExtend<16, 32>,
    flen_x: ZeroExtend<16, 32>,
    accesses_x: ZeroExtend<16, 32>,
    unit_x: ZeroExtend<32, 64>,
    flen_xx: ZeroExtend<16, 64>,
    state: DFF<Bits<5>>,
    ret: DFF<Bits<5>>,
    rm_ret: DFF<Bits<5>>,
    c_opcode: DFF<Bits<8>>,
    c_flags: DFF<Bits<8>>,
    c_nr: DFF<Bits<16>>,
    c_slot: DFF<Bits<32>>,
    c_addr: DFF<Bits<64>>,
    c_len: DFF<Bits<32>>,
    pg: DFF<Bits<16>>,
    n_loop: DFF<Bits<16>>,
    haddr: DFF<Bits<64>>,
    removed: DFF<Bits<16>>,
    bytes: DFF<Bits<32>>,
    fills: DFF<Bits<16>>,
    status_q: DFF<Bits<8>>,
    result_q: DFF<Bits<32>>,
    info_q: DFF<Bits<32>>,
    fin_bump: DFF<bool>,
    fin_idx: DFF<Bits<5>>,
    fin_n: DFF<Bits<32>>,
    e_issued: DFF<bool>,
    e_op_q: DFF<Bits<3>>,
    e_slot_q: DFF<Bits<32>>,
    e_kind_q: DFF<Bits<2>>,
    e_value_q: DFF<Bits<64>>,
    e_units_q: DFF<Bits<8>>,
    rm_cmp: DFF<bool>,
    flen: DFF<Bits<16>>,
    funit: DFF<Bits<32>>,
    cycles: DFF<Bits<32>>,
    resetting: DFF<bool>,
    /// `reset_entries` pulsed; the CLEAR runs when idle.
    reset_pending: DFF<bool>,
    bump_v: DFF<bool>,
    bump_i: DFF<Bits<5>>,
    bump_n_q: DFF<Bits<32>>,
    dma_start_q: DFF<bool>,
    dma_write_q: DFF<bool>,
    dma_addr_q: DFF<Bits<64>>,
    dma_len_q: DFF<Bits<16>>,
    src_q: DFF<Bits<2>>,
    fp_rd_start_q: DFF<bool>,
    fp_wr_start_q: DFF<bool>,
    fp_addr_q: DFF<Bits<32>>,
    fp_len_q: DFF<Bits<16>>,
    page_start_q: DFF<bool>,
    discard_q: DFF<bool>,
    buf_restart_q: DFF<bool>,
    done_q: DFF<bool>,
    one32: Constant<Bits<32>>,
    zero32: Constant<Bits<32>>,
    zero16: Constant<Bits<16>>,
    one16: Constant<Bits<16>>,
    page_bytes: Constant<Bits<64>>,
    page_len: Constant<Bits<16>>,
    snapshot_len: Constant<Bits<16>>,
    stat_count: Constant<Bits<32>>,
    act_store: Constant<Bits<3>>,
    act_load: Constant<Bits<3>>,
    act_invalidate: Constant<Bits<3>>,
    act_stats: Constant<Bits<3>>,
    act_reset: Constant<Bits<3>>,
    op_lookup: Constant<Bits<3>>,
    op_remove: Constant<Bits<3>>,
    op_remove_if: Constant<Bits<3>>,
    op_insert: Constant<Bits<3>>,
    op_alloc: Constant<Bits<3>>,
    op_clear: Constant<Bits<3>>,
    kind_filled: Constant<Bits<2>>,
    kind_compressed: Constant<Bits<2>>,
    block_raw: Constant<Bits<2>>,
    src_buffer: Constant<Bits<2>>,
    src_fill: Constant<Bits<2>>,
    src_stats: Constant<Bits<2>>,
    dec_ok: Constant<Bits<8>>,
    unit_round: Constant<Bits<16>>,
    unit_shift: Constant<Bits<6>>,
    page_shift: Constant<Bits<6>>,
    st_ok: Constant<Bits<8>>,
    st_incompressible: Constant<Bits<8>>,
    st_no_space: Constant<Bits<8>>,
    st_not_found: Constant<Bits<8>>,
    st_dma_fault: Constant<Bits<8>>,
    st_corrupt: Constant<Bits<8>>,
    st_buffer_too_small: Constant<Bits<8>>,
    ctr_stored_pages: Constant<Bits<5>>,
    ctr_stored_bytes: Constant<Bits<5>>,
    ctr_stored_input_bytes: Constant<Bits<5>>,
    ctr_same_filled_pages: Constant<Bits<5>>,
    ctr_loaded_pages: Constant<Bits<5>>,
    ctr_writeback_pages: Constant<Bits<5>>,
    ctr_invalidated_pages: Constant<Bits<5>>,
    ctr_reject_incompressible: Constant<Bits<5>>,
    ctr_reject_no_space: Constant<Bits<5>>,
    ctr_err_not_found: Constant<Bits<5>>,
    ctr_err_dma_fault: Constant<Bits<5>>,
    ctr_err_corrupt: Constant<Bits<5>>,
    ctr_index_accesses: Constant<Bits<5>>,
    ctr_compress_cycles: Constant<Bits<5>>,
    ctr_decompress_cycles: Constant<Bits<5>>,
    s_idle: Constant<Bits<5>>,
    s_decode: Constant<Bits<5>>,
    s_finish: Constant<Bits<5>>,
    s_eop: Constant<Bits<5>>,
    s_rm_next: Constant<Bits<5>>,
    s_rm_step: Constant<Bits<5>>,
    s_st_page: Constant<Bits<5>>,
    s_st_read: Constant<Bits<5>>,
    s_st_frame: Constant<Bits<5>>,
    s_st_allocated: Constant<Bits<5>>,
    s_st_write: Constant<Bits<5>>,
    s_st_inserted: Constant<Bits<5>>,
    s_st_fail: Constant<Bits<5>>,
    s_st_ok2: Constant<Bits<5>>,
    s_st_ok3: Constant<Bits<5>>,
    s_lk_next: Constant<Bits<5>>,
    s_lk_found: Constant<Bits<5>>,
    s_ld_page: Constant<Bits<5>>,
    s_ld_decode: Constant<Bits<5>>,
    s_dma_wait: Constant<Bits<5>>,
    s_ld_written: Constant<Bits<5>>,
    s_ld_end: Constant<Bits<5>>,
    s_ld_ok: Constant<Bits<5>>,
    s_raw: Constant<Bits<5>>,
    s_raw_read: Constant<Bits<5>>,
    s_stats_end: Constant<Bits<5>>,
    s_inv_end: Constant<Bits<5>>,
    s_clr_done: Constant<Bits<5>>,
    s_raw_check: Constant<Bits<5>>,
    // Scratch.
    pg_next: Signal<Local, Bits<16>>,
    slot_cur: Signal<Local, Bits<32>>,
    f_len: Signal<Local, Bits<16>>,
    f_unit: Signal<Local, Bits<32>>,
    f_is_fill: Signal<Local, bool>,
    raw_len: Signal<Local, Bits<16>>,
    units_wide: Signal<Local, Bits<16>>,
    store_addr: Signal<Local, Bits<32>>,
    load_addr: Signal<Local, Bits<32>>,
}

impl Sequencer {
    pub fn new(max_nr_pages: u32, max_slots: u32, alloc_unit: u32) -> Self {
        assert!(alloc_unit.is_power_of_two());
        Sequencer {
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
            e_valid: Default::default(),
            e_ready: Default::default(),
            e_op: Default::default(),
            e_slot: Default::default(),
            e_kind: Default::default(),
            e_value: Default::default(),
            e_units: Default::default(),
            e_done: Default::default(),
            e_ok: Default::default(),
            e_res_kind: Default::default(),
            e_res_value: Default::default(),
            e_unit: Default::default(),
            e_accesses: Default::default(),
            bump_valid: Default::default(),
            bump_idx: Default::default(),
            bump_n: Default::default(),
            dma_start: Default::default(),
            dma_write: Default::default(),
            dma_addr: Default::default(),
            dma_len: Default::default(),
            dma_done: Default::default(),
            dma_ok: Default::default(),
            src_sel: Default::default(),
            fill_word: Default::default(),
            fill_frame: Default::default(),
            fill_len: Default::default(),
            buf_restart: Default::default(),
            buf_from_frame: Default::default(),
            fp_rd_start: Default::default(),
            fp_wr_start: Default::default(),
            fp_addr: Default::default(),
            fp_len: Default::default(),
            fp_done: Default::default(),
            comp_ready: Default::default(),
            page_start: Default::default(),
            filled: Default::default(),
            fill_value: Default::default(),
            frame_valid: Default::default(),
            frame_len: Default::default(),
            frame_kind: Default::default(),
            discard: Default::default(),
            dec_ready: Default::default(),
            dec_done: Default::default(),
            dec_status: Default::default(),
            decode: CmdDecode::new(max_nr_pages, max_slots),
            f_value: Default::default(),
            f_kind: Default::default(),
            rd_addr: Default::default(),
            wr_addr: Default::default(),
            frame_units: Default::default(),
            pg_x: Default::default(),
            nr_x: Default::default(),
            removed_x: Default::default(),
            fills_x: Default::default(),
            flen_x: Default::default(),
            accesses_x: Default::default(),
            unit_x: Default::default(),
            flen_xx: Default::default(),
            state: Default::default(),
            ret: Default::default(),
            rm_ret: Default::default(),
            c_opcode: Default::default(),
            c_flags: Default::default(),
            c_nr: Default::default(),
            c_slot: Default::default(),
            c_addr: Default::default(),
            c_len: Default::default(),
            pg: Default::default(),
            n_loop: Default::default(),
            haddr: Default::default(),
            removed: Default::default(),
            bytes: Default::default(),
            fills: Default::default(),
            status_q: Default::default(),
            result_q: Default::default(),
            info_q: Default::default(),
            fin_bump: Default::default(),
            fin_idx: Default::default(),
            fin_n: Default::default(),
            e_issued: Default::default(),
            e_op_q: Default::default(),
            e_slot_q: Default::default(),
            e_kind_q: Default::default(),
            e_value_q: Default::default(),
            e_units_q: Default::default(),
            rm_cmp: Default::default(),
            flen: Default::default(),
            funit: Default::default(),
            cycles: Default::default(),
            resetting: Default::default(),
            reset_pending: Default::default(),
            bump_v: Default::default(),
            bump_i: Default::default(),
            bump_n_q: Default::default(),
            dma_start_q: Default::default(),
            dma_write_q: Default::default(),
            dma_addr_q: Default::default(),
            dma_len_q: Default::default(),
            src_q: Default::default(),
            fp_rd_start_q: Default::default(),
            fp_wr_start_q: Default::default(),
            fp_addr_q: Default::default(),
            fp_len_q: Default::default(),
            page_start_q: Default::default(),
            discard_q: Default::default(),
            buf_restart_q: Default::default(),
            done_q: Default::default(),
            one32: k(1),
            zero32: k(0),
            zero16: k(0),
            one16: k(1),
            page_bytes: k(PAGE_SIZE as u64),
            page_len: k(PAGE_SIZE as u64),
            snapshot_len: k(STATS_SNAPSHOT_SIZE as u64),
            stat_count: k(STAT_COUNT as u64),
            act_store: k(ACT_STORE),
            act_load: k(ACT_LOAD),
            act_invalidate: k(ACT_INVALIDATE),
            act_stats: k(ACT_STATS),
            act_reset: k(ACT_RESET),
            op_lookup: k(E_LOOKUP),
            op_remove: k(E_REMOVE),
            op_remove_if: k(E_REMOVE_IF),
            op_insert: k(E_INSERT),
            op_alloc: k(E_ALLOC),
            op_clear: k(E_CLEAR),
            kind_filled: k(EntryKind::SameFilled as u64),
            kind_compressed: k(EntryKind::Compressed as u64),
            block_raw: k(BLOCK_TYPE_RAW as u64),
            src_buffer: k(SRC_BUFFER),
            src_fill: k(SRC_FILL),
            src_stats: k(SRC_STATS),
            dec_ok: k(decompressor::status::OK as u64),
            unit_round: k(alloc_unit as u64 - 1),
            unit_shift: k(alloc_unit.trailing_zeros() as u64),
            page_shift: k(PAGE_SHIFT as u64),
            st_ok: k(Status::Ok as u64),
            st_incompressible: k(Status::Incompressible as u64),
            st_no_space: k(Status::NoSpace as u64),
            st_not_found: k(Status::NotFound as u64),
            st_dma_fault: k(Status::DmaFault as u64),
            st_corrupt: k(Status::Corrupt as u64),
            st_buffer_too_small: k(Status::BufferTooSmall as u64),
            ctr_stored_pages: k(StatCounter::StoredPages as u64),
            ctr_stored_bytes: k(StatCounter::StoredBytes as u64),
            ctr_stored_input_bytes: k(StatCounter::StoredInputBytes as u64),
            ctr_same_filled_pages: k(StatCounter::SameFilledPages as u64),
            ctr_loaded_pages: k(StatCounter::LoadedPages as u64),
            ctr_writeback_pages: k(StatCounter::WritebackPages as u64),
            ctr_invalidated_pages: k(StatCounter::InvalidatedPages as u64),
            ctr_reject_incompressible: k(StatCounter::RejectIncompressible as u64),
            ctr_reject_no_space: k(StatCounter::RejectNoSpace as u64),
            ctr_err_not_found: k(StatCounter::ErrNotFound as u64),
            ctr_err_dma_fault: k(StatCounter::ErrDmaFault as u64),
            ctr_err_corrupt: k(StatCounter::ErrCorrupt as u64),
            ctr_index_accesses: k(StatCounter::IndexAccesses as u64),
            ctr_compress_cycles: k(StatCounter::CompressCycles as u64),
            ctr_decompress_cycles: k(StatCounter::DecompressCycles as u64),
            s_idle: k(S_IDLE),
            s_decode: k(S_DECODE),
            s_finish: k(S_FINISH),
            s_eop: k(S_EOP),
            s_rm_next: k(S_RM_NEXT),
            s_rm_step: k(S_RM_STEP),
            s_st_page: k(S_ST_PAGE),
            s_st_read: k(S_ST_READ),
            s_st_frame: k(S_ST_FRAME),
            s_st_allocated: k(S_ST_ALLOCATED),
            s_st_write: k(S_ST_WRITE),
            s_st_inserted: k(S_ST_INSERTED),
            s_st_fail: k(S_ST_FAIL),
            s_st_ok2: k(S_ST_OK2),
            s_st_ok3: k(S_ST_OK3),
            s_lk_next: k(S_LK_NEXT),
            s_lk_found: k(S_LK_FOUND),
            s_ld_page: k(S_LD_PAGE),
            s_ld_decode: k(S_LD_DECODE),
            s_dma_wait: k(S_DMA_WAIT),
            s_ld_written: k(S_LD_WRITTEN),
            s_ld_end: k(S_LD_END),
            s_ld_ok: k(S_LD_OK),
            s_raw: k(S_RAW),
            s_raw_read: k(S_RAW_READ),
            s_stats_end: k(S_STATS_END),
            s_inv_end: k(S_INV_END),
            s_clr_done: k(S_CLR_DONE),
            s_raw_check: k(S_RAW_CHECK),
            pg_next: Default::default(),
            slot_cur: Default::default(),
            f_len: Default::default(),
            f_unit: Default::default(),
            f_is_fill: Default::default(),
            raw_len: Default::default(),
            units_wide: Default::default(),
            store_addr: Default::default(),
            load_addr: Default::default(),
        }
    }
}

// One state per block reads like the state diagram; clippy would merge the `if`s.
#[allow(clippy::collapsible_if, clippy::collapsible_else_if)]
impl Logic for Sequencer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            ret,
            rm_ret,
            c_opcode,
            c_flags,
            c_nr,
            c_slot,
            c_addr,
            c_len,
            pg,
            n_loop,
            haddr,
            removed,
            bytes,
            fills,
            status_q,
            result_q,
            info_q,
            fin_bump,
            fin_idx,
            fin_n,
            e_issued,
            e_op_q,
            e_slot_q,
            e_kind_q,
            e_value_q,
            e_units_q,
            rm_cmp,
            flen,
            funit,
            cycles,
            resetting,
            reset_pending,
            bump_v,
            bump_i,
            bump_n_q,
            dma_start_q,
            dma_write_q,
            dma_addr_q,
            dma_len_q,
            src_q,
            fp_rd_start_q,
            fp_wr_start_q,
            fp_addr_q,
            fp_len_q,
            page_start_q,
            discard_q,
            buf_restart_q,
            done_q
        );
        // Pulses last one cycle.
        self.bump_v.d.next = false;
        self.dma_start_q.d.next = false;
        self.fp_rd_start_q.d.next = false;
        self.fp_wr_start_q.d.next = false;
        self.page_start_q.d.next = false;
        self.discard_q.d.next = false;
        self.buf_restart_q.d.next = false;
        self.done_q.d.next = false;

        // ---- wiring: the decoder, the found-entries RAM, widenings ----
        self.decode.opcode.next = self.c_opcode.q.val();
        self.decode.flags.next = self.c_flags.q.val();
        self.decode.nr_pages.next = self.c_nr.q.val();
        self.decode.slot.next = self.c_slot.q.val();
        self.decode.len.next = self.c_len.q.val();
        self.f_value.read_clock.next = self.clock.val();
        self.f_value.write_clock.next = self.clock.val();
        self.f_kind.read_clock.next = self.clock.val();
        self.f_kind.write_clock.next = self.clock.val();
        self.f_value.read_address.next = self.rd_addr.narrow.val();
        self.f_kind.read_address.next = self.rd_addr.narrow.val();
        self.wr_addr.wide.next = self.pg.q.val();
        self.f_value.write_address.next = self.wr_addr.narrow.val();
        self.f_kind.write_address.next = self.wr_addr.narrow.val();
        self.f_value.write_data.next = self.e_res_value.val();
        self.f_kind.write_data.next = self.e_res_kind.val();
        self.f_value.write_enable.next =
            (self.state.q.val() == self.s_lk_found.val()) & self.e_ok.val();
        self.f_kind.write_enable.next =
            (self.state.q.val() == self.s_lk_found.val()) & self.e_ok.val();
        self.pg_x.narrow.next = self.pg.q.val();
        self.nr_x.narrow.next = self.c_nr.q.val();
        self.removed_x.narrow.next = self.removed.q.val();
        self.fills_x.narrow.next = self.fills.q.val();
        self.flen_x.narrow.next = self.flen.q.val();
        self.flen_xx.narrow.next = self.flen.q.val();
        self.unit_x.narrow.next = self.funit.q.val();
        self.accesses_x.narrow.next = self.e_accesses.val();
        self.slot_cur.next = self.c_slot.q.val() + self.pg_x.wide.val();
        // The found entry of page `pg`.
        self.f_len.next = self.f_value.read_data.val().get_bits::<16>(32);
        self.f_unit.next = self.f_value.read_data.val().get_bits::<32>(0);
        self.f_is_fill.next = self.f_kind.read_data.val() != self.kind_compressed.val();
        self.raw_len.next = self.f_len.val();
        if self.f_is_fill.val() {
            self.raw_len.next = self.fill_len.val();
        }
        self.units_wide.next =
            (self.frame_len.val() + self.unit_round.val()) >> self.unit_shift.val();
        self.frame_units.wide.next = self.units_wide.val();
        self.store_addr.next = self.e_unit.val() << self.unit_shift.val();
        self.load_addr.next = self.f_unit.val() << self.unit_shift.val();

        // ---- outputs: registers only ----
        self.cmd_ready.next =
            (self.state.q.val() == self.s_idle.val()) & !self.reset_pending.q.val();
        self.done.next = self.done_q.q.val();
        self.status.next = self.status_q.q.val();
        self.result.next = self.result_q.q.val();
        self.info.next = self.info_q.q.val();
        self.e_valid.next = (self.state.q.val() == self.s_eop.val()) & !self.e_issued.q.val();
        self.e_op.next = self.e_op_q.q.val();
        self.e_slot.next = self.e_slot_q.q.val();
        self.e_kind.next = self.e_kind_q.q.val();
        self.e_value.next = self.e_value_q.q.val();
        self.e_units.next = self.e_units_q.q.val();
        self.bump_valid.next = self.bump_v.q.val();
        self.bump_idx.next = self.bump_i.q.val();
        self.bump_n.next = self.bump_n_q.q.val();
        self.dma_start.next = self.dma_start_q.q.val();
        self.dma_write.next = self.dma_write_q.q.val();
        self.dma_addr.next = self.dma_addr_q.q.val();
        self.dma_len.next = self.dma_len_q.q.val();
        self.src_sel.next = self.src_q.q.val();
        self.fill_word.next = self.f_value.read_data.val();
        self.fill_frame.next = self.decode.raw.val();
        self.buf_restart.next = self.buf_restart_q.q.val();
        self.buf_from_frame.next = self.decode.raw.val();
        self.fp_rd_start.next = self.fp_rd_start_q.q.val();
        self.fp_wr_start.next = self.fp_wr_start_q.q.val();
        self.fp_addr.next = self.fp_addr_q.q.val();
        self.fp_len.next = self.fp_len_q.q.val();
        self.page_start.next = self.page_start_q.q.val();
        self.discard.next = self.discard_q.q.val();

        // ---- the state machine ----
        self.pg_next.next = self.pg.q.val();
        // A reset pulse is kept until the executor is idle and no command was
        // taken with it (so `cmd_ready` depends on registers only).
        if self.reset_entries.val() {
            self.reset_pending.d.next = true;
        }
        if self.state.q.val() == self.s_idle.val() {
            if self.cmd_valid.val() & !self.reset_pending.q.val() {
                self.c_opcode.d.next = self.cmd_opcode.val();
                self.c_flags.d.next = self.cmd_flags.val();
                self.c_nr.d.next = self.cmd_nr_pages.val();
                self.c_slot.d.next = self.cmd_slot.val();
                self.c_addr.d.next = self.cmd_addr.val();
                self.c_len.d.next = self.cmd_len.val();
                self.resetting.d.next = false;
                self.state.d.next = self.s_decode.val();
            } else if self.reset_entries.val() | self.reset_pending.q.val() {
                self.reset_pending.d.next = false;
                self.resetting.d.next = true;
                self.e_op_q.d.next = self.op_clear.val();
                self.ret.d.next = self.s_clr_done.val();
                self.state.d.next = self.s_eop.val();
            }
        }
        if self.state.q.val() == self.s_decode.val() {
            self.bump_v.d.next = self.decode.cmd_bump.val();
            self.bump_i.d.next = self.decode.cmd_idx.val();
            self.bump_n_q.d.next = self.one32.val();
            self.status_q.d.next = self.decode.status.val();
            self.result_q.d.next = self.zero32.val();
            self.info_q.d.next = self.zero32.val();
            self.fin_bump.d.next = self.decode.fin_bump.val();
            self.fin_idx.d.next = self.decode.fin_idx.val();
            self.fin_n.d.next = self.one32.val();
            self.pg_next.next = self.zero16.val();
            self.haddr.d.next = self.c_addr.q.val();
            self.removed.d.next = self.zero16.val();
            self.bytes.d.next = self.zero32.val();
            self.fills.d.next = self.zero16.val();
            self.n_loop.d.next = self.c_nr.q.val();
            self.rm_cmp.d.next = false;
            self.state.d.next = self.s_finish.val();
            if self.decode.act.val() == self.act_store.val() {
                self.rm_ret.d.next = self.s_st_page.val();
                self.state.d.next = self.s_rm_next.val();
            }
            if self.decode.act.val() == self.act_invalidate.val() {
                self.rm_ret.d.next = self.s_inv_end.val();
                self.state.d.next = self.s_rm_next.val();
            }
            if self.decode.act.val() == self.act_load.val() {
                self.state.d.next = self.s_lk_next.val();
            }
            if self.decode.act.val() == self.act_stats.val() {
                self.dma_start_q.d.next = true;
                self.dma_write_q.d.next = true;
                self.dma_addr_q.d.next = self.c_addr.q.val();
                self.dma_len_q.d.next = self.snapshot_len.val();
                self.src_q.d.next = self.src_stats.val();
                self.ret.d.next = self.s_stats_end.val();
                self.state.d.next = self.s_dma_wait.val();
            }
            if self.decode.act.val() == self.act_reset.val() {
                self.e_op_q.d.next = self.op_clear.val();
                self.ret.d.next = self.s_clr_done.val();
                self.state.d.next = self.s_eop.val();
            }
        }
        if self.state.q.val() == self.s_finish.val() {
            self.bump_v.d.next = self.fin_bump.q.val();
            self.bump_i.d.next = self.fin_idx.q.val();
            self.bump_n_q.d.next = self.fin_n.q.val();
            self.done_q.d.next = true;
            self.state.d.next = self.s_idle.val();
        }
        if self.state.q.val() == self.s_eop.val() {
            if self.e_ready.val() & !self.e_issued.q.val() {
                self.e_issued.d.next = true;
            }
            if self.e_issued.q.val() & self.e_done.val() {
                self.e_issued.d.next = false;
                self.bump_v.d.next = true;
                self.bump_i.d.next = self.ctr_index_accesses.val();
                self.bump_n_q.d.next = self.accesses_x.wide.val();
                self.state.d.next = self.ret.q.val();
            }
        }

        // ---- remove the entries of pages pg .. n_loop, then go to rm_ret ----
        if self.state.q.val() == self.s_rm_next.val() {
            if self.pg.q.val() == self.n_loop.q.val() {
                self.pg_next.next = self.zero16.val();
                self.state.d.next = self.rm_ret.q.val();
            } else {
                self.e_op_q.d.next = self.op_remove.val();
                if self.rm_cmp.q.val() {
                    self.e_op_q.d.next = self.op_remove_if.val();
                }
                self.e_slot_q.d.next = self.slot_cur.val();
                self.e_kind_q.d.next = self.f_kind.read_data.val();
                self.e_value_q.d.next = self.f_value.read_data.val();
                self.ret.d.next = self.s_rm_step.val();
                self.state.d.next = self.s_eop.val();
            }
        }
        if self.state.q.val() == self.s_rm_step.val() {
            if self.e_ok.val() {
                self.removed.d.next = self.removed.q.val() + self.one16.val();
            }
            self.pg_next.next = self.pg.q.val() + self.one16.val();
            self.state.d.next = self.s_rm_next.val();
        }

        // ---- STORE, page by page ----
        if self.state.q.val() == self.s_st_page.val() {
            if self.pg.q.val() == self.c_nr.q.val() {
                self.bump_v.d.next = true;
                self.bump_i.d.next = self.ctr_stored_pages.val();
                self.bump_n_q.d.next = self.nr_x.wide.val();
                self.state.d.next = self.s_st_ok2.val();
            } else if self.comp_ready.val() {
                self.dma_start_q.d.next = true;
                self.dma_write_q.d.next = false;
                self.dma_addr_q.d.next = self.haddr.q.val();
                self.dma_len_q.d.next = self.page_len.val();
                self.page_start_q.d.next = true;
                self.cycles.d.next = self.zero32.val();
                self.state.d.next = self.s_st_read.val();
            }
        }
        if self.state.q.val() == self.s_st_read.val() {
            self.cycles.d.next = self.cycles.q.val() + self.one32.val();
            if self.dma_done.val() {
                if !self.dma_ok.val() {
                    self.status_q.d.next = self.st_dma_fault.val();
                    self.fin_idx.d.next = self.ctr_err_dma_fault.val();
                    self.state.d.next = self.s_st_fail.val();
                } else if self.filled.val() {
                    // Kept in the entry; the compressor's frame of it is dropped.
                    self.discard_q.d.next = true;
                    self.fills.d.next = self.fills.q.val() + self.one16.val();
                    self.e_op_q.d.next = self.op_insert.val();
                    self.e_slot_q.d.next = self.slot_cur.val();
                    self.e_kind_q.d.next = self.kind_filled.val();
                    self.e_value_q.d.next = self.fill_value.val();
                    self.ret.d.next = self.s_st_inserted.val();
                    self.state.d.next = self.s_eop.val();
                } else {
                    self.state.d.next = self.s_st_frame.val();
                }
            }
        }
        if self.state.q.val() == self.s_st_frame.val() {
            self.cycles.d.next = self.cycles.q.val() + self.one32.val();
            if self.frame_valid.val() {
                self.bump_v.d.next = true;
                self.bump_i.d.next = self.ctr_compress_cycles.val();
                self.bump_n_q.d.next = self.cycles.q.val();
                self.flen.d.next = self.frame_len.val();
                if self.frame_kind.val() == self.block_raw.val() {
                    self.discard_q.d.next = true;
                    self.status_q.d.next = self.st_incompressible.val();
                    self.fin_idx.d.next = self.ctr_reject_incompressible.val();
                    self.state.d.next = self.s_st_fail.val();
                } else {
                    self.e_op_q.d.next = self.op_alloc.val();
                    self.e_units_q.d.next = self.frame_units.narrow.val();
                    self.ret.d.next = self.s_st_allocated.val();
                    self.state.d.next = self.s_eop.val();
                }
            }
        }
        if self.state.q.val() == self.s_st_allocated.val() {
            if self.e_ok.val() {
                self.funit.d.next = self.e_unit.val();
                self.fp_wr_start_q.d.next = true;
                self.fp_addr_q.d.next = self.store_addr.val();
                self.state.d.next = self.s_st_write.val();
            } else {
                self.discard_q.d.next = true;
                self.status_q.d.next = self.st_no_space.val();
                self.fin_idx.d.next = self.ctr_reject_no_space.val();
                self.state.d.next = self.s_st_fail.val();
            }
        }
        if self.state.q.val() == self.s_st_write.val() {
            if self.fp_done.val() {
                self.bytes.d.next = self.bytes.q.val() + self.flen_x.wide.val();
                self.e_op_q.d.next = self.op_insert.val();
                self.e_slot_q.d.next = self.slot_cur.val();
                self.e_kind_q.d.next = self.kind_compressed.val();
                self.e_value_q.d.next = self.unit_x.wide.val() | (self.flen_xx.wide.val() << 32);
                self.ret.d.next = self.s_st_inserted.val();
                self.state.d.next = self.s_eop.val();
            }
        }
        if self.state.q.val() == self.s_st_inserted.val() {
            if self.e_ok.val() {
                self.pg_next.next = self.pg.q.val() + self.one16.val();
                self.haddr.d.next = self.haddr.q.val() + self.page_bytes.val();
                self.state.d.next = self.s_st_page.val();
            } else {
                self.status_q.d.next = self.st_no_space.val();
                self.fin_idx.d.next = self.ctr_reject_no_space.val();
                self.state.d.next = self.s_st_fail.val();
            }
        }
        if self.state.q.val() == self.s_st_fail.val() {
            // Failed at page pg (status and counter set): remove pages 0 .. pg.
            self.info_q.d.next = self.pg_x.wide.val();
            self.fin_bump.d.next = true;
            self.n_loop.d.next = self.pg.q.val();
            self.pg_next.next = self.zero16.val();
            self.rm_ret.d.next = self.s_finish.val();
            self.state.d.next = self.s_rm_next.val();
        }
        if self.state.q.val() == self.s_st_ok2.val() {
            self.bump_v.d.next = true;
            self.bump_i.d.next = self.ctr_stored_bytes.val();
            self.bump_n_q.d.next = self.bytes.q.val();
            self.state.d.next = self.s_st_ok3.val();
        }
        if self.state.q.val() == self.s_st_ok3.val() {
            self.bump_v.d.next = true;
            self.bump_i.d.next = self.ctr_stored_input_bytes.val();
            self.bump_n_q.d.next = self.nr_x.wide.val() << self.page_shift.val();
            self.status_q.d.next = self.st_ok.val();
            self.result_q.d.next = self.bytes.q.val();
            self.info_q.d.next = self.fills_x.wide.val();
            self.fin_bump.d.next = true;
            self.fin_idx.d.next = self.ctr_same_filled_pages.val();
            self.fin_n.d.next = self.fills_x.wide.val();
            self.state.d.next = self.s_finish.val();
        }

        // ---- LOAD: look every slot up ----
        if self.state.q.val() == self.s_lk_next.val() {
            if self.pg.q.val() == self.c_nr.q.val() {
                self.pg_next.next = self.zero16.val();
                self.state.d.next = self.s_ld_page.val();
                if self.decode.raw.val() {
                    self.state.d.next = self.s_raw.val();
                }
            } else {
                self.e_op_q.d.next = self.op_lookup.val();
                self.e_slot_q.d.next = self.slot_cur.val();
                self.ret.d.next = self.s_lk_found.val();
                self.state.d.next = self.s_eop.val();
            }
        }
        if self.state.q.val() == self.s_lk_found.val() {
            // A found entry is written to the found-entries RAM at pg (above).
            if self.e_ok.val() {
                self.pg_next.next = self.pg.q.val() + self.one16.val();
                self.state.d.next = self.s_lk_next.val();
            } else {
                self.status_q.d.next = self.st_not_found.val();
                self.info_q.d.next = self.pg_x.wide.val();
                self.fin_bump.d.next = true;
                self.fin_idx.d.next = self.ctr_err_not_found.val();
                self.state.d.next = self.s_finish.val();
            }
        }
        // ---- LOAD: page by page ----
        if self.state.q.val() == self.s_ld_page.val() {
            if self.pg.q.val() == self.c_nr.q.val() {
                self.state.d.next = self.s_ld_end.val();
            } else if self.f_is_fill.val() {
                self.dma_start_q.d.next = true;
                self.dma_write_q.d.next = true;
                self.dma_addr_q.d.next = self.haddr.q.val();
                self.dma_len_q.d.next = self.page_len.val();
                self.src_q.d.next = self.src_fill.val();
                self.ret.d.next = self.s_ld_written.val();
                self.state.d.next = self.s_dma_wait.val();
            } else if self.dec_ready.val() {
                self.fp_rd_start_q.d.next = true;
                self.fp_addr_q.d.next = self.load_addr.val();
                self.fp_len_q.d.next = self.f_len.val();
                self.buf_restart_q.d.next = true;
                self.cycles.d.next = self.zero32.val();
                self.state.d.next = self.s_ld_decode.val();
            }
        }
        if self.state.q.val() == self.s_ld_decode.val() {
            self.cycles.d.next = self.cycles.q.val() + self.one32.val();
            if self.dec_done.val() {
                self.bump_v.d.next = true;
                self.bump_i.d.next = self.ctr_decompress_cycles.val();
                self.bump_n_q.d.next = self.cycles.q.val();
                if self.dec_status.val() == self.dec_ok.val() {
                    self.dma_start_q.d.next = true;
                    self.dma_write_q.d.next = true;
                    self.dma_addr_q.d.next = self.haddr.q.val();
                    self.dma_len_q.d.next = self.page_len.val();
                    self.src_q.d.next = self.src_buffer.val();
                    self.ret.d.next = self.s_ld_written.val();
                    self.state.d.next = self.s_dma_wait.val();
                } else {
                    // The decoded beats stay in the buffer: nothing reaches the host.
                    self.status_q.d.next = self.st_corrupt.val();
                    self.info_q.d.next = self.pg_x.wide.val();
                    self.fin_bump.d.next = true;
                    self.fin_idx.d.next = self.ctr_err_corrupt.val();
                    self.state.d.next = self.s_finish.val();
                }
            }
        }
        if self.state.q.val() == self.s_dma_wait.val() {
            if self.dma_done.val() {
                self.state.d.next = self.ret.q.val();
            }
        }
        if self.state.q.val() == self.s_ld_written.val() {
            if self.dma_ok.val() {
                self.pg_next.next = self.pg.q.val() + self.one16.val();
                self.haddr.d.next = self.haddr.q.val() + self.page_bytes.val();
                self.state.d.next = self.s_ld_page.val();
            } else {
                self.status_q.d.next = self.st_dma_fault.val();
                self.result_q.d.next = self.zero32.val();
                self.info_q.d.next = self.pg_x.wide.val();
                self.fin_bump.d.next = true;
                self.fin_idx.d.next = self.ctr_err_dma_fault.val();
                self.state.d.next = self.s_finish.val();
            }
        }
        if self.state.q.val() == self.s_ld_end.val() {
            self.state.d.next = self.s_ld_ok.val();
            if self.decode.exclusive.val() {
                self.n_loop.d.next = self.c_nr.q.val();
                self.pg_next.next = self.zero16.val();
                self.rm_cmp.d.next = true;
                self.rm_ret.d.next = self.s_ld_ok.val();
                self.state.d.next = self.s_rm_next.val();
            }
        }
        if self.state.q.val() == self.s_ld_ok.val() {
            self.status_q.d.next = self.st_ok.val();
            self.fin_bump.d.next = true;
            self.fin_idx.d.next = self.ctr_loaded_pages.val();
            if self.decode.writeback.val() {
                self.fin_idx.d.next = self.ctr_writeback_pages.val();
            }
            self.fin_n.d.next = self.nr_x.wide.val();
            self.state.d.next = self.s_finish.val();
        }
        // ---- LOAD RAW_FRAME (one page) ----
        if self.state.q.val() == self.s_raw.val() {
            self.flen.d.next = self.raw_len.val();
            self.state.d.next = self.s_raw_check.val();
        }
        if self.state.q.val() == self.s_raw_check.val() {
            self.result_q.d.next = self.flen_x.wide.val();
            if self.flen_x.wide.val() > self.c_len.q.val() {
                self.status_q.d.next = self.st_buffer_too_small.val();
                self.fin_bump.d.next = false;
                self.state.d.next = self.s_finish.val();
            } else if self.f_is_fill.val() {
                self.dma_start_q.d.next = true;
                self.dma_write_q.d.next = true;
                self.dma_addr_q.d.next = self.haddr.q.val();
                self.dma_len_q.d.next = self.flen.q.val();
                self.src_q.d.next = self.src_fill.val();
                self.ret.d.next = self.s_ld_written.val();
                self.state.d.next = self.s_dma_wait.val();
            } else {
                self.fp_rd_start_q.d.next = true;
                self.fp_addr_q.d.next = self.load_addr.val();
                self.fp_len_q.d.next = self.flen.q.val();
                self.buf_restart_q.d.next = true;
                self.state.d.next = self.s_raw_read.val();
            }
        }
        if self.state.q.val() == self.s_raw_read.val() {
            if self.fp_done.val() {
                self.dma_start_q.d.next = true;
                self.dma_write_q.d.next = true;
                self.dma_addr_q.d.next = self.haddr.q.val();
                self.dma_len_q.d.next = self.flen.q.val();
                self.src_q.d.next = self.src_buffer.val();
                self.ret.d.next = self.s_ld_written.val();
                self.state.d.next = self.s_dma_wait.val();
            }
        }

        // ---- STATS, INVALIDATE, RESET ----
        if self.state.q.val() == self.s_stats_end.val() {
            if self.dma_ok.val() {
                self.status_q.d.next = self.st_ok.val();
                self.result_q.d.next = self.stat_count.val();
            } else {
                self.status_q.d.next = self.st_dma_fault.val();
                self.fin_bump.d.next = true;
                self.fin_idx.d.next = self.ctr_err_dma_fault.val();
            }
            self.state.d.next = self.s_finish.val();
        }
        if self.state.q.val() == self.s_inv_end.val() {
            self.status_q.d.next = self.st_ok.val();
            self.result_q.d.next = self.removed_x.wide.val();
            self.fin_bump.d.next = true;
            self.fin_idx.d.next = self.ctr_invalidated_pages.val();
            self.fin_n.d.next = self.removed_x.wide.val();
            self.state.d.next = self.s_finish.val();
        }
        if self.state.q.val() == self.s_clr_done.val() {
            self.status_q.d.next = self.st_ok.val();
            self.state.d.next = self.s_finish.val();
            if self.resetting.q.val() {
                self.state.d.next = self.s_idle.val();
            }
        }
        self.pg.d.next = self.pg_next.val();
        // Read at the next page index, so the entry of `pg` is out while `pg` holds it.
        self.rd_addr.wide.next = self.pg_next.val();
    }
}
