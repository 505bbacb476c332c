//! `CplPost`: writes one completion-queue entry by DMA.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `start`, `addr` | in | 1, 64 | write the entry at IOVA `addr` (taken when idle, with the fields) |
//! | `cid`, `status`, `phase`, `sq_head`, `sq_id`, `result`, `info` | in | | the completion (`pagepress_abi::Completion`; `phase` sets `CPL_FLAG_PHASE`) |
//! | `done` | out | 1 | pulse: the write finished |
//! | `fault` | out | 1 | with `done`: the IOMMU refused the write |
//! | `dma_req_*`, `dma_w*`, `dma_b*` | | | the write half of a DMA master port |
//!
//! The fields are packed into a register at `start` (byte `i` of the entry in
//! bits `8i+7 .. 8i`), the request of `COMPLETION_SIZE` bytes is offered, then
//! the beats in order, then the device waits for `bvalid`; `done` comes the
//! cycle after, from a register.

use crate::rtl::csr::queue_file::QUEUE_BITS;
use crate::rtl::csr::queue_regs::RING_INDEX_BITS;
use pagepress_abi::desc::{COMPLETION_SIZE, CPL_FLAG_PHASE};
use pagepress_rtl::compressor::widen::ZeroExtend;
use rust_hdl::prelude::*;

/// Byte offsets of the fields in a completion entry (`Completion::to_bytes`;
/// the tests check them against it).
pub mod layout {
    pub const CID: u32 = 0;
    pub const STATUS: u32 = 2;
    pub const FLAGS: u32 = 3;
    pub const SQ_HEAD: u32 = 4;
    pub const SQ_ID: u32 = 6;
    pub const RESULT: u32 = 8;
    pub const INFO: u32 = 12;
}

const ENTRY_BITS: usize = 8 * COMPLETION_SIZE;
const BEAT_BITS: usize = 64;
const BEATS: usize = ENTRY_BITS / BEAT_BITS;

fn at(byte: u32) -> Constant<Bits<8>> {
    Constant::new(((8 * byte) as u64).to_bits())
}

const ST_IDLE: u64 = 0;
const ST_REQ: u64 = 1;
const ST_DATA: u64 = 2;
const ST_RESP: u64 = 3;

#[derive(LogicBlock)]
pub struct CplPost {
    pub clock: Signal<In, Clock>,
    pub start: Signal<In, bool>,
    pub addr: Signal<In, Bits<64>>,
    pub cid: Signal<In, Bits<16>>,
    pub status: Signal<In, Bits<8>>,
    pub phase: Signal<In, bool>,
    pub sq_head: Signal<In, Bits<RING_INDEX_BITS>>,
    pub sq_id: Signal<In, Bits<QUEUE_BITS>>,
    pub result: Signal<In, Bits<32>>,
    pub info: Signal<In, Bits<32>>,
    pub done: Signal<Out, bool>,
    pub fault: Signal<Out, bool>,
    pub dma_req_valid: Signal<Out, bool>,
    pub dma_req_ready: Signal<In, bool>,
    pub dma_req_addr: Signal<Out, Bits<64>>,
    pub dma_req_len: Signal<Out, Bits<16>>,
    pub dma_wvalid: Signal<Out, bool>,
    pub dma_wready: Signal<In, bool>,
    pub dma_wdata: Signal<Out, Bits<64>>,
    pub dma_wlast: Signal<Out, bool>,
    pub dma_bvalid: Signal<In, bool>,
    pub dma_bok: Signal<In, bool>,

    st_idle: Constant<Bits<2>>,
    st_req: Constant<Bits<2>>,
    st_data: Constant<Bits<2>>,
    st_resp: Constant<Bits<2>>,
    entry_bytes: Constant<Bits<16>>,
    beat_bits: Constant<Bits<8>>,
    last_beat: Constant<Bits<2>>,
    one_beat: Constant<Bits<2>>,
    first_beat: Constant<Bits<2>>,
    phase_flag: Constant<Bits<8>>,
    no_flags: Constant<Bits<8>>,
    at_cid: Constant<Bits<8>>,
    at_status: Constant<Bits<8>>,
    at_flags: Constant<Bits<8>>,
    at_sq_head: Constant<Bits<8>>,
    at_sq_id: Constant<Bits<8>>,
    at_result: Constant<Bits<8>>,
    at_info: Constant<Bits<8>>,
    cid_x: ZeroExtend<16, ENTRY_BITS>,
    status_x: ZeroExtend<8, ENTRY_BITS>,
    flags_x: ZeroExtend<8, ENTRY_BITS>,
    sq_head_x: ZeroExtend<RING_INDEX_BITS, ENTRY_BITS>,
    sq_id_x: ZeroExtend<QUEUE_BITS, ENTRY_BITS>,
    result_x: ZeroExtend<32, ENTRY_BITS>,
    info_x: ZeroExtend<32, ENTRY_BITS>,

    state: DFF<Bits<2>>,
    req_addr: DFF<Bits<64>>,
    entry: DFF<Bits<ENTRY_BITS>>,
    beat: DFF<Bits<2>>,
    done_q: DFF<bool>,
    fault_q: DFF<bool>,
}

impl Default for CplPost {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            start: Default::default(),
            addr: Default::default(),
            cid: Default::default(),
            status: Default::default(),
            phase: Default::default(),
            sq_head: Default::default(),
            sq_id: Default::default(),
            result: Default::default(),
            info: Default::default(),
            done: Default::default(),
            fault: Default::default(),
            dma_req_valid: Default::default(),
            dma_req_ready: Default::default(),
            dma_req_addr: Default::default(),
            dma_req_len: Default::default(),
            dma_wvalid: Default::default(),
            dma_wready: Default::default(),
            dma_wdata: Default::default(),
            dma_wlast: Default::default(),
            dma_bvalid: Default::default(),
            dma_bok: Default::default(),
            st_idle: Constant::new(ST_IDLE.to_bits()),
            st_req: Constant::new(ST_REQ.to_bits()),
            st_data: Constant::new(ST_DATA.to_bits()),
            st_resp: Constant::new(ST_RESP.to_bits()),
            entry_bytes: Constant::new((COMPLETION_SIZE as u64).to_bits()),
            beat_bits: Constant::new((BEAT_BITS as u64).to_bits()),
            last_beat: Constant::new(((BEATS - 1) as u64).to_bits()),
            one_beat: Constant::new(1u64.to_bits()),
            first_beat: Constant::new(0u64.to_bits()),
            phase_flag: Constant::new((CPL_FLAG_PHASE as u64).to_bits()),
            no_flags: Constant::new(0u64.to_bits()),
            at_cid: at(layout::CID),
            at_status: at(layout::STATUS),
            at_flags: at(layout::FLAGS),
            at_sq_head: at(layout::SQ_HEAD),
            at_sq_id: at(layout::SQ_ID),
            at_result: at(layout::RESULT),
            at_info: at(layout::INFO),
            cid_x: Default::default(),
            status_x: Default::default(),
            flags_x: Default::default(),
            sq_head_x: Default::default(),
            sq_id_x: Default::default(),
            result_x: Default::default(),
            info_x: Default::default(),
            state: Default::default(),
            req_addr: Default::default(),
            entry: Default::default(),
            beat: Default::default(),
            done_q: Default::default(),
            fault_q: Default::default(),
        }
    }
}

// One `if` per FSM state with its handshake inside, like the state diagram;
// clippy would merge them.
#[allow(clippy::collapsible_if)]
impl Logic for CplPost {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, req_addr, entry, beat, done_q, fault_q);
        self.cid_x.narrow.next = self.cid.val();
        self.status_x.narrow.next = self.status.val();
        self.flags_x.narrow.next = self.no_flags.val();
        if self.phase.val() {
            self.flags_x.narrow.next = self.phase_flag.val();
        }
        self.sq_head_x.narrow.next = self.sq_head.val();
        self.sq_id_x.narrow.next = self.sq_id.val();
        self.result_x.narrow.next = self.result.val();
        self.info_x.narrow.next = self.info.val();
        self.done.next = self.done_q.q.val();
        self.fault.next = self.fault_q.q.val();
        self.dma_req_valid.next = self.state.q.val() == self.st_req.val();
        self.dma_req_addr.next = self.req_addr.q.val();
        self.dma_req_len.next = self.entry_bytes.val();
        self.dma_wvalid.next = self.state.q.val() == self.st_data.val();
        self.dma_wdata.next = self.entry.q.val().get_bits::<BEAT_BITS>(0);
        self.dma_wlast.next = self.beat.q.val() == self.last_beat.val();
        self.done_q.d.next = false;
        self.fault_q.d.next = false;

        if self.state.q.val() == self.st_idle.val() {
            if self.start.val() {
                self.req_addr.d.next = self.addr.val();
                self.entry.d.next = (self.cid_x.wide.val() << self.at_cid.val())
                    | (self.status_x.wide.val() << self.at_status.val())
                    | (self.flags_x.wide.val() << self.at_flags.val())
                    | (self.sq_head_x.wide.val() << self.at_sq_head.val())
                    | (self.sq_id_x.wide.val() << self.at_sq_id.val())
                    | (self.result_x.wide.val() << self.at_result.val())
                    | (self.info_x.wide.val() << self.at_info.val());
                self.beat.d.next = self.first_beat.val();
                self.state.d.next = self.st_req.val();
            }
        }
        if self.state.q.val() == self.st_req.val() {
            if self.dma_req_ready.val() {
                self.state.d.next = self.st_data.val();
            }
        }
        if self.state.q.val() == self.st_data.val() {
            if self.dma_wready.val() {
                self.entry.d.next = self.entry.q.val() >> self.beat_bits.val();
                self.beat.d.next = self.beat.q.val() + self.one_beat.val();
                if self.beat.q.val() == self.last_beat.val() {
                    self.state.d.next = self.st_resp.val();
                }
            }
        }
        if self.state.q.val() == self.st_resp.val() {
            if self.dma_bvalid.val() {
                self.done_q.d.next = true;
                self.fault_q.d.next = !self.dma_bok.val();
                self.state.d.next = self.st_idle.val();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::layout;
    use pagepress_abi::Completion;

    fn le(b: &[u8], at: u32, n: usize) -> u64 {
        let mut v = [0u8; 8];
        v[..n].copy_from_slice(&b[at as usize..at as usize + n]);
        u64::from_le_bytes(v)
    }

    #[test]
    fn layout_matches_the_abi_encoding() {
        let c = Completion {
            cid: 0xc1d2,
            status: 0x85,
            flags: 0x41,
            sq_head: 0x1357,
            sq_id: 0x2468,
            result: 0x89ab_cdef,
            info: 0xfeed_f00d,
        };
        let b = c.to_bytes();
        assert_eq!(le(&b, layout::CID, 2), c.cid as u64);
        assert_eq!(le(&b, layout::STATUS, 1), c.status as u64);
        assert_eq!(le(&b, layout::FLAGS, 1), c.flags as u64);
        assert_eq!(le(&b, layout::SQ_HEAD, 2), c.sq_head as u64);
        assert_eq!(le(&b, layout::SQ_ID, 2), c.sq_id as u64);
        assert_eq!(le(&b, layout::RESULT, 4), c.result as u64);
        assert_eq!(le(&b, layout::INFO, 4), c.info as u64);
    }
}
