//! `SeqEncoder`: FSE-encodes the page's sequences with zstd's predefined tables into
//! the sequences bitstream, one sequence per clock.
//!
//! zstd encodes sequences backwards (`ZSTD_encodeSequences`): the last sequence
//! initialises the three FSE states and writes only its extra bits; every earlier one,
//! from last to first, writes the OF, ML and LL state bits, then its LL, ML and OF
//! extra bits; the final states (ML, OF, LL) and a 1 end-marker close the stream.
//! The encoder reads the sequence buffer from index `last` down to 0 (read latency
//! one clock, so each clock presents the next index) and writes the bitstream as
//! little-endian 64-bit words into the bitstream buffer; `bs_len` is its byte length.
//!
//! The FSE transition ROMs map `(code, state)` to `(bits to write, next state)`; they
//! and the initial-state ROMs are generated from `pagepress_codec::fse::FseTable`
//! (`encode`, `init_state`), so they cannot disagree with the reference encoder.
//! States are kept as their low `accuracy_log` bits (the table offset is implicit).

use super::seq_codes::{LL_CODES, ML_CODES, SeqCodes, rom16};
use super::widen::ZeroExtend;
use pagepress_abi::format as f;
use pagepress_codec::fse::{FseTable, ll_table, ml_table, of_table};
use rust_hdl::prelude::*;

/// OF codes a page can produce (offset values up to `4095 + REP_NUM`).
pub const OF_CODES: usize = f::OF_MAX_CODE_USED as usize + 1;

/// Transition ROM: address `code << 6 | state`, data `next_state | nb_bits << 8`.
fn transition_rom(t: &FseTable, codes: usize) -> ROM<Bits<16>, 16> {
    let size = 1u32 << t.accuracy_log;
    let mut map = std::collections::BTreeMap::new();
    for code in 0..codes as u32 {
        for st in 0..size {
            let (_, nb, next) = t.encode(size + st, code);
            assert!(next >= size && next < 2 * size && nb <= t.accuracy_log);
            let addr = (code << 6 | st) as u64;
            map.insert(
                addr.to_bits(),
                ((next - size) as u64 | (nb as u64) << 8).to_bits(),
            );
        }
    }
    ROM::new(map)
}

/// Initial-state ROM: address `code`, data the state's low bits.
fn init_rom(t: &FseTable, codes: usize) -> ROM<Bits<16>, 16> {
    let size = 1u32 << t.accuracy_log;
    rom16((0..codes as u32).map(|c| (t.init_state(c) - size) as u64))
}

// FSM states. rust-hdl's enum states do not lint clean (64-bit initialisers and
// unused per-module localparams), so states are `Bits<3>` constants.
/// Idle is state 0, the DFF's initial value.
#[allow(dead_code)]
const S_IDLE: u64 = 0;
const S_FIRST: u64 = 1;
const S_RUN: u64 = 2;
const S_LAST: u64 = 3;
const S_FLUSH: u64 = 4;
const S_DONE: u64 = 5;

#[derive(LogicBlock)]
pub struct SeqEncoder {
    pub clock: Signal<In, Clock>,
    /// Pulse: encode sequences `0 ..= last`.
    pub start: Signal<In, bool>,
    /// Index of the last sequence.
    pub last: Signal<In, Bits<16>>,
    /// Sequence-buffer read address; its data arrive on `ll`/`ml`/`ov` a clock later.
    pub seq_addr: Signal<Out, Bits<10>>,
    pub ll: Signal<In, Bits<16>>,
    pub ml: Signal<In, Bits<16>>,
    pub ov: Signal<In, Bits<16>>,
    /// Bitstream-buffer write port (64-bit words).
    pub bs_addr: Signal<Out, Bits<9>>,
    pub bs_data: Signal<Out, Bits<64>>,
    pub bs_we: Signal<Out, bool>,
    /// High from the end of an encoding until the next `start`.
    pub done: Signal<Out, bool>,
    /// Bytes of the bitstream (valid with `done`).
    pub bs_len: Signal<Out, Bits<16>>,
    codes: SeqCodes,
    ll_tr: ROM<Bits<16>, 16>,
    ml_tr: ROM<Bits<16>, 16>,
    of_tr: ROM<Bits<16>, 16>,
    ll_init: ROM<Bits<16>, 16>,
    ml_init: ROM<Bits<16>, 16>,
    of_init: ROM<Bits<16>, 16>,
    state: DFF<Bits<3>>,
    s_first: Constant<Bits<3>>,
    s_run: Constant<Bits<3>>,
    s_last: Constant<Bits<3>>,
    s_flush: Constant<Bits<3>>,
    s_done: Constant<Bits<3>>,
    idx: DFF<Bits<16>>,
    ll_st: DFF<Bits<16>>,
    ml_st: DFF<Bits<16>>,
    of_st: DFF<Bits<16>>,
    acc: DFF<Bits<128>>,
    nbits: DFF<Bits<16>>,
    waddr: DFF<Bits<16>>,
    len: DFF<Bits<16>>,
    ll_st_x: ZeroExtend<16, 128>,
    ml_st_x: ZeroExtend<16, 128>,
    of_st_x: ZeroExtend<16, 128>,
    ll_ex_x: ZeroExtend<16, 128>,
    ml_ex_x: ZeroExtend<16, 128>,
    of_ex_x: ZeroExtend<16, 128>,
    k0: Constant<Bits<16>>,
    k1: Constant<Bits<16>>,
    k7: Constant<Bits<16>>,
    k64: Constant<Bits<16>>,
    k_low8: Constant<Bits<16>>,
    k_final_len: Constant<Bits<16>>,
    k_one10: Constant<Bits<10>>,
    one128: Constant<Bits<128>>,
    marker: Constant<Bits<128>>,
    zero128: Constant<Bits<128>>,
    nb_l: Signal<Local, Bits<16>>,
    nb_m: Signal<Local, Bits<16>>,
    nb_o: Signal<Local, Bits<16>>,
    sbits: Signal<Local, Bits<128>>,
    slen: Signal<Local, Bits<16>>,
    ebits: Signal<Local, Bits<128>>,
    elen: Signal<Local, Bits<16>>,
    val: Signal<Local, Bits<128>>,
    vlen: Signal<Local, Bits<16>>,
    acc2: Signal<Local, Bits<128>>,
    n2: Signal<Local, Bits<16>>,
    write: Signal<Local, bool>,
}

impl Default for SeqEncoder {
    fn default() -> Self {
        let k16 = |v: u64| Constant::new(v.to_bits());
        Self {
            clock: Default::default(),
            start: Default::default(),
            last: Default::default(),
            seq_addr: Default::default(),
            ll: Default::default(),
            ml: Default::default(),
            ov: Default::default(),
            bs_addr: Default::default(),
            bs_data: Default::default(),
            bs_we: Default::default(),
            done: Default::default(),
            bs_len: Default::default(),
            codes: Default::default(),
            ll_tr: transition_rom(ll_table(), LL_CODES),
            ml_tr: transition_rom(ml_table(), ML_CODES),
            of_tr: transition_rom(of_table(), OF_CODES),
            ll_init: init_rom(ll_table(), LL_CODES),
            ml_init: init_rom(ml_table(), ML_CODES),
            of_init: init_rom(of_table(), OF_CODES),
            state: Default::default(),
            s_first: Constant::new(S_FIRST.to_bits()),
            s_run: Constant::new(S_RUN.to_bits()),
            s_last: Constant::new(S_LAST.to_bits()),
            s_flush: Constant::new(S_FLUSH.to_bits()),
            s_done: Constant::new(S_DONE.to_bits()),
            idx: Default::default(),
            ll_st: Default::default(),
            ml_st: Default::default(),
            of_st: Default::default(),
            acc: Default::default(),
            nbits: Default::default(),
            waddr: Default::default(),
            len: Default::default(),
            ll_st_x: Default::default(),
            ml_st_x: Default::default(),
            of_st_x: Default::default(),
            ll_ex_x: Default::default(),
            ml_ex_x: Default::default(),
            of_ex_x: Default::default(),
            k0: k16(0),
            k1: k16(1),
            k7: k16(7),
            k64: k16(64),
            k_low8: k16(0xff),
            k_final_len: k16(
                (f::ML_ACCURACY_LOG + f::OF_ACCURACY_LOG + f::LL_ACCURACY_LOG + 1) as u64,
            ),
            k_one10: Constant::new(1u64.to_bits()),
            one128: Constant::new(1u64.to_bits()),
            marker: Constant::new(
                (1u64 << (f::ML_ACCURACY_LOG + f::OF_ACCURACY_LOG + f::LL_ACCURACY_LOG)).to_bits(),
            ),
            zero128: Constant::new(0u64.to_bits()),
            nb_l: Default::default(),
            nb_m: Default::default(),
            nb_o: Default::default(),
            sbits: Default::default(),
            slen: Default::default(),
            ebits: Default::default(),
            elen: Default::default(),
            val: Default::default(),
            vlen: Default::default(),
            acc2: Default::default(),
            n2: Default::default(),
            write: Default::default(),
        }
    }
}

impl Logic for SeqEncoder {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, idx, ll_st, ml_st, of_st, acc, nbits, waddr, len
        );
        self.codes.ll.next = self.ll.val();
        self.codes.ml.next = self.ml.val();
        self.codes.ov.next = self.ov.val();
        self.ll_st_x.narrow.next = self.ll_st.q.val();
        self.ml_st_x.narrow.next = self.ml_st.q.val();
        self.of_st_x.narrow.next = self.of_st.q.val();
        self.ll_ex_x.narrow.next = self.codes.ll_extra.val();
        self.ml_ex_x.narrow.next = self.codes.ml_extra.val();
        self.of_ex_x.narrow.next = self.codes.of_extra.val();
        self.ll_tr.address.next = (self.codes.ll_code.val() << 6) | self.ll_st.q.val();
        self.ml_tr.address.next = (self.codes.ml_code.val() << 6) | self.ml_st.q.val();
        self.of_tr.address.next = (self.codes.of_code.val() << 6) | self.of_st.q.val();
        self.ll_init.address.next = self.codes.ll_code.val();
        self.ml_init.address.next = self.codes.ml_code.val();
        self.of_init.address.next = self.codes.of_code.val();

        // State bits (OF, ML, LL) of a middle sequence.
        self.nb_l.next = self.ll_tr.data.val() >> 8;
        self.nb_m.next = self.ml_tr.data.val() >> 8;
        self.nb_o.next = self.of_tr.data.val() >> 8;
        self.sbits.next = (self.of_st_x.wide.val()
            & ((self.one128.val() << self.nb_o.val()) - self.one128.val()))
            | ((self.ml_st_x.wide.val()
                & ((self.one128.val() << self.nb_m.val()) - self.one128.val()))
                << self.nb_o.val())
            | ((self.ll_st_x.wide.val()
                & ((self.one128.val() << self.nb_l.val()) - self.one128.val()))
                << (self.nb_o.val() + self.nb_m.val()));
        self.slen.next = self.nb_o.val() + self.nb_m.val() + self.nb_l.val();
        // Extra bits (LL, ML, OF) of any sequence.
        self.ebits.next = self.ll_ex_x.wide.val()
            | (self.ml_ex_x.wide.val() << self.codes.ll_nb.val())
            | (self.of_ex_x.wide.val() << (self.codes.ll_nb.val() + self.codes.ml_nb.val()));
        self.elen.next = self.codes.ll_nb.val() + self.codes.ml_nb.val() + self.codes.of_code.val();

        self.val.next = self.zero128.val();
        self.vlen.next = self.k0.val();
        self.seq_addr.next = self.idx.q.val().get_bits::<10>(0) - self.k_one10.val();
        self.done.next = false;
        self.bs_len.next = self.len.q.val();
        if self.state.q.val() == self.s_first.val() {
            self.ll_st.d.next = self.ll_init.data.val();
            self.ml_st.d.next = self.ml_init.data.val();
            self.of_st.d.next = self.of_init.data.val();
            self.val.next = self.ebits.val();
            self.vlen.next = self.elen.val();
            self.idx.d.next = self.idx.q.val() - self.k1.val();
            if self.idx.q.val() == self.k0.val() {
                self.state.d.next = self.s_last.val();
            } else {
                self.state.d.next = self.s_run.val();
            }
        } else if self.state.q.val() == self.s_run.val() {
            self.ll_st.d.next = self.ll_tr.data.val() & self.k_low8.val();
            self.ml_st.d.next = self.ml_tr.data.val() & self.k_low8.val();
            self.of_st.d.next = self.of_tr.data.val() & self.k_low8.val();
            self.val.next = self.sbits.val() | (self.ebits.val() << self.slen.val());
            self.vlen.next = self.slen.val() + self.elen.val();
            self.idx.d.next = self.idx.q.val() - self.k1.val();
            if self.idx.q.val() == self.k0.val() {
                self.state.d.next = self.s_last.val();
            }
        } else if self.state.q.val() == self.s_last.val() {
            self.val.next = self.ml_st_x.wide.val()
                | (self.of_st_x.wide.val() << 6)
                | (self.ll_st_x.wide.val() << 11)
                | self.marker.val();
            self.vlen.next = self.k_final_len.val();
            self.state.d.next = self.s_flush.val();
        } else if self.state.q.val() == self.s_flush.val() {
            self.state.d.next = self.s_done.val();
            self.len.d.next =
                (self.waddr.q.val() << 3) + ((self.nbits.q.val() + self.k7.val()) >> 3);
        } else {
            // Idle and Done.
            self.done.next = self.state.q.val() == self.s_done.val();
            self.seq_addr.next = self.last.val().get_bits::<10>(0);
            if self.start.val() {
                self.state.d.next = self.s_first.val();
                self.idx.d.next = self.last.val();
                self.acc.d.next = self.zero128.val();
                self.nbits.d.next = self.k0.val();
                self.waddr.d.next = self.k0.val();
            }
        }

        // Bit writer: append `vlen` bits of `val`; emit a word at 64 bits.
        self.acc2.next = self.acc.q.val() | (self.val.val() << self.nbits.q.val());
        self.n2.next = self.nbits.q.val() + self.vlen.val();
        self.write.next = self.n2.val() >= self.k64.val();
        self.bs_data.next = self.acc2.val().get_bits::<64>(0);
        self.bs_addr.next = self.waddr.q.val().get_bits::<9>(0);
        if self.state.q.val() == self.s_flush.val() {
            self.write.next = self.nbits.q.val() != self.k0.val();
        }
        self.bs_we.next = self.write.val();
        if (self.state.q.val() == self.s_first.val())
            | (self.state.q.val() == self.s_run.val())
            | (self.state.q.val() == self.s_last.val())
        {
            if self.write.val() {
                self.acc.d.next = self.acc2.val() >> 64;
                self.nbits.d.next = self.n2.val() - self.k64.val();
                self.waddr.d.next = self.waddr.q.val() + self.k1.val();
            } else {
                self.acc.d.next = self.acc2.val();
                self.nbits.d.next = self.n2.val();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compressor::lint_core;
    use crate::compressor::testutil::tick;

    /// Offset values as the reference codes them (repeat code 1 or offset + 3).
    pub(crate) fn offset_values(seqs: &[pagepress_codec::Sequence]) -> Vec<u32> {
        let mut rep0 = f::REP_OFFSETS_INIT[0];
        seqs.iter()
            .map(|s| {
                let ov = if s.lit_len > 0 && s.offset == rep0 {
                    1
                } else {
                    s.offset + f::REP_NUM
                };
                rep0 = s.offset;
                ov
            })
            .collect()
    }

    /// Runs the encoder on the sequences of `page` and compares its bitstream with the
    /// tail of the reference frame (the bitstream ends every compressed frame).
    fn check_page(page: &[u8; 4096]) {
        let (seqs, _) = pagepress_codec::find_sequences(page);
        let mut frame = Vec::new();
        let kind = pagepress_codec::compress_page(page, &mut frame);
        assert_eq!(kind, pagepress_codec::FrameKind::Compressed);
        let ovs = offset_values(&seqs);
        let mut uut = SeqEncoder::default();
        uut.connect_all();
        let last = seqs.len() - 1;
        uut.last.next = (last as u64).to_bits();
        uut.start.next = true;
        assert!(simulate(&mut uut, 100));
        let mut words = std::collections::BTreeMap::new();
        let mut cycles = 0;
        loop {
            // The sequence buffer: combinational model of a 1-clock-latency RAM.
            let addr = uut.seq_addr.val().index();
            tick(&mut uut, |u| &mut u.clock);
            let prev_we = (
                uut.bs_we.val(),
                uut.bs_addr.val().index(),
                uut.bs_data.val(),
            );
            let _ = prev_we;
            uut.start.next = false;
            let s = seqs.get(addr).copied().unwrap_or(seqs[0]);
            uut.ll.next = (s.lit_len as u64).to_bits();
            uut.ml.next = (s.match_len as u64).to_bits();
            uut.ov.next = (ovs.get(addr).copied().unwrap_or(1) as u64).to_bits();
            assert!(simulate(&mut uut, 100));
            if uut.bs_we.val() {
                words.insert(uut.bs_addr.val().index(), uut.bs_data.val().to_u64());
            }
            cycles += 1;
            if uut.done.val() {
                break;
            }
            assert!(cycles < 4 * seqs.len() + 20, "encoder hung");
        }
        let n = uut.bs_len.val().index();
        let mut bytes = Vec::new();
        for i in 0..n.div_ceil(8) {
            bytes.extend_from_slice(&words[&i].to_le_bytes());
        }
        bytes.truncate(n);
        assert_eq!(
            bytes,
            frame[frame.len() - n..],
            "bitstream of {} sequences",
            seqs.len()
        );
    }

    #[test]
    fn seq_encoder_matches_reference_bitstream() {
        let mut rng = 12345u32;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            rng
        };
        // One sequence only: first half random, second half a copy.
        let mut page = [0u8; 4096];
        for b in page[..2048].iter_mut() {
            *b = next() as u8;
        }
        let (a, b) = page.split_at_mut(2048);
        b.copy_from_slice(a);
        check_page(&page);
        // Small alphabet: many short sequences with repeat offsets.
        page.iter_mut()
            .for_each(|b| *b = b"abcd"[(next() % 4) as usize]);
        check_page(&page);
        // Text-like with long and short matches.
        let words = [
            &b"the "[..],
            b"quick ",
            b"brown ",
            b"fox ",
            b"jumps\n",
            b"over 1234 ",
        ];
        let mut v = Vec::new();
        while v.len() < 4096 {
            v.extend_from_slice(words[(next() % 6) as usize]);
            if next() % 5 == 0 {
                v.push(next() as u8);
            }
        }
        page.copy_from_slice(&v[..4096]);
        check_page(&page);
    }

    #[test]
    fn seq_encoder_verilog_lints() {
        let mut uut = SeqEncoder::default();
        uut.connect_all();
        lint_core("compressor_seq_encoder", &uut);
    }
}
