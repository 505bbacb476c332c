//! The decompressor core: one zstd frame of the pagepress subset in, one 4 KiB
//! page out, or an error status.
//!
//! Golden model: `pagepress_codec::decode_frame` / `decompress_page`. The core
//! accepts exactly the frames the reference decoder accepts, produces the same
//! page, and rejects every other input with the status class of the reference
//! decoder's error ([`status`]), checked in the same order. It never hangs (a
//! truncated input ends with an error once `in_last` arrives) and never emits
//! more than 4096 bytes.
//!
//! # Ports
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | |
//! | `in_valid` | in | 1 | an input beat is offered |
//! | `in_ready` | out | 1 | the core takes the beat this cycle (high while loading) |
//! | `in_data` | in | 64 | frame bytes, little-endian: byte `i` of the beat in bits `8i+7..8i` |
//! | `in_bytes` | in | 4 | valid bytes in the beat (8; the last beat may hold 0..=8) |
//! | `in_last` | in | 1 | last beat of the frame |
//! | `out_valid` | out | 1 | an output beat (8 page bytes, little-endian) is on `out_data` |
//! | `out_data` | out | 64 | output beat; the sink must accept it the cycle it is valid |
//! | `done` | out | 1 | one-cycle pulse: the frame is finished, `status` is valid |
//! | `status` | out | 8 | [`status`] code of the frame |
//!
//! Beats are 8 bytes; the page comes out as 512 beats in order. On an error
//! the beats already emitted are a prefix of garbage and must be discarded.
//!
//! # Microarchitecture (version 1)
//!
//! 1. **Load**: input beats are written to a 1024 x 64 input RAM (1 beat/cycle).
//!    The frame must be buffered: zstd's sequence bitstream is read backwards
//!    from its last byte. Bytes past 8 KiB are counted, not stored.
//! 2. **Header**: frame header, block header and literals header are checked
//!    from the first two words; the sequences header from a two-word window.
//! 3. **RLE** and **raw** blocks stream out at 8 bytes/cycle (a raw body is
//!    realigned from two input words). Literal runs are copied one byte per
//!    cycle from the input RAM.
//! 4. **Sequences**: a backward bit reader holds a 128-bit window of the
//!    bitstream (two input words) and extracts three fields per cycle (up to
//!    57 bits: the offset/match/literal extra bits in one cycle, the three FSE
//!    state updates in the next); every 64 bits consumed it refills one word
//!    (one extra cycle). The FSE decoding tables and the code baselines are
//!    combinational ROMs generated from `pagepress_codec::fse`.
//! 5. **Copy**: literal and match bytes are copied one per cycle; matches read
//!    a 4096 x 8 history RAM (the page so far) with a write-to-read bypass for
//!    offsets of 1. Every byte is also shifted into the output beat register.
//!    Repeat-offset resolution and the bounds checks take one cycle each before
//!    the literal and the match copy, which start reading in that cycle.
//!
//! Throughput: frame length / 8 load cycles, then about one byte per cycle
//! plus ~4 cycles per sequence (RLE and raw: 8 bytes per cycle). The plan for 8
//! bytes/cycle is in `docs/rtl-report.md`.

mod tables;

use pagepress_codec::fse::{ll_table, ml_table, of_table};
use rust_hdl::prelude::*;
pub use tables::{CodeRom, FseRom, ZeroExtend};

/// Status codes on the `status` port: the classes of `pagepress_codec::DecodeError`.
pub mod status {
    /// The frame decoded to one page.
    pub const OK: u8 = 0;
    /// `DecodeError::Truncated`.
    pub const TRUNCATED: u8 = 1;
    /// `DecodeError::BadMagic`.
    pub const BAD_MAGIC: u8 = 2;
    /// `DecodeError::Unsupported`.
    pub const UNSUPPORTED: u8 = 3;
    /// `DecodeError::Corrupt`.
    pub const CORRUPT: u8 = 4;
    /// `DecodeError::SizeMismatch`.
    pub const SIZE_MISMATCH: u8 = 5;
    /// `DecodeError::TrailingData`.
    pub const TRAILING_DATA: u8 = 6;

    /// The status code of a reference decoder result.
    pub fn of_result(r: &Result<(), pagepress_codec::DecodeError>) -> u8 {
        use pagepress_codec::DecodeError as E;
        match r {
            Ok(()) => OK,
            Err(E::Truncated) => TRUNCATED,
            Err(E::BadMagic) => BAD_MAGIC,
            Err(E::Unsupported(_)) => UNSUPPORTED,
            Err(E::Corrupt(_)) => CORRUPT,
            Err(E::SizeMismatch) => SIZE_MISMATCH,
            Err(E::TrailingData) => TRAILING_DATA,
        }
    }
}

/// Bytes of input the core stores (1024 words of 8 bytes).
pub const INPUT_CAPACITY: usize = 8192;

// FSM states. The `state` register is 32 bits wide and compared with bare
// (32-bit) literals: rust-hdl's enum-typed DFFs do not lint clean.
//    0 Load
//    1 Hdr0
//    2 Hdr1
//    3 Hdr2
//    4 Hdr
//    5 LitHdr
//    6 RleFill
//    7 SeqHdr0
//    8 SeqHdr1
//    9 SeqHdr2
//   10 SeqHdr
//   11 SeqModes
//   12 LastByte
//   13 Win0
//   14 Win1
//   15 Win2
//   16 Read
//   17 Refill
//   18 RawRead
//   19 Resolve
//   20 MatchCheck
//   21 RawRun
//   22 EndCheck
//   23 CopyPrime
//   24 CopyRun
//   25 Finish
//   26 Done

/// The decompressor core. See the module documentation for ports and timing.
#[derive(LogicBlock)]
pub struct Decompressor {
    pub clock: Signal<In, Clock>,
    pub in_valid: Signal<In, bool>,
    pub in_ready: Signal<Out, bool>,
    pub in_data: Signal<In, Bits<64>>,
    pub in_bytes: Signal<In, Bits<4>>,
    pub in_last: Signal<In, bool>,
    pub out_valid: Signal<Out, bool>,
    pub out_data: Signal<Out, Bits<64>>,
    pub done: Signal<Out, bool>,
    pub status: Signal<Out, Bits<8>>,

    // Memories and tables.
    inbuf: RAM<Bits<64>, 10>,
    hist: RAM<Bits<8>, 12>,
    fse_ll: FseRom,
    fse_of: FseRom,
    fse_ml: FseRom,
    code_ll: CodeRom,
    code_ml: CodeRom,
    ext_in_bytes: ZeroExtend<4, 32>,
    ext_word: ZeroExtend<64, 128>,
    ext_byte: ZeroExtend<8, 64>,
    ext_rle: ZeroExtend<8, 64>,
    ext_last: ZeroExtend<8, 32>,
    ext_of: ZeroExtend<6, 32>,
    ext_t: ZeroExtend<6, 7>,
    ext_p: ZeroExtend<3, 7>,

    // Constants.
    addr0: Constant<Bits<10>>,
    c65: Constant<Bits<7>>,
    one6: Constant<Bits<6>>,
    magic: Constant<Bits<32>>,
    addr1: Constant<Bits<10>>,
    st_ok: Constant<Bits<8>>,
    st_truncated: Constant<Bits<8>>,
    st_bad_magic: Constant<Bits<8>>,
    st_unsupported: Constant<Bits<8>>,
    st_corrupt: Constant<Bits<8>>,
    st_size: Constant<Bits<8>>,
    st_trailing: Constant<Bits<8>>,

    // Control.
    /// FSM state (numbers listed above).
    state: DFF<Bits<32>>,
    cp_ret: DFF<Bits<32>>,
    status_q: DFF<Bits<8>>,
    done_q: DFF<bool>,
    // Load.
    len: DFF<Bits<32>>,
    widx: DFF<Bits<32>>,
    // Header words / parsed fields.
    w0: DFF<Bits<64>>,
    w1: DFF<Bits<64>>,
    blk_size: DFF<Bits<32>>,
    frame_end: DFF<Bits<32>>,
    rle_byte: DFF<Bits<8>>,
    nlit: DFF<Bits<32>>,
    lit_base: DFF<Bits<32>>,
    restlen: DFF<Bits<32>>,
    seqhdr_pos: DFF<Bits<32>>,
    nseq: DFF<Bits<32>>,
    sh: DFF<Bits<32>>,
    stream_start: DFF<Bits<32>>,
    // Bit reader.
    win: DFF<Bits<128>>,
    bitpos: DFF<Bits<32>>,
    pos: DFF<Bits<32>>,
    field: DFF<Bits<32>>,
    // FSE states and sequence values.
    ll_state: DFF<Bits<6>>,
    of_state: DFF<Bits<6>>,
    ml_state: DFF<Bits<6>>,
    ofv: DFF<Bits<32>>,
    ml: DFF<Bits<32>>,
    ll: DFF<Bits<32>>,
    offset: DFF<Bits<32>>,
    rep0: DFF<Bits<32>>,
    rep1: DFF<Bits<32>>,
    rep2: DFF<Bits<32>>,
    seq_idx: DFF<Bits<32>>,
    // Output and copy engine.
    op: DFF<Bits<32>>,
    lp: DFF<Bits<32>>,
    cp_src: DFF<Bits<32>>,
    cp_left: DFF<Bits<32>>,
    cp_match: DFF<bool>,
    lane: DFF<Bits<32>>,
    fwd_hit: DFF<bool>,
    fwd_data: DFF<Bits<8>>,
    obuf: DFF<Bits<64>>,
    ovalid: DFF<bool>,
    odata: DFF<Bits<64>>,

    // Combinational scratch.
    nbits: Signal<Local, Bits<32>>,
    shift7: Signal<Local, Bits<7>>,
    v3: Signal<Local, Bits<32>>,
    v2: Signal<Local, Bits<32>>,
    s3: Signal<Local, Bits<7>>,
    s2: Signal<Local, Bits<7>>,
    n3: Signal<Local, Bits<32>>,
    n2: Signal<Local, Bits<32>>,
    n1: Signal<Local, Bits<32>>,
    value: Signal<Local, Bits<32>>,
    sum: Signal<Local, Bits<32>>,
    new_bitpos: Signal<Local, Bits<32>>,
    next_field: Signal<Local, Bits<32>>,
    x32: Signal<Local, Bits<32>>,
    hb: Signal<Local, Bits<32>>,
    idx: Signal<Local, Bits<32>>,
    ebyte: Signal<Local, Bits<8>>,
    emit: Signal<Local, bool>,
    wide: Signal<Local, Bits<64>>,
}

impl Default for Decompressor {
    fn default() -> Self {
        let c = |v: u8| Constant::new(Bits::<8>::from(v as u64));
        Self {
            clock: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_data: Default::default(),
            in_bytes: Default::default(),
            in_last: Default::default(),
            out_valid: Default::default(),
            out_data: Default::default(),
            done: Default::default(),
            status: Default::default(),
            inbuf: Default::default(),
            hist: Default::default(),
            fse_ll: FseRom::new(ll_table()),
            fse_of: FseRom::new(of_table()),
            fse_ml: FseRom::new(ml_table()),
            code_ll: CodeRom::literal_lengths(),
            code_ml: CodeRom::match_lengths(),
            ext_in_bytes: Default::default(),
            ext_word: Default::default(),
            ext_byte: Default::default(),
            ext_rle: Default::default(),
            ext_last: Default::default(),
            ext_of: Default::default(),
            ext_t: Default::default(),
            ext_p: Default::default(),
            addr0: Constant::new(Bits::<10>::from(0u64)),
            c65: Constant::new(Bits::<7>::from(65u64)),
            one6: Constant::new(Bits::<6>::from(1u64)),
            magic: Constant::new(Bits::<32>::from(pagepress_abi::format::ZSTD_MAGIC as u64)),
            addr1: Constant::new(Bits::<10>::from(1u64)),
            st_ok: c(status::OK),
            st_truncated: c(status::TRUNCATED),
            st_bad_magic: c(status::BAD_MAGIC),
            st_unsupported: c(status::UNSUPPORTED),
            st_corrupt: c(status::CORRUPT),
            st_size: c(status::SIZE_MISMATCH),
            st_trailing: c(status::TRAILING_DATA),
            state: Default::default(),
            cp_ret: Default::default(),
            status_q: Default::default(),
            done_q: Default::default(),
            len: Default::default(),
            widx: Default::default(),
            w0: Default::default(),
            w1: Default::default(),
            blk_size: Default::default(),
            frame_end: Default::default(),
            rle_byte: Default::default(),
            nlit: Default::default(),
            lit_base: Default::default(),
            restlen: Default::default(),
            seqhdr_pos: Default::default(),
            nseq: Default::default(),
            sh: Default::default(),
            stream_start: Default::default(),
            win: Default::default(),
            bitpos: Default::default(),
            pos: Default::default(),
            field: Default::default(),
            ll_state: Default::default(),
            of_state: Default::default(),
            ml_state: Default::default(),
            ofv: Default::default(),
            ml: Default::default(),
            ll: Default::default(),
            offset: Default::default(),
            rep0: Default::default(),
            rep1: Default::default(),
            rep2: Default::default(),
            seq_idx: Default::default(),
            op: Default::default(),
            lp: Default::default(),
            cp_src: Default::default(),
            cp_left: Default::default(),
            cp_match: Default::default(),
            lane: Default::default(),
            fwd_hit: Default::default(),
            fwd_data: Default::default(),
            obuf: Default::default(),
            ovalid: Default::default(),
            odata: Default::default(),
            nbits: Default::default(),
            shift7: Default::default(),
            v3: Default::default(),
            v2: Default::default(),
            s3: Default::default(),
            s2: Default::default(),
            n3: Default::default(),
            n2: Default::default(),
            n1: Default::default(),
            value: Default::default(),
            sum: Default::default(),
            new_bitpos: Default::default(),
            next_field: Default::default(),
            x32: Default::default(),
            hb: Default::default(),
            idx: Default::default(),
            ebyte: Default::default(),
            emit: Default::default(),
            wide: Default::default(),
        }
    }
}

// The if-chains mirror the reference decoder's checks one branch per check, in
// its order (several checks share an error class).
#[allow(clippy::if_same_then_else)]
impl Logic for Decompressor {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            cp_ret,
            status_q,
            done_q,
            len,
            widx,
            w0,
            w1,
            blk_size,
            frame_end,
            rle_byte,
            nlit,
            lit_base,
            restlen,
            seqhdr_pos,
            nseq,
            sh,
            stream_start,
            win,
            bitpos,
            pos,
            field,
            ll_state,
            of_state,
            ml_state,
            ofv,
            ml,
            ll,
            offset,
            rep0,
            rep1,
            rep2,
            seq_idx,
            op,
            lp,
            cp_src,
            cp_left,
            cp_match,
            lane,
            fwd_hit,
            fwd_data,
            obuf,
            ovalid,
            odata
        );
        self.inbuf.read_clock.next = self.clock.val();
        self.inbuf.write_clock.next = self.clock.val();
        self.hist.read_clock.next = self.clock.val();
        self.hist.write_clock.next = self.clock.val();

        // Defaults.
        self.inbuf.write_enable.next = false;
        self.inbuf.write_address.next = self.widx.q.val().get_bits::<10>(0);
        self.inbuf.write_data.next = self.in_data.val();
        self.inbuf.read_address.next = self.widx.q.val().get_bits::<10>(0);
        self.hist.write_enable.next = false;
        self.hist.write_address.next = self.op.q.val().get_bits::<12>(0);
        self.hist.read_address.next = self.cp_src.q.val().get_bits::<12>(0);
        self.fse_ll.state.next = self.ll_state.q.val();
        self.fse_of.state.next = self.of_state.q.val();
        self.fse_ml.state.next = self.ml_state.q.val();
        self.code_ll.code.next = self.fse_ll.symbol.val();
        self.code_ml.code.next = self.fse_ml.symbol.val();
        self.ext_of.inp.next = self.fse_of.symbol.val();
        self.ext_t.inp.next = self.bitpos.q.val().get_bits::<6>(0) - self.one6.val();
        self.ext_p.inp.next = self.seqhdr_pos.q.val().get_bits::<3>(0);
        self.shift7.next = self.c65.val();
        self.s2.next = self.c65.val();
        self.s3.next = self.c65.val();
        self.n1.next = 0.into();
        self.n2.next = 0.into();
        self.n3.next = 0.into();
        self.v2.next = 0.into();
        self.v3.next = 0.into();
        self.ext_in_bytes.inp.next = self.in_bytes.val();
        self.ext_word.inp.next = self.inbuf.read_data.val();
        self.ext_rle.inp.next = self.rle_byte.q.val();
        self.ext_last.inp.next = self
            .inbuf
            .read_data
            .val()
            .get_bits::<8>(self.lane.q.val().index());
        self.ovalid.d.next = false;
        self.done_q.d.next = false;
        self.emit.next = false;
        self.ebyte.next = self
            .inbuf
            .read_data
            .val()
            .get_bits::<8>(self.lane.q.val().index());
        self.wide.next = self.obuf.q.val();
        self.nbits.next = 0.into();
        self.value.next = 0.into();
        self.sum.next = 0.into();
        self.new_bitpos.next = self.bitpos.q.val();
        self.next_field.next = self.field.q.val() + 1;
        self.x32.next = 0.into();
        self.hb.next = 0.into();
        self.idx.next = 0.into();

        match self.state.q.val().index() {
            0 => {
                // Load
                if self.in_valid.val() {
                    if self.widx.q.val() < 1024 {
                        self.inbuf.write_enable.next = true;
                    }
                    self.widx.d.next = self.widx.q.val() + 1;
                    if self.len.q.val() < 0x10000 {
                        self.len.d.next = self.len.q.val() + self.ext_in_bytes.out.val();
                    }
                    if self.in_last.val() {
                        self.state.d.next = 1.into(); // Hdr0
                    }
                }
            }
            1 => {
                // Hdr0
                self.inbuf.read_address.next = self.addr0.val();
                self.op.d.next = 0.into();
                self.lp.d.next = 0.into();
                self.seq_idx.d.next = 0.into();
                self.rep0.d.next = 1.into();
                self.rep1.d.next = 4.into();
                self.rep2.d.next = 8.into();
                self.state.d.next = 2.into(); // Hdr1
            }
            2 => {
                // Hdr1
                self.inbuf.read_address.next = self.addr1.val();
                self.w0.d.next = self.inbuf.read_data.val();
                self.state.d.next = 3.into(); // Hdr2
            }
            3 => {
                // Hdr2
                self.w1.d.next = self.inbuf.read_data.val();
                self.state.d.next = 4.into(); // Hdr
            }
            4 => {
                // Hdr
                // x32 = bytes 4..7; sum = block size; idx = block type.
                self.x32.next = self.w0.q.val().get_bits::<32>(32);
                self.sum.next =
                    ((self.w1.q.val().get_bits::<32>(0) & 0xFFFF) << 5) | (self.x32.val() >> 27);
                self.idx.next = (self.x32.val() >> 25) & 3;
                self.blk_size.d.next = self.sum.val();
                self.rle_byte.d.next = self.w1.q.val().get_bits::<8>(16);
                self.state.d.next = 26.into(); // Done
                if self.len.q.val() < 4 {
                    self.status_q.d.next = self.st_truncated.val();
                } else if self.w0.q.val().get_bits::<32>(0) != self.magic.val() {
                    self.status_q.d.next = self.st_bad_magic.val();
                } else if self.len.q.val() < 10 {
                    self.status_q.d.next = self.st_truncated.val();
                } else if (self.x32.val() & 0xFF) != 0x60 {
                    self.status_q.d.next = self.st_unsupported.val();
                } else if ((self.x32.val() >> 8) & 0xFFFF) != 0x0F00 {
                    self.status_q.d.next = self.st_unsupported.val();
                } else if (self.x32.val() & 0x0100_0000) == 0 {
                    self.status_q.d.next = self.st_unsupported.val();
                } else if self.idx.val() == 0 {
                    // Raw block.
                    if self.sum.val() != 4096 {
                        self.status_q.d.next = self.st_size.val();
                    } else if self.len.q.val() < 4106 {
                        self.status_q.d.next = self.st_truncated.val();
                    } else {
                        // Streamed at 8 bytes per cycle from word 1 (in w1) on.
                        self.frame_end.d.next = 4106.into();
                        self.cp_src.d.next = 2.into();
                        self.state.d.next = 18.into(); // RawRead
                    }
                } else if self.idx.val() == 1 {
                    // RLE block.
                    if self.sum.val() != 4096 {
                        self.status_q.d.next = self.st_size.val();
                    } else if self.len.q.val() < 11 {
                        self.status_q.d.next = self.st_truncated.val();
                    } else {
                        self.frame_end.d.next = 11.into();
                        self.state.d.next = 6.into(); // RleFill
                    }
                } else if self.idx.val() == 2 {
                    if self.sum.val() > 4096 {
                        self.status_q.d.next = self.st_corrupt.val();
                    } else if self.sum.val() + 10 > self.len.q.val() {
                        self.status_q.d.next = self.st_truncated.val();
                    } else {
                        self.frame_end.d.next = self.sum.val() + 10;
                        self.state.d.next = 5.into(); // LitHdr
                    }
                } else {
                    self.status_q.d.next = self.st_corrupt.val();
                }
            }
            5 => {
                // LitHdr
                // x32 = body bytes 0..3 (frame bytes 10..13).
                self.x32.next = self.w1.q.val().get_bits::<32>(16);
                self.idx.next = (self.x32.val() >> 2) & 3;
                self.state.d.next = 26.into(); // Done
                if self.blk_size.q.val() == 0 {
                    self.status_q.d.next = self.st_truncated.val();
                } else if (self.x32.val() & 3) != 0 {
                    self.status_q.d.next = self.st_unsupported.val();
                } else if (self.idx.val() == 1) & (self.blk_size.q.val() < 2) {
                    self.status_q.d.next = self.st_truncated.val();
                } else if (self.idx.val() == 3) & (self.blk_size.q.val() < 3) {
                    self.status_q.d.next = self.st_truncated.val();
                } else {
                    // sum = nlit, hb = header length
                    if self.idx.val() == 1 {
                        self.sum.next = (self.x32.val() >> 4) & 0xFFF;
                        self.hb.next = 2.into();
                    } else if self.idx.val() == 3 {
                        self.sum.next = (self.x32.val() >> 4) & 0xF_FFFF;
                        self.hb.next = 3.into();
                    } else {
                        self.sum.next = (self.x32.val() >> 3) & 0x1F;
                        self.hb.next = 1.into();
                    }
                    self.nlit.d.next = self.sum.val();
                    self.lit_base.d.next = self.hb.val() + 10;
                    self.seqhdr_pos.d.next = self.hb.val() + self.sum.val() + 10;
                    self.restlen.d.next = self.blk_size.q.val() - self.hb.val() - self.sum.val();
                    if self.sum.val() > 4096 {
                        self.status_q.d.next = self.st_corrupt.val();
                    } else if self.hb.val() + self.sum.val() >= self.blk_size.q.val() {
                        // Literals past the block, or no sequences header.
                        self.status_q.d.next = self.st_corrupt.val();
                    } else {
                        self.state.d.next = 7.into(); // SeqHdr0
                    }
                }
            }
            6 => {
                // RleFill
                self.wide.next = self.ext_rle.out.val();
                self.ovalid.d.next = true;
                self.odata.d.next = self.wide.val()
                    | (self.wide.val() << 8)
                    | (self.wide.val() << 16)
                    | (self.wide.val() << 24)
                    | (self.wide.val() << 32)
                    | (self.wide.val() << 40)
                    | (self.wide.val() << 48)
                    | (self.wide.val() << 56);
                self.op.d.next = self.op.q.val() + 8;
                if self.op.q.val() == 4088 {
                    self.state.d.next = 25.into(); // Finish
                }
            }
            7 => {
                // SeqHdr0
                // Read the word above first: the window is {upper, lower}.
                self.sum.next = (self.seqhdr_pos.q.val() >> 3) + 1;
                self.inbuf.read_address.next = self.sum.val().get_bits::<10>(0);
                self.state.d.next = 8.into(); // SeqHdr1
            }
            8 => {
                // SeqHdr1
                self.sum.next = self.seqhdr_pos.q.val() >> 3;
                self.inbuf.read_address.next = self.sum.val().get_bits::<10>(0);
                self.win.d.next = (self.win.q.val() << 64) | self.ext_word.out.val();
                self.state.d.next = 9.into(); // SeqHdr2
            }
            9 => {
                // SeqHdr2
                self.win.d.next = (self.win.q.val() << 64) | self.ext_word.out.val();
                self.state.d.next = 10.into(); // SeqHdr
            }
            10 => {
                // SeqHdr
                self.shift7.next = self.ext_p.out.val() << 3;
                self.x32.next = self.win.q.val().get_bits::<32>(self.shift7.val().index());
                self.idx.next = self.x32.val() & 0xFF;
                // sum = nseq, hb = sh
                if self.idx.val() < 128 {
                    self.sum.next = self.idx.val();
                    self.hb.next = 1.into();
                } else if self.idx.val() < 255 {
                    self.sum.next = ((self.idx.val() - 128) << 8) + ((self.x32.val() >> 8) & 0xFF);
                    self.hb.next = 2.into();
                } else {
                    self.sum.next = ((self.x32.val() >> 8) & 0xFFFF) + 0x7F00;
                    self.hb.next = 3.into();
                }
                self.nseq.d.next = self.sum.val();
                self.sh.d.next = self.hb.val();
                self.state.d.next = 26.into(); // Done
                if (self.hb.val() > 1) & (self.restlen.q.val() < self.hb.val()) {
                    self.status_q.d.next = self.st_truncated.val();
                } else if self.sum.val() == 0 {
                    if self.hb.val() != self.restlen.q.val() {
                        self.status_q.d.next = self.st_corrupt.val();
                    } else if self.nlit.q.val() != 4096 {
                        self.status_q.d.next = self.st_size.val();
                    } else {
                        self.cp_src.d.next = self.lit_base.q.val();
                        self.cp_left.d.next = 4096.into();
                        self.cp_match.d.next = false;
                        self.cp_ret.d.next = 25.into(); // Finish
                        self.state.d.next = 23.into(); // CopyPrime
                    }
                } else if self.sum.val() > 4096 {
                    self.status_q.d.next = self.st_corrupt.val();
                } else if self.restlen.q.val() <= self.hb.val() {
                    self.status_q.d.next = self.st_truncated.val();
                } else {
                    self.state.d.next = 11.into(); // SeqModes
                }
            }
            11 => {
                // SeqModes
                self.shift7.next = (self.ext_p.out.val() + self.sh.q.val().get_bits::<7>(0)) << 3;
                self.x32.next = self.win.q.val().get_bits::<32>(self.shift7.val().index());
                self.stream_start.d.next = self.seqhdr_pos.q.val() + self.sh.q.val() + 1;
                // lane = bit offset of the frame's last byte in its word.
                self.lane.d.next = ((self.frame_end.q.val() - 1) & 7) << 3;
                self.sum.next = (self.frame_end.q.val() - 1) >> 3;
                self.inbuf.read_address.next = self.sum.val().get_bits::<10>(0);
                self.state.d.next = 26.into(); // Done
                if (self.x32.val() & 0xFF) != 0 {
                    self.status_q.d.next = self.st_unsupported.val();
                } else if self.restlen.q.val() == self.sh.q.val() + 1 {
                    self.status_q.d.next = self.st_corrupt.val();
                } else {
                    self.state.d.next = 12.into(); // LastByte
                }
            }
            12 => {
                // LastByte
                // The last byte is on ext_last (selected by lane).
                self.x32.next = self.ext_last.out.val();
                if self.x32.val().get_bit(7) {
                    self.hb.next = 7.into();
                } else if self.x32.val().get_bit(6) {
                    self.hb.next = 6.into();
                } else if self.x32.val().get_bit(5) {
                    self.hb.next = 5.into();
                } else if self.x32.val().get_bit(4) {
                    self.hb.next = 4.into();
                } else if self.x32.val().get_bit(3) {
                    self.hb.next = 3.into();
                } else if self.x32.val().get_bit(2) {
                    self.hb.next = 2.into();
                } else if self.x32.val().get_bit(1) {
                    self.hb.next = 1.into();
                } else {
                    self.hb.next = 0.into();
                }
                self.sum.next = ((self.frame_end.q.val() - 1) << 3) + self.hb.val();
                self.bitpos.d.next = self.sum.val();
                self.pos.d.next = self.sum.val() - (self.stream_start.q.val() << 3);
                if self.x32.val() == 0 {
                    self.status_q.d.next = self.st_corrupt.val();
                    self.state.d.next = 26.into(); // Done
                } else {
                    self.state.d.next = 13.into(); // Win0
                }
            }
            13 => {
                // Win0
                self.sum.next = (self.bitpos.q.val() - 1) >> 6;
                self.inbuf.read_address.next = self.sum.val().get_bits::<10>(0);
                self.state.d.next = 14.into(); // Win1
            }
            14 => {
                // Win1
                self.sum.next = ((self.bitpos.q.val() - 1) >> 6) - 1;
                self.inbuf.read_address.next = self.sum.val().get_bits::<10>(0);
                self.win.d.next = (self.win.q.val() << 64) | self.ext_word.out.val();
                self.state.d.next = 15.into(); // Win2
            }
            15 => {
                // Win2
                self.win.d.next = (self.win.q.val() << 64) | self.ext_word.out.val();
                self.field.d.next = 0.into();
                self.state.d.next = 16.into(); // Read
            }
            16 => {
                // Read: three fields per cycle, the first from the highest bits.
                // field 0: LL, OF, ML initial states (6, 5, 6 bits);
                // field 3: OF value, ML extra, LL extra bits;
                // field 6: LL, ML, OF state updates.
                if self.field.q.val() == 0 {
                    self.n1.next = 6.into();
                    self.n2.next = 5.into();
                    self.n3.next = 6.into();
                } else if self.field.q.val() == 3 {
                    self.n1.next = self.ext_of.out.val();
                    self.n2.next = self.code_ml.extra.val();
                    self.n3.next = self.code_ll.extra.val();
                } else {
                    self.n1.next = self.fse_ll.nb.val();
                    self.n2.next = self.fse_ml.nb.val();
                    self.n3.next = self.fse_of.nb.val();
                }
                self.nbits.next = self.n1.val() + self.n2.val() + self.n3.val();
                // The window holds input bits [base, base + 128) with
                // base = 64 * (word(bitpos - 1) - 1); at most 57 bits are read.
                self.shift7.next =
                    self.ext_t.out.val() + self.c65.val() - self.n1.val().get_bits::<7>(0);
                self.s2.next = self.shift7.val() - self.n2.val().get_bits::<7>(0);
                self.s3.next = self.s2.val() - self.n3.val().get_bits::<7>(0);
                self.value.next = self.win.q.val().get_bits::<32>(self.shift7.val().index())
                    & ((bits::<32>(1) << self.n1.val()) - 1);
                self.v2.next = self.win.q.val().get_bits::<32>(self.s2.val().index())
                    & ((bits::<32>(1) << self.n2.val()) - 1);
                self.v3.next = self.win.q.val().get_bits::<32>(self.s3.val().index())
                    & ((bits::<32>(1) << self.n3.val()) - 1);
                self.new_bitpos.next = self.bitpos.q.val() - self.nbits.val();
                self.bitpos.d.next = self.new_bitpos.val();
                self.pos.d.next = self.pos.q.val() - self.nbits.val();
                if self.field.q.val() == 0 {
                    self.next_field.next = 3.into();
                    self.ll_state.d.next = self.value.val().get_bits::<6>(0);
                    self.of_state.d.next = self.v2.val().get_bits::<6>(0);
                    self.ml_state.d.next = self.v3.val().get_bits::<6>(0);
                } else if self.field.q.val() == 3 {
                    if self.seq_idx.q.val() + 1 == self.nseq.q.val() {
                        self.next_field.next = 9.into();
                    } else {
                        self.next_field.next = 6.into();
                    }
                    self.ofv.d.next = (bits::<32>(1) << self.n1.val()) + self.value.val();
                    self.ml.d.next = self.code_ml.baseline.val() + self.v2.val();
                    self.ll.d.next = self.code_ll.baseline.val() + self.v3.val();
                } else {
                    self.next_field.next = 9.into();
                    self.sum.next = self.fse_ll.base.val() + self.value.val();
                    self.ll_state.d.next = self.sum.val().get_bits::<6>(0);
                    self.sum.next = self.fse_ml.base.val() + self.v2.val();
                    self.ml_state.d.next = self.sum.val().get_bits::<6>(0);
                    self.sum.next = self.fse_of.base.val() + self.v3.val();
                    self.of_state.d.next = self.sum.val().get_bits::<6>(0);
                }
                self.field.d.next = self.next_field.val();
                // Next state.
                self.idx.next = ((self.new_bitpos.val() - 1) >> 6) - 1;
                self.inbuf.read_address.next = self.idx.val().get_bits::<10>(0);
                if (self.field.q.val() == 3) & (self.ext_of.out.val() > 25) {
                    self.status_q.d.next = self.st_corrupt.val();
                    self.state.d.next = 26.into(); // Done
                } else if self.nbits.val() > self.pos.q.val() {
                    self.status_q.d.next = self.st_corrupt.val();
                    self.state.d.next = 26.into(); // Done
                } else if ((self.new_bitpos.val() - 1) >> 6) != ((self.bitpos.q.val() - 1) >> 6) {
                    self.win.d.next = self.win.q.val() << 64;
                    self.state.d.next = 17.into(); // Refill
                } else if self.next_field.val() == 9 {
                    self.state.d.next = 19.into(); // Resolve
                } else {
                    self.state.d.next = 16.into(); // Read
                }
            }
            17 => {
                // Refill
                self.win.d.next = self.win.q.val() | self.ext_word.out.val();
                if self.field.q.val() == 9 {
                    self.state.d.next = 19.into(); // Resolve
                } else {
                    self.state.d.next = 16.into(); // Read
                }
            }
            19 => {
                // Resolve
                self.field.d.next = 3.into();
                // offset -> sum
                if self.ofv.q.val() > 3 {
                    self.sum.next = self.ofv.q.val() - 3;
                    self.rep0.d.next = self.sum.val();
                    self.rep1.d.next = self.rep0.q.val();
                    self.rep2.d.next = self.rep1.q.val();
                } else {
                    self.idx.next = self.ofv.q.val() - 1;
                    if self.ll.q.val() == 0 {
                        self.idx.next = self.ofv.q.val();
                    }
                    if self.idx.val() == 0 {
                        self.sum.next = self.rep0.q.val();
                    } else if self.idx.val() == 1 {
                        self.sum.next = self.rep1.q.val();
                        self.rep0.d.next = self.rep1.q.val();
                        self.rep1.d.next = self.rep0.q.val();
                    } else if self.idx.val() == 2 {
                        self.sum.next = self.rep2.q.val();
                        self.rep0.d.next = self.rep2.q.val();
                        self.rep1.d.next = self.rep0.q.val();
                        self.rep2.d.next = self.rep1.q.val();
                    } else {
                        self.sum.next = self.rep0.q.val() - 1;
                        self.rep0.d.next = self.sum.val();
                        self.rep1.d.next = self.rep0.q.val();
                        self.rep2.d.next = self.rep1.q.val();
                    }
                }
                self.offset.d.next = self.sum.val();
                self.lp.d.next = self.lp.q.val() + self.ll.q.val();
                // Issue the first literal read (used when ll > 0).
                self.x32.next = self.lit_base.q.val() + self.lp.q.val();
                self.inbuf.read_address.next = self.x32.val().get_bits::<10>(3);
                self.lane.d.next = (self.x32.val() & 7) << 3;
                self.fwd_hit.d.next = false;
                self.cp_src.d.next = self.x32.val() + 1;
                self.cp_left.d.next = self.ll.q.val();
                self.cp_match.d.next = false;
                self.cp_ret.d.next = 20.into(); // MatchCheck
                if self.sum.val() == 0 {
                    self.status_q.d.next = self.st_corrupt.val();
                    self.state.d.next = 26.into(); // Done
                } else if self.ll.q.val() > self.nlit.q.val() - self.lp.q.val() {
                    self.status_q.d.next = self.st_corrupt.val();
                    self.state.d.next = 26.into(); // Done
                } else if self.ll.q.val() + self.ml.q.val() > 4096 - self.op.q.val() {
                    self.status_q.d.next = self.st_corrupt.val();
                    self.state.d.next = 26.into(); // Done
                } else if self.ll.q.val() == 0 {
                    self.state.d.next = 20.into(); // MatchCheck
                } else {
                    self.state.d.next = 24.into(); // CopyRun
                }
            }
            20 => {
                // MatchCheck; issues the match's first history read.
                self.sum.next = self.op.q.val() - self.offset.q.val();
                self.hist.read_address.next = self.sum.val().get_bits::<12>(0);
                self.fwd_hit.d.next = false;
                self.cp_src.d.next = self.sum.val() + 1;
                self.cp_left.d.next = self.ml.q.val();
                self.cp_match.d.next = true;
                if self.offset.q.val() > self.op.q.val() {
                    self.status_q.d.next = self.st_corrupt.val();
                    self.state.d.next = 26.into(); // Done
                } else {
                    self.state.d.next = 24.into(); // CopyRun
                }
            }
            22 => {
                // EndCheck
                self.sum.next = self.nlit.q.val() - self.lp.q.val();
                self.cp_src.d.next = self.lit_base.q.val() + self.lp.q.val();
                self.cp_left.d.next = self.sum.val();
                self.cp_match.d.next = false;
                self.cp_ret.d.next = 25.into(); // Finish
                if self.pos.q.val() != 0 {
                    self.status_q.d.next = self.st_corrupt.val();
                    self.state.d.next = 26.into(); // Done
                } else if self.op.q.val() + self.sum.val() != 4096 {
                    self.status_q.d.next = self.st_size.val();
                    self.state.d.next = 26.into(); // Done
                } else if self.sum.val() == 0 {
                    self.state.d.next = 25.into(); // Finish
                } else {
                    self.state.d.next = 23.into(); // CopyPrime
                }
            }
            23 => {
                // CopyPrime
                // Issue the first read.
                self.inbuf.read_address.next = self.cp_src.q.val().get_bits::<10>(3);
                self.lane.d.next = (self.cp_src.q.val() & 7) << 3;
                self.fwd_hit.d.next = false;
                self.cp_src.d.next = self.cp_src.q.val() + 1;
                self.state.d.next = 24.into(); // CopyRun
            }
            24 => {
                // CopyRun
                if self.cp_match.q.val() {
                    if self.fwd_hit.q.val() {
                        self.ebyte.next = self.fwd_data.q.val();
                    } else {
                        self.ebyte.next = self.hist.read_data.val();
                    }
                }
                self.emit.next = true;
                self.cp_left.d.next = self.cp_left.q.val() - 1;
                // Next read (harmless after the last byte).
                self.inbuf.read_address.next = self.cp_src.q.val().get_bits::<10>(3);
                self.lane.d.next = (self.cp_src.q.val() & 7) << 3;
                self.fwd_hit.d.next =
                    self.cp_src.q.val().get_bits::<12>(0) == self.op.q.val().get_bits::<12>(0);
                self.fwd_data.d.next = self.ebyte.val();
                self.cp_src.d.next = self.cp_src.q.val() + 1;
                if self.cp_left.q.val() == 1 {
                    if self.cp_match.q.val() {
                        // End of a sequence.
                        self.seq_idx.d.next = self.seq_idx.q.val() + 1;
                        self.field.d.next = 3.into();
                        if self.seq_idx.q.val() + 1 == self.nseq.q.val() {
                            self.state.d.next = 22.into(); // EndCheck
                        } else {
                            self.state.d.next = 16.into(); // Read
                        }
                    } else {
                        self.state.d.next = self.cp_ret.q.val();
                    }
                }
            }
            25 => {
                // Finish
                if self.len.q.val() != self.frame_end.q.val() {
                    self.status_q.d.next = self.st_trailing.val();
                } else {
                    self.status_q.d.next = self.st_ok.val();
                }
                self.state.d.next = 26.into(); // Done
            }
            18 => {
                // RawRead: the first word after w1.
                self.inbuf.read_address.next = self.cp_src.q.val().get_bits::<10>(0);
                self.cp_src.d.next = self.cp_src.q.val() + 1;
                self.state.d.next = 21.into(); // RawRun
            }
            21 => {
                // RawRun: page bytes 8j.. are frame bytes 10 + 8j.., i.e. the
                // top 6 bytes of one word and the low 2 of the next.
                self.wide.next = (self.inbuf.read_data.val() << 48) | (self.w1.q.val() >> 16);
                self.w1.d.next = self.inbuf.read_data.val();
                self.ovalid.d.next = true;
                self.odata.d.next = self.wide.val();
                self.op.d.next = self.op.q.val() + 8;
                self.inbuf.read_address.next = self.cp_src.q.val().get_bits::<10>(0);
                self.cp_src.d.next = self.cp_src.q.val() + 1;
                if self.op.q.val() == 4088 {
                    self.state.d.next = 25.into(); // Finish
                }
            }
            26 => {
                // Done
                self.done_q.d.next = true;
                self.len.d.next = 0.into();
                self.widx.d.next = 0.into();
                self.state.d.next = 0.into(); // Load
            }
            _ => {
                self.state.d.next = 0.into(); // Load
            }
        }

        // Byte emission: history write and output beat assembly.
        self.ext_byte.inp.next = self.ebyte.val();
        if self.emit.val() {
            self.hist.write_enable.next = true;
            self.wide.next = (self.obuf.q.val() >> 8) | (self.ext_byte.out.val() << 56);
            self.obuf.d.next = self.wide.val();
            self.op.d.next = self.op.q.val() + 1;
            if (self.op.q.val() & 7) == 7 {
                self.ovalid.d.next = true;
                self.odata.d.next = self.wide.val();
            }
        }
        self.hist.write_data.next = self.ebyte.val();

        self.in_ready.next = self.state.q.val() == 0;
        self.out_valid.next = self.ovalid.q.val();
        self.out_data.next = self.odata.q.val();
        self.done.next = self.done_q.q.val();
        self.status.next = self.status_q.q.val();
    }
}

/// A connected decompressor ready for simulation or Verilog generation.
pub fn decompressor() -> Decompressor {
    let mut uut = Decompressor::default();
    uut.connect_all();
    uut
}

/// The decompressor's Verilog (module `top`).
pub fn decompressor_verilog() -> String {
    generate_verilog(&decompressor())
}

#[cfg(test)]
mod tests;
