//! `CmdFetch`: reads one submission-queue entry by DMA and holds its fields.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `start`, `addr` | in | 1, 64 | read the entry at IOVA `addr` (taken when idle) |
//! | `done` | out | 1 | pulse: the read finished; the fields hold the entry |
//! | `fault` | out | 1 | with `done`: the IOMMU refused the read |
//! | `opcode` .. `len` | out | | the entry's fields (`pagepress_abi::Command`), held until the next `start` |
//! | `dma_req_*`, `dma_r*` | | | the read half of a DMA master port (`dma_req_write` is 0) |
//!
//! One request of `COMMAND_SIZE` bytes; the beats shift into a register in
//! arrival order, so after the last one byte `i` of the entry is bits
//! `8i+7 .. 8i`. `done` comes the cycle after the last beat (or the refused
//! beat), from a register.

use pagepress_abi::desc::COMMAND_SIZE;
use pagepress_rtl::compressor::widen::ZeroExtend;
use rust_hdl::prelude::*;

/// Byte offsets of the fields in a submission entry (`Command::to_bytes`;
/// the tests check them against it).
pub mod layout {
    pub const OPCODE: u32 = 0;
    pub const FLAGS: u32 = 1;
    pub const CID: u32 = 2;
    pub const NR_PAGES: u32 = 4;
    pub const SLOT: u32 = 8;
    pub const ADDR: u32 = 16;
    pub const LEN: u32 = 24;
}

const ENTRY_BITS: usize = 8 * COMMAND_SIZE;
const BEAT_BITS: usize = 64;

/// Bits of a bit position in the entry (Verilog wants a `clog2(width)`-bit index).
const ENTRY_BIT_INDEX: usize = ENTRY_BITS.trailing_zeros() as usize;
const _: () = assert!(ENTRY_BITS.is_power_of_two());

fn shift(bits: usize) -> Constant<Bits<16>> {
    Constant::new((bits as u64).to_bits())
}

/// The bit position of the field at `byte`.
fn field(byte: u32) -> Constant<Bits<ENTRY_BIT_INDEX>> {
    Constant::new(((8 * byte) as u64).to_bits())
}

const ST_IDLE: u64 = 0;
const ST_REQ: u64 = 1;
const ST_DATA: u64 = 2;

#[derive(LogicBlock)]
pub struct CmdFetch {
    pub clock: Signal<In, Clock>,
    pub start: Signal<In, bool>,
    pub addr: Signal<In, Bits<64>>,
    pub done: Signal<Out, bool>,
    pub fault: Signal<Out, bool>,
    pub opcode: Signal<Out, Bits<8>>,
    pub flags: Signal<Out, Bits<8>>,
    pub cid: Signal<Out, Bits<16>>,
    pub nr_pages: Signal<Out, Bits<16>>,
    pub slot: Signal<Out, Bits<32>>,
    pub buf_addr: Signal<Out, Bits<64>>,
    pub len: Signal<Out, Bits<32>>,
    pub dma_req_valid: Signal<Out, bool>,
    pub dma_req_ready: Signal<In, bool>,
    pub dma_req_addr: Signal<Out, Bits<64>>,
    pub dma_req_len: Signal<Out, Bits<16>>,
    pub dma_rvalid: Signal<In, bool>,
    pub dma_rdata: Signal<In, Bits<64>>,
    pub dma_rlast: Signal<In, bool>,
    pub dma_rerr: Signal<In, bool>,

    st_idle: Constant<Bits<2>>,
    st_req: Constant<Bits<2>>,
    st_data: Constant<Bits<2>>,
    entry_bytes: Constant<Bits<16>>,
    beat_bits: Constant<Bits<16>>,
    top_beat: Constant<Bits<16>>,
    at_opcode: Constant<Bits<ENTRY_BIT_INDEX>>,
    at_flags: Constant<Bits<ENTRY_BIT_INDEX>>,
    at_cid: Constant<Bits<ENTRY_BIT_INDEX>>,
    at_nr_pages: Constant<Bits<ENTRY_BIT_INDEX>>,
    at_slot: Constant<Bits<ENTRY_BIT_INDEX>>,
    at_addr: Constant<Bits<ENTRY_BIT_INDEX>>,
    at_len: Constant<Bits<ENTRY_BIT_INDEX>>,
    beat: ZeroExtend<BEAT_BITS, ENTRY_BITS>,

    state: DFF<Bits<2>>,
    req_addr: DFF<Bits<64>>,
    entry: DFF<Bits<ENTRY_BITS>>,
    done_q: DFF<bool>,
    fault_q: DFF<bool>,
}

impl Default for CmdFetch {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            start: Default::default(),
            addr: Default::default(),
            done: Default::default(),
            fault: Default::default(),
            opcode: Default::default(),
            flags: Default::default(),
            cid: Default::default(),
            nr_pages: Default::default(),
            slot: Default::default(),
            buf_addr: Default::default(),
            len: Default::default(),
            dma_req_valid: Default::default(),
            dma_req_ready: Default::default(),
            dma_req_addr: Default::default(),
            dma_req_len: Default::default(),
            dma_rvalid: Default::default(),
            dma_rdata: Default::default(),
            dma_rlast: Default::default(),
            dma_rerr: Default::default(),
            st_idle: Constant::new(ST_IDLE.to_bits()),
            st_req: Constant::new(ST_REQ.to_bits()),
            st_data: Constant::new(ST_DATA.to_bits()),
            entry_bytes: Constant::new((COMMAND_SIZE as u64).to_bits()),
            beat_bits: shift(BEAT_BITS),
            top_beat: shift(ENTRY_BITS - BEAT_BITS),
            at_opcode: field(layout::OPCODE),
            at_flags: field(layout::FLAGS),
            at_cid: field(layout::CID),
            at_nr_pages: field(layout::NR_PAGES),
            at_slot: field(layout::SLOT),
            at_addr: field(layout::ADDR),
            at_len: field(layout::LEN),
            beat: Default::default(),
            state: Default::default(),
            req_addr: Default::default(),
            entry: Default::default(),
            done_q: Default::default(),
            fault_q: Default::default(),
        }
    }
}

// One `if` per FSM state with its handshake inside, like the state diagram;
// clippy would merge them.
#[allow(clippy::collapsible_if)]
impl Logic for CmdFetch {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, req_addr, entry, done_q, fault_q);
        self.beat.narrow.next = self.dma_rdata.val();
        self.opcode.next = self
            .entry
            .q
            .val()
            .get_bits::<8>(self.at_opcode.val().index());
        self.flags.next = self
            .entry
            .q
            .val()
            .get_bits::<8>(self.at_flags.val().index());
        self.cid.next = self.entry.q.val().get_bits::<16>(self.at_cid.val().index());
        self.nr_pages.next = self
            .entry
            .q
            .val()
            .get_bits::<16>(self.at_nr_pages.val().index());
        self.slot.next = self
            .entry
            .q
            .val()
            .get_bits::<32>(self.at_slot.val().index());
        self.buf_addr.next = self
            .entry
            .q
            .val()
            .get_bits::<64>(self.at_addr.val().index());
        self.len.next = self.entry.q.val().get_bits::<32>(self.at_len.val().index());
        self.done.next = self.done_q.q.val();
        self.fault.next = self.fault_q.q.val();
        self.dma_req_valid.next = self.state.q.val() == self.st_req.val();
        self.dma_req_addr.next = self.req_addr.q.val();
        self.dma_req_len.next = self.entry_bytes.val();
        self.done_q.d.next = false;
        self.fault_q.d.next = false;

        if self.state.q.val() == self.st_idle.val() {
            if self.start.val() {
                self.req_addr.d.next = self.addr.val();
                self.state.d.next = self.st_req.val();
            }
        }
        if self.state.q.val() == self.st_req.val() {
            if self.dma_req_ready.val() {
                self.state.d.next = self.st_data.val();
            }
        }
        if self.state.q.val() == self.st_data.val() {
            if self.dma_rvalid.val() {
                self.entry.d.next = (self.entry.q.val() >> self.beat_bits.val())
                    | (self.beat.wide.val() << self.top_beat.val());
                if self.dma_rlast.val() {
                    self.done_q.d.next = true;
                    self.fault_q.d.next = self.dma_rerr.val();
                    self.state.d.next = self.st_idle.val();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::layout;
    use pagepress_abi::Command;

    fn le(b: &[u8], at: u32, n: usize) -> u64 {
        let mut v = [0u8; 8];
        v[..n].copy_from_slice(&b[at as usize..at as usize + n]);
        u64::from_le_bytes(v)
    }

    #[test]
    fn layout_matches_the_abi_encoding() {
        let c = Command {
            opcode: 0x81,
            flags: 0x42,
            cid: 0xc1d2,
            nr_pages: 0x1357,
            rsvd0: 0,
            slot: 0x89ab_cdef,
            rsvd1: 0,
            addr: 0x0123_4567_89ab_cdef,
            len: 0xfeed_f00d,
            rsvd2: 0,
        };
        let b = c.to_bytes();
        assert_eq!(le(&b, layout::OPCODE, 1), c.opcode as u64);
        assert_eq!(le(&b, layout::FLAGS, 1), c.flags as u64);
        assert_eq!(le(&b, layout::CID, 2), c.cid as u64);
        assert_eq!(le(&b, layout::NR_PAGES, 2), c.nr_pages as u64);
        assert_eq!(le(&b, layout::SLOT, 4), c.slot as u64);
        assert_eq!(le(&b, layout::ADDR, 8), c.addr);
        assert_eq!(le(&b, layout::LEN, 4), c.len as u64);
    }
}
