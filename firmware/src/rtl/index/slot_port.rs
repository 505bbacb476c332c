//! `SlotPort`: the index's device-memory master. One access moves word 0 (or
//! words 0 and 1) of one node slot, as word requests on the `mem_*` port.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `start` | in | 1 | pulse while idle: begin an access with the inputs below (latched) |
//! | `write` | in | 1 | 1 write, 0 read |
//! | `pair` | in | 1 | both words of the slot (else word 0 only) |
//! | `addr` | in | 32 | byte address of word 0 |
//! | `wdata` | in | 64 | write data of word 0 (a child node number or a leaf's value) |
//! | `wkind` | in | 2 | write data of word 1 (a leaf's kind, zero-extended) |
//! | `done` | out | 1 | pulse: every request was taken and every read answered |
//! | `rdata`/`rkind` | out | 64/2 | read data of word 0, and of word 1's kind bits (held until the next read) |
//! | `mem_*` | | | the device-memory master port of `docs/device-rtl.md` |
//!
//! The kind word's upper bits are written 0 and ignored on reads.
//! Requests go out back to back (word 1 right after word 0 is taken), so a
//! pair read costs one memory latency, not two. `done` comes the cycle after
//! the last request is taken (writes) or the last read answered (reads).

use pagepress_rtl::compressor::widen::ZeroExtend;
use rust_hdl::prelude::*;

/// Bytes of one device-memory word (the second word of a slot is this far on).
const WORD_BYTES: u64 = 8;

#[derive(LogicBlock)]
pub struct SlotPort {
    pub clock: Signal<In, Clock>,
    pub start: Signal<In, bool>,
    pub write: Signal<In, bool>,
    pub pair: Signal<In, bool>,
    pub addr: Signal<In, Bits<32>>,
    pub wdata: Signal<In, Bits<64>>,
    pub wkind: Signal<In, Bits<2>>,
    pub done: Signal<Out, bool>,
    pub rdata: Signal<Out, Bits<64>>,
    pub rkind: Signal<Out, Bits<2>>,
    pub mem_req_valid: Signal<Out, bool>,
    pub mem_req_ready: Signal<In, bool>,
    pub mem_req_write: Signal<Out, bool>,
    pub mem_req_addr: Signal<Out, Bits<32>>,
    pub mem_wdata: Signal<Out, Bits<64>>,
    pub mem_rvalid: Signal<In, bool>,
    pub mem_rdata: Signal<In, Bits<64>>,

    word_bytes: Constant<Bits<32>>,
    no_words: Constant<Bits<2>>,
    one_word: Constant<Bits<2>>,
    two_words: Constant<Bits<2>>,
    wkind_wide: ZeroExtend<2, 64>,

    busy: DFF<bool>,
    write_q: DFF<bool>,
    addr_q: DFF<Bits<32>>,
    /// Data of the next write request, then of the one after it.
    wdata_q: DFF<Bits<64>>,
    wdata_next: DFF<Bits<64>>,
    /// Requests not yet taken.
    to_send: DFF<Bits<2>>,
    /// Read answers expected, and received so far.
    to_receive: DFF<Bits<2>>,
    received: DFF<Bits<2>>,
    rdata_q: DFF<Bits<64>>,
    rkind_q: DFF<Bits<2>>,
}

impl Default for SlotPort {
    fn default() -> Self {
        let words = |n: u64| Constant::new(n.to_bits());
        Self {
            clock: Default::default(),
            start: Default::default(),
            write: Default::default(),
            pair: Default::default(),
            addr: Default::default(),
            wdata: Default::default(),
            wkind: Default::default(),
            done: Default::default(),
            rdata: Default::default(),
            rkind: Default::default(),
            mem_req_valid: Default::default(),
            mem_req_ready: Default::default(),
            mem_req_write: Default::default(),
            mem_req_addr: Default::default(),
            mem_wdata: Default::default(),
            mem_rvalid: Default::default(),
            mem_rdata: Default::default(),
            word_bytes: Constant::new(WORD_BYTES.to_bits()),
            no_words: words(0),
            one_word: words(1),
            two_words: words(2),
            wkind_wide: Default::default(),
            busy: Default::default(),
            write_q: Default::default(),
            addr_q: Default::default(),
            wdata_q: Default::default(),
            wdata_next: Default::default(),
            to_send: Default::default(),
            to_receive: Default::default(),
            received: Default::default(),
            rdata_q: Default::default(),
            rkind_q: Default::default(),
        }
    }
}

impl Logic for SlotPort {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, busy, write_q, addr_q, wdata_q, wdata_next, to_send, to_receive, received,
            rdata_q, rkind_q
        );
        self.wkind_wide.narrow.next = self.wkind.val();
        self.mem_req_valid.next = self.to_send.q.val() != self.no_words.val();
        self.mem_req_write.next = self.write_q.q.val();
        self.mem_req_addr.next = self.addr_q.q.val();
        self.mem_wdata.next = self.wdata_q.q.val();
        self.rdata.next = self.rdata_q.q.val();
        self.rkind.next = self.rkind_q.q.val();
        // Outputs are never read back in this kernel (the condition below is
        // repeated, not read from `done`): Verilator splits the always block
        // by the variables each statement touches, and a read-back would put
        // `done` and `mem_req_valid` in one block with the `start` and
        // `mem_req_ready` inputs, a false combinational loop through a parent
        // that drives those from them (UNOPTFLAT).
        self.done.next = self.busy.q.val()
            & (self.to_send.q.val() == self.no_words.val())
            & (self.received.q.val() == self.to_receive.q.val());
        if self.busy.q.val()
            & (self.to_send.q.val() == self.no_words.val())
            & (self.received.q.val() == self.to_receive.q.val())
        {
            self.busy.d.next = false;
        }
        if self.start.val() {
            self.busy.d.next = true;
            self.write_q.d.next = self.write.val();
            self.addr_q.d.next = self.addr.val();
            self.wdata_q.d.next = self.wdata.val();
            self.wdata_next.d.next = self.wkind_wide.wide.val();
            self.to_send.d.next = self.one_word.val();
            self.to_receive.d.next = self.one_word.val();
            if self.pair.val() {
                self.to_send.d.next = self.two_words.val();
                self.to_receive.d.next = self.two_words.val();
            }
            if self.write.val() {
                self.to_receive.d.next = self.no_words.val();
            }
            self.received.d.next = self.no_words.val();
        }
        if (self.to_send.q.val() != self.no_words.val()) & self.mem_req_ready.val() {
            self.to_send.d.next = self.to_send.q.val() - self.one_word.val();
            self.addr_q.d.next = self.addr_q.q.val() + self.word_bytes.val();
            self.wdata_q.d.next = self.wdata_next.q.val();
        }
        // Answers come in request order: the first is word 0.
        if self.mem_rvalid.val() & (self.received.q.val() != self.to_receive.q.val()) {
            if self.received.q.val() == self.no_words.val() {
                self.rdata_q.d.next = self.mem_rdata.val();
            } else {
                self.rkind_q.d.next = self.mem_rdata.val().get_bits::<2>(0);
            }
            self.received.d.next = self.received.q.val() + self.one_word.val();
        }
    }
}
