//! The compressor core: one 4 KiB page in, the reference encoder's zstd frame out.
//!
//! [`Compressor`] produces exactly `pagepress_codec::compress_page`'s bytes for every
//! page (RLE frame for a byte-filled page, compressed block with raw literals and
//! predefined-FSE sequences, or raw frame when the compressed block would not be
//! smaller than the page). `docs/rtl-compressor.md` describes the microarchitecture,
//! its cycle counts and what is left for a full 4 bytes/clock.
//!
//! # Ports (module `top` of [`compressor_verilog`]; all signals synchronous to `clock`)
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | the only clock; no reset (registers have initial values) |
//! | `in_data` | in | 64 | page bytes `8i .. 8i+8` of beat `i`, little-endian (byte `8i` in bits 7:0) |
//! | `in_valid` | in | 1 | `in_data` holds the next beat |
//! | `in_ready` | out | 1 | the core takes the beat this clock (`in_valid && in_ready`) |
//! | `out_data` | out | 64 | frame bytes, little-endian (the frame's byte `8j` in bits 7:0 of beat `j`) |
//! | `out_bytes` | out | 4 | valid bytes in this beat: 8, except 1..=8 on the last beat |
//! | `out_last` | out | 1 | this beat ends the frame |
//! | `out_valid` | out | 1 | `out_data`/`out_bytes`/`out_last` hold a beat |
//! | `out_ready` | in | 1 | the consumer takes the beat this clock (`out_valid && out_ready`) |
//! | `frame_len` | out | 16 | total frame bytes (11, 4106, or 10 + compressed block size); valid while `out_valid` |
//! | `frame_kind` | out | 2 | block type of the frame: 0 raw, 1 RLE, 2 compressed; valid while `out_valid` |
//!
//! A page is exactly 512 beats; pages follow each other with no separator and frames
//! come out in page order, one frame per page. After power-up the core clears its hash
//! table (4096 clocks, `in_ready` low). It then takes a page; `in_ready` drops after the
//! page's last beat until the page's match finding is done and the back end (encoding
//! and output) has taken it over, so the next page is loaded and matched while the
//! previous frame is still being encoded and sent. `in_valid` may drop between beats and
//! `out_ready` may stall at any time (`in_ready` does not depend on `out_ready`).

pub mod hash;
pub mod packer;
pub mod page_buffer;
pub mod seq_codes;
pub mod seq_encoder;
pub mod widen;

#[cfg(test)]
mod tests;

use hash::Hash4Unit;
use packer::BytePacker;
use page_buffer::PageBuffer;
use pagepress_abi::format as f;
use rust_hdl::prelude::*;
use seq_encoder::SeqEncoder;
use widen::{Mux2, ZeroExtend};

/// Bytes per input and output beat.
pub const BEAT_BYTES: usize = 8;
/// Input beats per page.
pub const PAGE_BEATS: usize = f::PAGE_SIZE / BEAT_BYTES;
/// Hash-table epochs (6-bit tag, 0 = cleared): a lookup accepts only the current page's.
const EPOCHS: usize = 63;
/// Entries scrubbed (reset to epoch 0) per page, after the page's matching and before
/// the next page's: every entry is reset within `4096 / 68 < EPOCHS - 1` pages, before its
/// epoch comes back.
const SCRUB_PER_PAGE: usize = 68;
const _: () = assert!(f::HASH_ENTRIES.div_ceil(SCRUB_PER_PAGE) < EPOCHS - 1);

// FSM states (`Bits<5>` constants: rust-hdl's enum states do not lint clean).
const S_CLEAR: u64 = 0;
const S_LOAD: u64 = 1;
const S_HASH: u64 = 2;
const S_SELECT: u64 = 3;
const S_EXTEND: u64 = 4;
const S_ENC_START: u64 = 6;
const S_ENC_WAIT: u64 = 7;
const S_DECIDE: u64 = 8;
const S_HDR_BUILD: u64 = 9;
const S_HDR0: u64 = 10;
const S_HDR1: u64 = 11;
const S_COPY: u64 = 14;
const S_SEQ_HDR: u64 = 16;
const S_DRAIN: u64 = 17;
const S_WAIT_WIN: u64 = 18;
const S_HANDOFF: u64 = 19;
const S_TAIL: u64 = 20;
/// The back end's idle state (its own register; 0 is the initial value).
const S_BIDLE: u64 = 0;

fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.to_bits())
}

/// Hash-table entry: `tag[19:0] | step[29:20] | epoch[35:30]` (position = 4 step + bank).
type Entry = Bits<36>;

/// The compressor core. See the module documentation for its ports.
#[derive(LogicBlock)]
pub struct Compressor {
    pub clock: Signal<In, Clock>,
    pub in_data: Signal<In, Bits<64>>,
    pub in_valid: Signal<In, bool>,
    pub in_ready: Signal<Out, bool>,
    pub out_data: Signal<Out, Bits<64>>,
    pub out_bytes: Signal<Out, Bits<4>>,
    pub out_last: Signal<Out, bool>,
    pub out_valid: Signal<Out, bool>,
    pub out_ready: Signal<In, bool>,
    pub frame_len: Signal<Out, Bits<16>>,
    pub frame_kind: Signal<Out, Bits<2>>,
    // Storage.
    /// Two page-buffer sets: the front end loads and matches page N+1 in one while the
    /// back end emits page N from the other. Three copies per set (`pa`, `pb`, `pc`).
    pa: [PageBuffer; 2],
    pb: [PageBuffer; 2],
    /// Third copy per set: the match extension reads `pc` (its side `p`) and `pb`
    /// (side `c`) while the step pipeline reads its windows from `pa`.
    pc: [PageBuffer; 2],
    /// Hash table: `ht[4*lane + bank]`; bank `b` holds the latest position `p = b mod 4`
    /// per hash, replicated once per lookup lane.
    ht: [RAM<Entry, 12>; 16],
    /// Sequence buffers, one per set: the front end writes, the back end's encoder reads.
    seq_ll: [RAM<Bits<16>, 10>; 2],
    seq_ml: [RAM<Bits<16>, 10>; 2],
    seq_ov: [RAM<Bits<16>, 10>; 2],
    sll: Mux2<16>,
    sml: Mux2<16>,
    sov: Mux2<16>,
    /// Literal runs (start, length) in page order, the tail included.
    run_start: [RAM<Bits<16>, 10>; 2],
    run_len: [RAM<Bits<16>, 10>; 2],
    bs: [RAM<Bits<64>, 9>; 2],
    /// Read data of the front end's set (`fa`, `fb`, `fc`) and of the back end's (`ba`,
    /// `bb`, `brs`, `brl`). `fa` is the step windows' first 7 bytes (the four keys).
    fa: Mux2<56>,
    fb: Mux2<64>,
    fc: Mux2<64>,
    ba: Mux2<64>,
    bb: Mux2<64>,
    brs: Mux2<16>,
    brl: Mux2<16>,
    // Units.
    hu: [Hash4Unit; 4],
    enc: SeqEncoder,
    pk: BytePacker,
    cand_x: [ZeroExtend<10, 16>; 16],
    tag_x: [ZeroExtend<20, 36>; 4],
    pos_x: [ZeroExtend<10, 36>; 4],
    epoch_x: ZeroExtend<6, 36>,
    bsize_x: ZeroExtend<16, 64>,
    nlit_x: ZeroExtend<16, 64>,
    fill_x: ZeroExtend<8, 64>,
    nseq_x: ZeroExtend<16, 64>,
    // Registers.
    hsh: [DFF<Bits<12>>; 4],
    tagr: [DFF<Bits<20>>; 4],
    ppos: [DFF<Bits<16>>; 4],
    /// The previous step's inserts, forwarded to this step's lookups: they are written
    /// in the same clock as this step's table reads, which see the old contents.
    prev_hsh: [DFF<Bits<12>>; 4],
    prev_tag: [DFF<Bits<20>>; 4],
    prev_pos: [DFF<Bits<16>>; 4],
    prev_ok: DFF<bool>,
    /// A match is being extended (in parallel with the step pipeline).
    ext_active: DFF<bool>,
    /// Front end's page-buffer set.
    fset: DFF<bool>,
    /// Back end: state and the page's figures handed over by the front end.
    bstate: DFF<Bits<5>>,
    bprimed: DFF<bool>,
    b_filled: DFF<bool>,
    b_fill_byte: DFF<Bits<8>>,
    b_nseq: DFF<Bits<16>>,
    b_sum_ml: DFF<Bits<16>>,
    b_nruns: DFF<Bits<16>>,
    set_id: [Constant<bool>; 2],
    stage_ok: DFF<bool>,
    ctr: DFF<Bits<16>>,
    base: DFF<Bits<16>>,
    cursor: DFF<Bits<16>>,
    lit_start: DFF<Bits<16>>,
    rep0: DFF<Bits<16>>,
    nseq: DFF<Bits<16>>,
    sum_ml: DFF<Bits<16>>,
    mpos: DFF<Bits<16>>,
    mcand: DFF<Bits<16>>,
    mlen: DFF<Bits<16>>,
    flen: DFF<Bits<16>>,
    bsize: DFF<Bits<16>>,
    nlit: DFF<Bits<16>>,
    ri: DFF<Bits<16>>,
    nruns: DFF<Bits<16>>,
    run_pos: DFF<Bits<16>>,
    run_rem: DFF<Bits<16>>,
    state: DFF<Bits<5>>,
    epoch: DFF<Bits<6>>,
    /// The page's beats are being taken (`ctr` counts them).
    loading: DFF<bool>,
    scrub_addr: DFF<Bits<12>>,
    scrub_n: DFF<Bits<16>>,
    filled: DFF<bool>,
    fill_byte: DFF<Bits<8>>,
    primed: DFF<bool>,
    kind: DFF<Bits<2>>,
    lh: DFF<Bits<4>>,
    hdr_lo: DFF<Bits<64>>,
    hdr_hi: DFF<Bits<64>>,
    hdr_n: DFF<Bits<4>>,
    run_src_bs: DFF<bool>,
    run_end: DFF<bool>,
    run_multi: DFF<bool>,
    s_clear: Constant<Bits<5>>,
    s_load: Constant<Bits<5>>,
    s_hash: Constant<Bits<5>>,
    s_select: Constant<Bits<5>>,
    s_extend: Constant<Bits<5>>,
    s_enc_start: Constant<Bits<5>>,
    s_enc_wait: Constant<Bits<5>>,
    s_decide: Constant<Bits<5>>,
    s_hdr_build: Constant<Bits<5>>,
    s_hdr0: Constant<Bits<5>>,
    s_hdr1: Constant<Bits<5>>,
    s_copy: Constant<Bits<5>>,
    s_seq_hdr: Constant<Bits<5>>,
    s_drain: Constant<Bits<5>>,
    s_wait_win: Constant<Bits<5>>,
    s_handoff: Constant<Bits<5>>,
    s_tail: Constant<Bits<5>>,
    s_bidle: Constant<Bits<5>>,
    k0: Constant<Bits<16>>,
    k1: Constant<Bits<16>>,
    k3: Constant<Bits<16>>,
    k4: Constant<Bits<16>>,
    k8: Constant<Bits<16>>,
    k12: Constant<Bits<16>>,
    k16: Constant<Bits<16>>,
    k32: Constant<Bits<16>>,
    k128: Constant<Bits<16>>,
    k511: Constant<Bits<16>>,
    k4092: Constant<Bits<16>>,
    k4095: Constant<Bits<16>>,
    k4096: Constant<Bits<16>>,
    k4106: Constant<Bits<16>>,
    k11: Constant<Bits<16>>,
    k10: Constant<Bits<16>>,
    k2: Constant<Bits<16>>,
    lane16: [Constant<Bits<16>>; 4],
    byte_idx: [Constant<Bits<16>>; 8],
    k4_12: Constant<Bits<12>>,
    k8_12: Constant<Bits<12>>,
    k1_9: Constant<Bits<9>>,
    k1_6: Constant<Bits<6>>,
    k63_6: Constant<Bits<6>>,
    k1_12: Constant<Bits<12>>,
    k512: Constant<Bits<16>>,
    k_scrub: Constant<Bits<16>>,
    k2_4: Constant<Bits<4>>,
    k3_4: Constant<Bits<4>>,
    k8_4: Constant<Bits<4>>,
    k0_20: Constant<Bits<20>>,
    k0_36: Constant<Entry>,
    k4_64: Constant<Bits<64>>,
    k12_64: Constant<Bits<64>>,
    k128_64: Constant<Bits<64>>,
    k255_64: Constant<Bits<64>>,
    kind_raw: Constant<Bits<2>>,
    kind_rle: Constant<Bits<2>>,
    kind_comp: Constant<Bits<2>>,
    frame_hdr: Constant<Bits<64>>,
    bh_rle: Constant<Bits<64>>,
    bh_raw: Constant<Bits<64>>,
    bh_comp: Constant<Bits<64>>,
    // Scratch.
    e_valid: [Signal<Local, bool>; 16],
    e_pos: [Signal<Local, Bits<16>>; 16],
    e_tag: [Signal<Local, Bits<20>>; 16],
    cv: [Signal<Local, bool>; 4],
    cp: [Signal<Local, Bits<16>>; 4],
    ct: [Signal<Local, Bits<20>>; 4],
    hit: [Signal<Local, bool>; 4],
    found: Signal<Local, bool>,
    ok: [Signal<Local, bool>; 8],
    ext_rem: Signal<Local, Bits<16>>,
    ext_n: Signal<Local, Bits<16>>,
    eq_all: Signal<Local, bool>,
    ref_byte: Signal<Local, Bits<8>>,
    filled_new: Signal<Local, bool>,
    cnt: Signal<Local, Bits<16>>,
    fa_pos: Signal<Local, Bits<12>>,
    fb_pos: Signal<Local, Bits<12>>,
    fc_pos: Signal<Local, Bits<12>>,
    known_end: Signal<Local, Bits<16>>,
    cur_eff: Signal<Local, Bits<16>>,
    stall: Signal<Local, bool>,
    ba_pos: Signal<Local, Bits<12>>,
    bs_raddr: Signal<Local, Bits<9>>,
    rl_we: Signal<Local, bool>,
    sq_we: Signal<Local, bool>,
    sq_ov: Signal<Local, Bits<16>>,
    rl_len: Signal<Local, Bits<16>>,
    avail: Signal<Local, Bits<16>>,
    full: Signal<Local, bool>,
    scrubbing: Signal<Local, bool>,
    sel_pos: Signal<Local, Bits<16>>,
    sel_cand: Signal<Local, Bits<16>>,
    fin_len: Signal<Local, Bits<16>>,
    ext_done: Signal<Local, bool>,
    ri_next: Signal<Local, Bits<16>>,
    d_nlit: Signal<Local, Bits<16>>,
    d_lh: Signal<Local, Bits<16>>,
    d_size: Signal<Local, Bits<16>>,
    bh: Signal<Local, Bits<64>>,
}

fn block_header(block_type: u8, size: usize) -> u64 {
    1 | (block_type as u64) << 1 | (size as u64) << 3
}

impl Default for Compressor {
    fn default() -> Self {
        let frame_hdr = f::FRAME_HEADER
            .iter()
            .rev()
            .fold(0u64, |acc, &b| acc << 8 | b as u64);
        Self {
            clock: Default::default(),
            in_data: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            out_data: Default::default(),
            out_bytes: Default::default(),
            out_last: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            frame_len: Default::default(),
            frame_kind: Default::default(),
            pa: Default::default(),
            pb: Default::default(),
            pc: Default::default(),
            ht: Default::default(),
            seq_ll: Default::default(),
            seq_ml: Default::default(),
            seq_ov: Default::default(),
            sll: Default::default(),
            sml: Default::default(),
            sov: Default::default(),
            run_start: Default::default(),
            run_len: Default::default(),
            bs: Default::default(),
            fa: Default::default(),
            fb: Default::default(),
            fc: Default::default(),
            ba: Default::default(),
            bb: Default::default(),
            brs: Default::default(),
            brl: Default::default(),
            hu: Default::default(),
            enc: Default::default(),
            pk: Default::default(),
            cand_x: Default::default(),
            tag_x: Default::default(),
            pos_x: Default::default(),
            epoch_x: Default::default(),
            bsize_x: Default::default(),
            nlit_x: Default::default(),
            fill_x: Default::default(),
            nseq_x: Default::default(),
            hsh: Default::default(),
            tagr: Default::default(),
            ppos: Default::default(),
            prev_hsh: Default::default(),
            prev_tag: Default::default(),
            prev_pos: Default::default(),
            prev_ok: Default::default(),
            ext_active: Default::default(),
            fset: Default::default(),
            bstate: Default::default(),
            bprimed: Default::default(),
            b_filled: Default::default(),
            b_fill_byte: Default::default(),
            b_nseq: Default::default(),
            b_sum_ml: Default::default(),
            b_nruns: Default::default(),
            set_id: [Constant::new(false), Constant::new(true)],
            stage_ok: Default::default(),
            ctr: Default::default(),
            base: Default::default(),
            cursor: Default::default(),
            lit_start: Default::default(),
            rep0: Default::default(),
            nseq: Default::default(),
            sum_ml: Default::default(),
            mpos: Default::default(),
            mcand: Default::default(),
            mlen: Default::default(),
            flen: Default::default(),
            bsize: Default::default(),
            nlit: Default::default(),
            ri: Default::default(),
            nruns: Default::default(),
            run_pos: Default::default(),
            run_rem: Default::default(),
            state: Default::default(),
            epoch: Default::default(),
            loading: Default::default(),
            scrub_addr: Default::default(),
            scrub_n: Default::default(),
            filled: Default::default(),
            fill_byte: Default::default(),
            primed: Default::default(),
            kind: Default::default(),
            lh: Default::default(),
            hdr_lo: Default::default(),
            hdr_hi: Default::default(),
            hdr_n: Default::default(),
            run_src_bs: Default::default(),
            run_end: Default::default(),
            run_multi: Default::default(),
            s_clear: k(S_CLEAR),
            s_load: k(S_LOAD),
            s_hash: k(S_HASH),
            s_select: k(S_SELECT),
            s_extend: k(S_EXTEND),
            s_enc_start: k(S_ENC_START),
            s_enc_wait: k(S_ENC_WAIT),
            s_decide: k(S_DECIDE),
            s_hdr_build: k(S_HDR_BUILD),
            s_hdr0: k(S_HDR0),
            s_hdr1: k(S_HDR1),
            s_copy: k(S_COPY),
            s_seq_hdr: k(S_SEQ_HDR),
            s_drain: k(S_DRAIN),
            s_wait_win: k(S_WAIT_WIN),
            s_handoff: k(S_HANDOFF),
            s_tail: k(S_TAIL),
            s_bidle: k(S_BIDLE),
            k0: k(0),
            k1: k(1),
            k3: k(3),
            k4: k(4),
            k8: k(8),
            k12: k(12),
            k16: k(16),
            k32: k(32),
            k128: k(128),
            k511: k(511),
            k4092: k(4092),
            k4095: k(4095),
            k4096: k(4096),
            k4106: k(f::MAX_FRAME_SIZE as u64),
            k11: k(f::RLE_FRAME_SIZE as u64),
            k10: k((f::FRAME_HEADER_SIZE + f::BLOCK_HEADER_SIZE) as u64),
            k2: k(2),
            lane16: std::array::from_fn(|i| k(i as u64)),
            byte_idx: std::array::from_fn(|i| k(i as u64)),
            k4_12: k(4),
            k8_12: k(8),
            k1_9: k(1),
            k1_6: k(1),
            k63_6: k(EPOCHS as u64),
            k1_12: k(1),
            k512: k(PAGE_BEATS as u64),
            k_scrub: k(SCRUB_PER_PAGE as u64),
            k2_4: k(2),
            k3_4: k(3),
            k8_4: k(8),
            k0_20: k(0),
            k0_36: k(0),
            k4_64: k(4),
            k12_64: k(12),
            k128_64: k(128),
            k255_64: k(255),
            kind_raw: k(f::BLOCK_TYPE_RAW as u64),
            kind_rle: k(f::BLOCK_TYPE_RLE as u64),
            kind_comp: k(f::BLOCK_TYPE_COMPRESSED as u64),
            frame_hdr: k(frame_hdr),
            bh_rle: k(block_header(f::BLOCK_TYPE_RLE, f::PAGE_SIZE)),
            bh_raw: k(block_header(f::BLOCK_TYPE_RAW, f::PAGE_SIZE)),
            bh_comp: k(block_header(f::BLOCK_TYPE_COMPRESSED, 0)),
            e_valid: Default::default(),
            e_pos: Default::default(),
            e_tag: Default::default(),
            cv: Default::default(),
            cp: Default::default(),
            ct: Default::default(),
            hit: Default::default(),
            found: Default::default(),
            ok: Default::default(),
            ext_rem: Default::default(),
            ext_n: Default::default(),
            eq_all: Default::default(),
            ref_byte: Default::default(),
            filled_new: Default::default(),
            cnt: Default::default(),
            fa_pos: Default::default(),
            fb_pos: Default::default(),
            fc_pos: Default::default(),
            known_end: Default::default(),
            cur_eff: Default::default(),
            stall: Default::default(),
            ba_pos: Default::default(),
            bs_raddr: Default::default(),
            rl_we: Default::default(),
            sq_we: Default::default(),
            sq_ov: Default::default(),
            rl_len: Default::default(),
            avail: Default::default(),
            full: Default::default(),
            scrubbing: Default::default(),
            sel_pos: Default::default(),
            sel_cand: Default::default(),
            fin_len: Default::default(),
            ext_done: Default::default(),
            ri_next: Default::default(),
            d_nlit: Default::default(),
            d_lh: Default::default(),
            d_size: Default::default(),
            bh: Default::default(),
        }
    }
}

// The kernel tests the FSM state first and the handshake inside it, one state per
// block, which reads like the state diagram; clippy would merge those `if`s.
#[allow(clippy::collapsible_if)]
impl Logic for Compressor {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, ctr, base, cursor, lit_start, rep0, nseq, sum_ml, mpos, mcand, mlen, flen,
            bsize, nlit, ri, nruns, run_pos, run_rem, state, epoch, loading, scrub_addr, scrub_n,
            filled, fill_byte, primed, kind, lh, hdr_lo, hdr_hi, hdr_n, run_src_bs, run_end,
            run_multi
        );
        for l in 0..4 {
            self.hsh[l].clock.next = self.clock.val();
            self.hsh[l].d.next = self.hsh[l].q.val();
            self.tagr[l].clock.next = self.clock.val();
            self.tagr[l].d.next = self.tagr[l].q.val();
            self.ppos[l].clock.next = self.clock.val();
            self.ppos[l].d.next = self.ppos[l].q.val();
            self.prev_hsh[l].clock.next = self.clock.val();
            self.prev_hsh[l].d.next = self.prev_hsh[l].q.val();
            self.prev_tag[l].clock.next = self.clock.val();
            self.prev_tag[l].d.next = self.prev_tag[l].q.val();
            self.prev_pos[l].clock.next = self.clock.val();
            self.prev_pos[l].d.next = self.prev_pos[l].q.val();
        }
        self.prev_ok.clock.next = self.clock.val();
        self.prev_ok.d.next = self.prev_ok.q.val();
        self.ext_active.clock.next = self.clock.val();
        self.ext_active.d.next = self.ext_active.q.val();
        dff_setup!(
            self,
            clock,
            fset,
            bstate,
            bprimed,
            b_filled,
            b_fill_byte,
            b_nseq,
            b_sum_ml,
            b_nruns
        );
        self.stage_ok.clock.next = self.clock.val();
        self.stage_ok.d.next = self.stage_ok.q.val();
        for st in 0..2 {
            self.pa[st].clock.next = self.clock.val();
            self.pb[st].clock.next = self.clock.val();
            self.pc[st].clock.next = self.clock.val();
            self.bs[st].read_clock.next = self.clock.val();
            self.bs[st].write_clock.next = self.clock.val();
            self.run_start[st].read_clock.next = self.clock.val();
            self.run_start[st].write_clock.next = self.clock.val();
            self.run_len[st].read_clock.next = self.clock.val();
            self.run_len[st].write_clock.next = self.clock.val();
        }
        // Front data from the front end's set, back data from the other.
        self.fa.sel.next = self.fset.q.val();
        self.fa.a.next = self.pa[0].rd_data.val().get_bits::<56>(0);
        self.fa.b.next = self.pa[1].rd_data.val().get_bits::<56>(0);
        self.fb.sel.next = self.fset.q.val();
        self.fb.a.next = self.pb[0].rd_data.val();
        self.fb.b.next = self.pb[1].rd_data.val();
        self.fc.sel.next = self.fset.q.val();
        self.fc.a.next = self.pc[0].rd_data.val();
        self.fc.b.next = self.pc[1].rd_data.val();
        self.ba.sel.next = self.fset.q.val();
        self.ba.a.next = self.pa[1].rd_data.val();
        self.ba.b.next = self.pa[0].rd_data.val();
        self.bb.sel.next = self.fset.q.val();
        self.bb.a.next = self.bs[1].read_data.val();
        self.bb.b.next = self.bs[0].read_data.val();
        self.brs.sel.next = self.fset.q.val();
        self.brs.a.next = self.run_start[1].read_data.val();
        self.brs.b.next = self.run_start[0].read_data.val();
        self.brl.sel.next = self.fset.q.val();
        self.brl.a.next = self.run_len[1].read_data.val();
        self.brl.b.next = self.run_len[0].read_data.val();
        self.enc.clock.next = self.clock.val();
        self.pk.clock.next = self.clock.val();
        for st in 0..2 {
            self.seq_ll[st].read_clock.next = self.clock.val();
            self.seq_ll[st].write_clock.next = self.clock.val();
            self.seq_ml[st].read_clock.next = self.clock.val();
            self.seq_ml[st].write_clock.next = self.clock.val();
            self.seq_ov[st].read_clock.next = self.clock.val();
            self.seq_ov[st].write_clock.next = self.clock.val();
        }
        self.sll.sel.next = self.fset.q.val();
        self.sll.a.next = self.seq_ll[1].read_data.val();
        self.sll.b.next = self.seq_ll[0].read_data.val();
        self.sml.sel.next = self.fset.q.val();
        self.sml.a.next = self.seq_ml[1].read_data.val();
        self.sml.b.next = self.seq_ml[0].read_data.val();
        self.sov.sel.next = self.fset.q.val();
        self.sov.a.next = self.seq_ov[1].read_data.val();
        self.sov.b.next = self.seq_ov[0].read_data.val();

        // ---- widenings of registers and RAM outputs ----
        self.epoch_x.narrow.next = self.epoch.q.val();
        self.bsize_x.narrow.next = self.bsize.q.val();
        self.nlit_x.narrow.next = self.nlit.q.val();
        self.fill_x.narrow.next = self.b_fill_byte.q.val();
        self.nseq_x.narrow.next = self.b_nseq.q.val();
        for b in 0..4 {
            self.tag_x[b].narrow.next = self.tagr[b].q.val();
            self.pos_x[b].narrow.next = self.ppos[b].q.val().get_bits::<10>(2);
        }
        for i in 0..16 {
            self.ht[i].read_clock.next = self.clock.val();
            self.ht[i].write_clock.next = self.clock.val();
            self.cand_x[i].narrow.next = self.ht[i].read_data.val().get_bits::<10>(20);
        }

        // ---- hash lookups: every lane reads its four banks at its hash ----
        for l in 0..4 {
            self.hu[l].key.next = self.fa.y.val().get_bits::<32>(8 * l);
            for b in 0..4 {
                self.ht[4 * l + b].read_address.next = self.hu[l].hash.val();
                if (self.state.q.val() == self.s_extend.val())
                    | (self.state.q.val() == self.s_wait_win.val())
                {
                    // Keep the latched step's lookups on the RAM outputs.
                    self.ht[4 * l + b].read_address.next = self.hsh[l].q.val();
                }
            }
        }
        // Hash-table writes: inserts of the current step (SELECT), clear, scrub. The scrub
        // uses the write ports whenever the match finder does not.
        self.scrubbing.next = (self.scrub_n.q.val() < self.k_scrub.val())
            & (self.state.q.val() != self.s_clear.val())
            & (self.state.q.val() != self.s_load.val())
            & (self.state.q.val() != self.s_hash.val())
            & (self.state.q.val() != self.s_select.val())
            & (self.state.q.val() != self.s_extend.val())
            & (self.state.q.val() != self.s_wait_win.val());
        // Bytes loaded so far: a window read at `a` is valid when `a + 8 <= avail`.
        self.avail.next = self.ctr.q.val() << 3;
        self.full.next = self.ctr.q.val() == self.k512.val();
        for l in 0..4 {
            for b in 0..4 {
                self.ht[4 * l + b].write_address.next = self.hsh[b].q.val();
                self.ht[4 * l + b].write_data.next = self.tag_x[b].wide.val()
                    | (self.pos_x[b].wide.val() << 20)
                    | (self.epoch_x.wide.val() << 30);
                self.ht[4 * l + b].write_enable.next = (self.state.q.val() == self.s_select.val())
                    & (self.base.q.val() + self.lane16[b].val() <= self.k4092.val());
                if self.state.q.val() == self.s_clear.val() {
                    self.ht[4 * l + b].write_address.next = self.ctr.q.val().get_bits::<12>(0);
                    self.ht[4 * l + b].write_data.next = self.k0_36.val();
                    self.ht[4 * l + b].write_enable.next = true;
                }
                if self.scrubbing.val() {
                    self.ht[4 * l + b].write_address.next = self.scrub_addr.q.val();
                    self.ht[4 * l + b].write_data.next = self.k0_36.val();
                    self.ht[4 * l + b].write_enable.next = true;
                }
            }
        }

        // ---- page buffers: front-end windows (fa/fb), back-end literal reads (ba) ----
        self.fa_pos.next = self.base.q.val().get_bits::<12>(0);
        if self.state.q.val() == self.s_hash.val() {
            // The next step's window.
            self.fa_pos.next = self.base.q.val().get_bits::<12>(0) + self.k4_12.val();
        }
        if self.state.q.val() == self.s_select.val() {
            // The window after the step being hashed in this clock.
            self.fa_pos.next = self.base.q.val().get_bits::<12>(0) + self.k8_12.val();
        }
        if self.state.q.val() == self.s_wait_win.val() {
            self.fa_pos.next = self.base.q.val().get_bits::<12>(0) + self.k4_12.val();
        }
        // The extension's windows: the current ones again until they are valid, then the
        // next 8 bytes.
        self.fc_pos.next =
            self.mpos.q.val().get_bits::<12>(0) + self.mlen.q.val().get_bits::<12>(0);
        self.fb_pos.next =
            self.mcand.q.val().get_bits::<12>(0) + self.mlen.q.val().get_bits::<12>(0);
        if self.primed.q.val() {
            self.fc_pos.next = self.mpos.q.val().get_bits::<12>(0)
                + self.mlen.q.val().get_bits::<12>(0)
                + self.k8_12.val();
            self.fb_pos.next = self.mcand.q.val().get_bits::<12>(0)
                + self.mlen.q.val().get_bits::<12>(0)
                + self.k8_12.val();
        }
        self.ba_pos.next = self.run_pos.q.val().get_bits::<12>(0);
        if self.bstate.q.val() == self.s_copy.val() {
            if self.bprimed.q.val() & self.pk.in_ready.val() {
                self.ba_pos.next = self.run_pos.q.val().get_bits::<12>(0) + self.k8_12.val();
                if self.run_multi.q.val() & (self.run_rem.q.val() <= self.k8.val()) {
                    self.ba_pos.next = self.brs.y.val().get_bits::<12>(0);
                }
            }
        }
        if self.bstate.q.val() == self.s_hdr1.val() {
            self.ba_pos.next = self.brs.y.val().get_bits::<12>(0);
        }
        // ---- bitstream buffer: written by the encoder, read by the copy engine ----
        self.bs_raddr.next = self.run_pos.q.val().get_bits::<9>(3);
        if self.bprimed.q.val() & self.pk.in_ready.val() {
            self.bs_raddr.next = self.run_pos.q.val().get_bits::<9>(3) + self.k1_9.val();
        }
        // The read address is the next value of `ri`: the RAM output always holds
        // run `ri`, the next run to copy, so runs follow each other without a gap.
        self.ri_next.next = self.ri.q.val();
        // ---- sequence encoder ----
        self.enc.ll.next = self.sll.y.val();
        self.enc.ml.next = self.sml.y.val();
        self.enc.ov.next = self.sov.y.val();
        self.enc.last.next = self.b_nseq.q.val() - self.k1.val();
        self.enc.start.next = self.bstate.q.val() == self.s_enc_start.val();

        // ---- output packer ----
        self.out_data.next = self.pk.out_data.val();
        self.out_bytes.next = self.pk.out_bytes.val();
        self.out_last.next = self.pk.out_last.val();
        self.out_valid.next = self.pk.out_valid.val();
        self.pk.out_ready.next = self.out_ready.val();
        self.frame_len.next = self.flen.q.val();
        self.frame_kind.next = self.kind.q.val();
        self.pk.in_valid.next = false;
        self.pk.in_end.next = false;
        self.pk.in_data.next = self.hdr_lo.q.val();
        self.pk.in_count.next = self.k8_4.val();
        if self.bstate.q.val() == self.s_hdr1.val() {
            self.pk.in_valid.next = true;
            self.pk.in_data.next = self.hdr_hi.q.val();
            self.pk.in_count.next = self.hdr_n.q.val();
            self.pk.in_end.next = self.kind.q.val() == self.kind_rle.val();
        }
        if self.bstate.q.val() == self.s_hdr0.val() {
            self.pk.in_valid.next = true;
        }
        if self.bstate.q.val() == self.s_seq_hdr.val() {
            self.pk.in_valid.next = true;
            if self.b_nseq.q.val() < self.k128.val() {
                self.pk.in_data.next = self.nseq_x.wide.val();
                self.pk.in_count.next = self.k2_4.val();
            } else {
                self.pk.in_data.next = ((self.nseq_x.wide.val() >> 8) + self.k128_64.val())
                    | ((self.nseq_x.wide.val() & self.k255_64.val()) << 8);
                self.pk.in_count.next = self.k3_4.val();
            }
        }
        if self.bstate.q.val() == self.s_copy.val() {
            self.pk.in_valid.next = self.bprimed.q.val();
            self.pk.in_data.next = self.ba.y.val();
            if self.run_src_bs.q.val() {
                self.pk.in_data.next = self.bb.y.val();
            }
            if self.run_rem.q.val() < self.k8.val() {
                self.pk.in_count.next = self.run_rem.q.val().get_bits::<4>(0);
            }
            self.pk.in_end.next = self.run_end.q.val() & (self.run_rem.q.val() <= self.k8.val());
        }

        self.in_ready.next = self.loading.q.val();

        // ---- scratch defaults ----
        self.found.next = false;
        self.ext_rem.next = self.k4096.val() - self.mpos.q.val() - self.mlen.q.val();
        self.ext_n.next = self.k8.val();
        self.eq_all.next = true;
        self.ref_byte.next = self.fill_byte.q.val();
        self.filled_new.next = false;
        self.cnt.next = self.k8.val();
        if self.run_rem.q.val() < self.k8.val() {
            self.cnt.next = self.run_rem.q.val();
        }
        self.d_nlit.next = self.k4096.val() - self.b_sum_ml.q.val();
        self.d_lh.next = self.k3.val();
        if self.d_nlit.val() < self.k4096.val() {
            self.d_lh.next = self.k2.val();
        }
        if self.d_nlit.val() < self.k32.val() {
            self.d_lh.next = self.k1.val();
        }
        self.d_size.next =
            self.d_lh.val() + self.d_nlit.val() + self.k2.val() + self.enc.bs_len.val();
        if self.b_nseq.q.val() >= self.k128.val() {
            self.d_size.next =
                self.d_lh.val() + self.d_nlit.val() + self.k3.val() + self.enc.bs_len.val();
        }
        self.bh.next = self.bh_raw.val();
        if self.kind.q.val() == self.kind_rle.val() {
            self.bh.next = self.bh_rle.val();
        }
        if self.kind.q.val() == self.kind_comp.val() {
            self.bh.next = self.bh_comp.val() | (self.bsize_x.wide.val() << 3);
        }
        // Extension: bytes equal and inside the page, counted from the low end.
        for j in 0..8 {
            self.ok[j].next = (self.fc.y.val().get_bits::<8>(8 * j)
                == self.fb.y.val().get_bits::<8>(8 * j))
                & (self.byte_idx[j].val() < self.ext_rem.val());
        }
        for jj in 0..8 {
            if !self.ok[7 - jj].val() {
                self.ext_n.next = self.byte_idx[7 - jj].val();
            }
        }
        self.fin_len.next = self.mlen.q.val() + self.ext_n.val();
        self.ext_done.next =
            self.ext_active.q.val() & self.primed.q.val() & (self.ext_n.val() != self.k8.val());
        // The match covers at least up to `known_end` (exactly, once done). A step with a
        // position at or past it waits while the extension is still running.
        self.known_end.next = self.mpos.q.val() + self.mlen.q.val();
        if self.primed.q.val() {
            self.known_end.next = self.mpos.q.val() + self.fin_len.val();
        }
        self.cur_eff.next = self.cursor.q.val();
        self.stall.next = false;
        if self.ext_active.q.val() {
            self.cur_eff.next = self.known_end.val();
            self.stall.next = (self.state.q.val() == self.s_select.val())
                & !self.ext_done.val()
                & (self.base.q.val() + self.k3.val() >= self.known_end.val());
        }
        if self.stall.val() {
            // Keep step `base`: re-read its lookups and the next step's window.
            self.fa_pos.next = self.base.q.val().get_bits::<12>(0) + self.k4_12.val();
            for l in 0..4 {
                for b in 0..4 {
                    self.ht[4 * l + b].read_address.next = self.hsh[l].q.val();
                    self.ht[4 * l + b].write_enable.next = false;
                }
            }
        }

        // Candidate per lane: the highest current-epoch position among its 4 banks.
        for l in 0..4 {
            self.cv[l].next = false;
            self.cp[l].next = self.k0.val();
            self.ct[l].next = self.k0_20.val();
            for b in 0..4 {
                self.e_valid[4 * l + b].next =
                    self.ht[4 * l + b].read_data.val().get_bits::<6>(30) == self.epoch.q.val();
                self.e_pos[4 * l + b].next =
                    (self.cand_x[4 * l + b].wide.val() << 2) | self.lane16[b].val();
                self.e_tag[4 * l + b].next = self.ht[4 * l + b].read_data.val().get_bits::<20>(0);
                if self.prev_ok.q.val() & (self.prev_hsh[b].q.val() == self.hsh[l].q.val()) {
                    self.e_valid[4 * l + b].next = true;
                    self.e_pos[4 * l + b].next = self.prev_pos[b].q.val();
                    self.e_tag[4 * l + b].next = self.prev_tag[b].q.val();
                }
                if self.e_valid[4 * l + b].val()
                    & (!self.cv[l].val() | (self.e_pos[4 * l + b].val() > self.cp[l].val()))
                {
                    self.cv[l].next = true;
                    self.cp[l].next = self.e_pos[4 * l + b].val();
                    self.ct[l].next = self.e_tag[4 * l + b].val();
                }
            }
            self.hit[l].next = self.cv[l].val()
                & (self.ct[l].val() == self.tagr[l].q.val())
                & (self.base.q.val() + self.lane16[l].val() >= self.cur_eff.val())
                & (self.base.q.val() + self.lane16[l].val() <= self.k4092.val());
        }
        // The lowest matching lane of the step in SELECT.
        self.sel_pos.next = self.base.q.val();
        self.sel_cand.next = self.k0.val();
        for l in 0..4 {
            if self.hit[l].val() & !self.found.val() {
                self.found.next = true;
                self.sel_pos.next = self.base.q.val() + self.lane16[l].val();
                self.sel_cand.next = self.cp[l].val();
            }
        }
        if (self.state.q.val() == self.s_select.val()) & !self.stall.val() {
            if self.found.val() {
                // The new extension's first windows, right after the 4 bytes known equal.
                self.fc_pos.next = self.sel_pos.val().get_bits::<12>(0) + self.k4_12.val();
                self.fb_pos.next = self.sel_cand.val().get_bits::<12>(0) + self.k4_12.val();
            }
        }
        // ---- sequence buffer ----
        self.sq_ov.next = self.mpos.q.val() - self.mcand.q.val() + self.k3.val();
        if (self.mpos.q.val() != self.lit_start.q.val())
            & (self.mpos.q.val() - self.mcand.q.val() == self.rep0.q.val())
        {
            self.sq_ov.next = self.k1.val();
        }
        self.sq_we.next = self.ext_done.val();
        // ---- literal-run list: written at the end of each match (and the tail in TAIL) ----
        self.rl_len.next = self.mpos.q.val() - self.lit_start.q.val();
        self.rl_we.next = self.ext_done.val() & (self.mpos.q.val() != self.lit_start.q.val());
        if self.state.q.val() == self.s_tail.val() {
            self.rl_len.next = self.k4096.val() - self.lit_start.q.val();
            self.rl_we.next = self.lit_start.q.val() != self.k4096.val();
        }

        // ---- the FSM ----
        if self.state.q.val() == self.s_clear.val() {
            self.ctr.d.next = self.ctr.q.val() + self.k1.val();
            if self.ctr.q.val() == self.k4095.val() {
                self.state.d.next = self.s_load.val();
                self.ctr.d.next = self.k0.val();
                self.loading.d.next = true;
                self.rep0.d.next = self.k1.val();
                self.epoch.d.next = self.k1_6.val();
            }
        }
        if self.state.q.val() == self.s_load.val() {
            // Matching starts once the first two beats are in.
            if self.ctr.q.val() >= self.k2.val() {
                self.state.d.next = self.s_hash.val();
            }
        }
        if self.state.q.val() == self.s_hash.val() {
            // (Re)start of the step pipeline: the window of step `base` is here.
            for l in 0..4 {
                self.hsh[l].d.next = self.hu[l].hash.val();
                self.tagr[l].d.next = self.hu[l].tag.val();
                self.ppos[l].d.next = self.base.q.val() + self.lane16[l].val();
                self.prev_hsh[l].d.next = self.hsh[l].q.val();
                self.prev_tag[l].d.next = self.tagr[l].q.val();
                self.prev_pos[l].d.next = self.ppos[l].q.val();
            }
            self.prev_ok.d.next = self.stage_ok.q.val();
            self.stage_ok.d.next = true;
            self.state.d.next = self.s_select.val();
        }
        // The extension runs beside the step pipeline (SELECT, WAIT_WIN) and alone after
        // the last step (EXTEND).
        if self.ext_active.q.val() {
            if self.primed.q.val() {
                self.mlen.d.next = self.fin_len.val();
                self.primed.d.next = (self.mpos.q.val() + self.mlen.q.val() + self.k16.val()
                    <= self.avail.val())
                    | self.full.val();
            } else {
                self.primed.d.next = (self.mpos.q.val() + self.mlen.q.val() + self.k8.val()
                    <= self.avail.val())
                    | self.full.val();
            }
        }
        if self.ext_done.val() {
            // Record the sequence and its literal run.
            self.ext_active.d.next = false;
            if self.mpos.q.val() != self.lit_start.q.val() {
                self.nruns.d.next = self.nruns.q.val() + self.k1.val();
            }
            self.nseq.d.next = self.nseq.q.val() + self.k1.val();
            self.sum_ml.d.next = self.sum_ml.q.val() + self.fin_len.val();
            self.rep0.d.next = self.mpos.q.val() - self.mcand.q.val();
            self.cursor.d.next = self.mpos.q.val() + self.fin_len.val();
            self.lit_start.d.next = self.mpos.q.val() + self.fin_len.val();
        }
        if (self.state.q.val() == self.s_select.val()) & !self.stall.val() {
            if self.found.val() {
                self.mpos.d.next = self.sel_pos.val();
                self.mcand.d.next = self.sel_cand.val();
                self.mlen.d.next = self.k4.val();
                self.ext_active.d.next = true;
                self.primed.d.next = (self.sel_pos.val() + self.k4.val() + self.k8.val()
                    <= self.avail.val())
                    | self.full.val();
            }
            if self.base.q.val() == self.k4092.val() {
                // Last step: finish a running extension, then the tail run.
                self.state.d.next = self.s_tail.val();
                if self.found.val() | (self.ext_active.q.val() & !self.ext_done.val()) {
                    self.state.d.next = self.s_extend.val();
                }
            } else {
                // Next step: its window was hashed and its lookups issued this clock.
                for l in 0..4 {
                    self.hsh[l].d.next = self.hu[l].hash.val();
                    self.tagr[l].d.next = self.hu[l].tag.val();
                    self.ppos[l].d.next = self.base.q.val() + self.k4.val() + self.lane16[l].val();
                    self.prev_hsh[l].d.next = self.hsh[l].q.val();
                    self.prev_tag[l].d.next = self.tagr[l].q.val();
                    self.prev_pos[l].d.next = self.ppos[l].q.val();
                }
                self.prev_ok.d.next = true;
                self.base.d.next = self.base.q.val() + self.k4.val();
                if !self.full.val() & (self.base.q.val() + self.k16.val() > self.avail.val()) {
                    // The window after the next step is not loaded yet.
                    self.state.d.next = self.s_wait_win.val();
                }
            }
        }
        if self.state.q.val() == self.s_wait_win.val() {
            if (self.base.q.val() + self.k12.val() <= self.avail.val()) | self.full.val() {
                self.state.d.next = self.s_select.val();
            }
        }
        if self.state.q.val() == self.s_extend.val() {
            if self.ext_done.val() | !self.ext_active.q.val() {
                self.state.d.next = self.s_tail.val();
            }
        }
        if self.state.q.val() == self.s_tail.val() {
            // The trailing literal run.
            if self.lit_start.q.val() != self.k4096.val() {
                self.nruns.d.next = self.nruns.q.val() + self.k1.val();
            }
            self.state.d.next = self.s_handoff.val();
        }
        if self.state.q.val() == self.s_handoff.val() {
            // Hand the page to the back end once it is idle and the scrub is done; the
            // front end then takes the next page into the other buffer set.
            if (self.bstate.q.val() == self.s_bidle.val())
                & (self.scrub_n.q.val() == self.k_scrub.val())
            {
                self.bstate.d.next = self.s_decide.val();
                if !self.filled.q.val() & (self.nseq.q.val() != self.k0.val()) {
                    self.bstate.d.next = self.s_enc_start.val();
                }
                self.b_filled.d.next = self.filled.q.val();
                self.b_fill_byte.d.next = self.fill_byte.q.val();
                self.b_nseq.d.next = self.nseq.q.val();
                self.b_sum_ml.d.next = self.sum_ml.q.val();
                self.b_nruns.d.next = self.nruns.q.val();
                self.ri_next.next = self.k0.val();
                self.fset.d.next = !self.fset.q.val();
                self.state.d.next = self.s_load.val();
                self.ctr.d.next = self.k0.val();
                self.loading.d.next = true;
                self.scrub_n.d.next = self.k0.val();
                // LOAD presents the first window (base 0) for the first HASH.
                self.base.d.next = self.k0.val();
                self.stage_ok.d.next = false;
                self.ext_active.d.next = false;
                self.cursor.d.next = self.k0.val();
                self.lit_start.d.next = self.k0.val();
                self.rep0.d.next = self.k1.val();
                self.nseq.d.next = self.k0.val();
                self.nruns.d.next = self.k0.val();
                self.sum_ml.d.next = self.k0.val();
                if self.epoch.q.val() == self.k63_6.val() {
                    self.epoch.d.next = self.k1_6.val();
                } else {
                    self.epoch.d.next = self.epoch.q.val() + self.k1_6.val();
                }
            }
        }
        if self.bstate.q.val() == self.s_enc_start.val() {
            self.bstate.d.next = self.s_enc_wait.val();
        }
        if self.bstate.q.val() == self.s_enc_wait.val() {
            if self.enc.done.val() {
                self.bstate.d.next = self.s_decide.val();
            }
        }
        if self.bstate.q.val() == self.s_decide.val() {
            self.nlit.d.next = self.d_nlit.val();
            self.lh.d.next = self.d_lh.val().get_bits::<4>(0);
            self.bsize.d.next = self.d_size.val();
            if self.b_filled.q.val() {
                self.kind.d.next = self.kind_rle.val();
                self.flen.d.next = self.k11.val();
            } else if (self.b_nseq.q.val() == self.k0.val())
                | (self.d_size.val() >= self.k4096.val())
            {
                self.kind.d.next = self.kind_raw.val();
                self.flen.d.next = self.k4106.val();
            } else {
                self.kind.d.next = self.kind_comp.val();
                self.flen.d.next = self.d_size.val() + self.k10.val();
            }
            self.bstate.d.next = self.s_hdr_build.val();
        }
        if self.bstate.q.val() == self.s_hdr_build.val() {
            self.hdr_lo.d.next = self.frame_hdr.val() | (self.bh.val() << 56);
            self.hdr_hi.d.next = self.bh.val() >> 8;
            self.hdr_n.d.next = self.k2_4.val();
            if self.kind.q.val() == self.kind_rle.val() {
                self.hdr_hi.d.next = (self.bh.val() >> 8) | (self.fill_x.wide.val() << 16);
                self.hdr_n.d.next = self.k3_4.val();
            }
            if self.kind.q.val() == self.kind_comp.val() {
                self.hdr_n.d.next = self.lh.q.val() + self.k2_4.val();
                if self.nlit.q.val() < self.k32.val() {
                    self.hdr_hi.d.next = (self.bh.val() >> 8) | (self.nlit_x.wide.val() << 19);
                } else if self.nlit.q.val() < self.k4096.val() {
                    self.hdr_hi.d.next = (self.bh.val() >> 8)
                        | ((self.k4_64.val() | (self.nlit_x.wide.val() << 4)) << 16);
                } else {
                    self.hdr_hi.d.next = (self.bh.val() >> 8)
                        | ((self.k12_64.val() | (self.nlit_x.wide.val() << 4)) << 16);
                }
            }
            self.bstate.d.next = self.s_hdr0.val();
        }
        if self.bstate.q.val() == self.s_hdr0.val() {
            if self.pk.in_ready.val() {
                self.bstate.d.next = self.s_hdr1.val();
            }
        }
        if self.bstate.q.val() == self.s_hdr1.val() {
            if self.pk.in_ready.val() {
                self.bprimed.d.next = false;
                if self.kind.q.val() == self.kind_rle.val() {
                    self.bstate.d.next = self.s_drain.val();
                } else if self.kind.q.val() == self.kind_raw.val() {
                    self.run_pos.d.next = self.k0.val();
                    self.run_rem.d.next = self.k4096.val();
                    self.run_src_bs.d.next = false;
                    self.run_end.d.next = true;
                    self.run_multi.d.next = false;
                    self.bstate.d.next = self.s_copy.val();
                } else if self.b_nruns.q.val() == self.k0.val() {
                    self.bstate.d.next = self.s_seq_hdr.val();
                } else {
                    // First literal run: its start is on the run RAM's output now.
                    self.run_pos.d.next = self.brs.y.val();
                    self.run_rem.d.next = self.brl.y.val();
                    self.ri_next.next = self.k1.val();
                    self.run_src_bs.d.next = false;
                    self.run_end.d.next = false;
                    self.run_multi.d.next = true;
                    self.bprimed.d.next = true;
                    self.bstate.d.next = self.s_copy.val();
                }
            }
        }
        if self.bstate.q.val() == self.s_copy.val() {
            self.bprimed.d.next = true;
            if self.bprimed.q.val() & self.pk.in_ready.val() {
                self.run_pos.d.next = self.run_pos.q.val() + self.cnt.val();
                self.run_rem.d.next = self.run_rem.q.val() - self.cnt.val();
                if self.run_rem.q.val() <= self.k8.val() {
                    if self.run_end.q.val() {
                        self.bstate.d.next = self.s_drain.val();
                    } else if self.ri.q.val() == self.b_nruns.q.val() {
                        self.bstate.d.next = self.s_seq_hdr.val();
                    } else {
                        // Next literal run, back to back.
                        self.run_pos.d.next = self.brs.y.val();
                        self.run_rem.d.next = self.brl.y.val();
                        self.ri_next.next = self.ri.q.val() + self.k1.val();
                    }
                }
            }
        }
        if self.bstate.q.val() == self.s_seq_hdr.val() {
            if self.pk.in_ready.val() {
                self.run_pos.d.next = self.k0.val();
                self.run_rem.d.next = self.enc.bs_len.val();
                self.run_src_bs.d.next = true;
                self.run_end.d.next = true;
                self.run_multi.d.next = false;
                self.bprimed.d.next = false;
                self.bstate.d.next = self.s_copy.val();
            }
        }
        self.ri.d.next = self.ri_next.val();
        // ---- the two buffer sets: the front end owns `fset`, the back end the other ----
        for st in 0..2 {
            self.pa[st].wr_beat.next = self.ctr.q.val().get_bits::<9>(0);
            self.pb[st].wr_beat.next = self.ctr.q.val().get_bits::<9>(0);
            self.pa[st].wr_data.next = self.in_data.val();
            self.pb[st].wr_data.next = self.in_data.val();
            self.pa[st].wr_en.next = false;
            self.pb[st].wr_en.next = false;
            self.pa[st].rd_pos.next = self.ba_pos.val();
            self.pb[st].rd_pos.next = self.fb_pos.val();
            self.pc[st].wr_beat.next = self.ctr.q.val().get_bits::<9>(0);
            self.pc[st].wr_data.next = self.in_data.val();
            self.pc[st].wr_en.next = false;
            self.pc[st].rd_pos.next = self.fc_pos.val();
            self.run_start[st].read_address.next = self.ri_next.val().get_bits::<10>(0);
            self.run_len[st].read_address.next = self.ri_next.val().get_bits::<10>(0);
            self.run_start[st].write_address.next = self.nruns.q.val().get_bits::<10>(0);
            self.run_len[st].write_address.next = self.nruns.q.val().get_bits::<10>(0);
            self.run_start[st].write_data.next = self.lit_start.q.val();
            self.run_len[st].write_data.next = self.rl_len.val();
            self.run_start[st].write_enable.next = false;
            self.run_len[st].write_enable.next = false;
            self.bs[st].read_address.next = self.bs_raddr.val();
            self.bs[st].write_address.next = self.enc.bs_addr.val();
            self.bs[st].write_data.next = self.enc.bs_data.val();
            self.bs[st].write_enable.next = self.enc.bs_we.val();
            self.seq_ll[st].read_address.next = self.enc.seq_addr.val();
            self.seq_ml[st].read_address.next = self.enc.seq_addr.val();
            self.seq_ov[st].read_address.next = self.enc.seq_addr.val();
            self.seq_ll[st].write_address.next = self.nseq.q.val().get_bits::<10>(0);
            self.seq_ml[st].write_address.next = self.nseq.q.val().get_bits::<10>(0);
            self.seq_ov[st].write_address.next = self.nseq.q.val().get_bits::<10>(0);
            self.seq_ll[st].write_data.next = self.mpos.q.val() - self.lit_start.q.val();
            self.seq_ml[st].write_data.next = self.fin_len.val();
            self.seq_ov[st].write_data.next = self.sq_ov.val();
            self.seq_ll[st].write_enable.next = false;
            self.seq_ml[st].write_enable.next = false;
            self.seq_ov[st].write_enable.next = false;
            if self.fset.q.val() == self.set_id[st].val() {
                self.seq_ll[st].write_enable.next = self.sq_we.val();
                self.seq_ml[st].write_enable.next = self.sq_we.val();
                self.seq_ov[st].write_enable.next = self.sq_we.val();
                self.bs[st].write_enable.next = false;
                self.pa[st].wr_en.next = self.loading.q.val() & self.in_valid.val();
                self.pb[st].wr_en.next = self.loading.q.val() & self.in_valid.val();
                self.pc[st].wr_en.next = self.loading.q.val() & self.in_valid.val();
                self.pa[st].rd_pos.next = self.fa_pos.val();
                self.run_start[st].write_enable.next = self.rl_we.val();
                self.run_len[st].write_enable.next = self.rl_we.val();
            }
        }
        if self.bstate.q.val() == self.s_drain.val() {
            if self.pk.empty.val() {
                self.bstate.d.next = self.s_bidle.val();
            }
        }
        if self.scrubbing.val() {
            self.scrub_addr.d.next = self.scrub_addr.q.val() + self.k1_12.val();
            self.scrub_n.d.next = self.scrub_n.q.val() + self.k1.val();
        }
        // ---- the load engine, beside the FSM ----
        if self.ctr.q.val() == self.k0.val() {
            self.ref_byte.next = self.in_data.val().get_bits::<8>(0);
        }
        for j in 0..8 {
            if self.in_data.val().get_bits::<8>(8 * j) != self.ref_byte.val() {
                self.eq_all.next = false;
            }
        }
        if self.ctr.q.val() == self.k0.val() {
            self.filled_new.next = self.eq_all.val();
        } else {
            self.filled_new.next = self.filled.q.val() & self.eq_all.val();
        }
        if self.loading.q.val() & self.in_valid.val() {
            self.ctr.d.next = self.ctr.q.val() + self.k1.val();
            self.fill_byte.d.next = self.ref_byte.val();
            self.filled.d.next = self.filled_new.val();
            if self.ctr.q.val() == self.k511.val() {
                self.loading.d.next = false;
                if self.filled_new.val() {
                    // Byte-filled: an RLE frame, whatever the match finder was doing.
                    self.state.d.next = self.s_handoff.val();
                }
            }
        }
    }
}

/// The compressor's Verilog: module `top` with the ports documented above.
pub fn compressor_verilog() -> String {
    let mut uut = Compressor::default();
    uut.connect_all();
    generate_verilog(&uut)
}

/// Post-synthesis cell counts of the compressor (`yosys synth_xilinx`, see
/// [`crate::synth`]): LUTs, flops, block RAMs, DSPs. Takes a minute or more.
pub fn compressor_synth() -> Result<crate::synth::SynthStats, String> {
    crate::synth::synth_xilinx("compressor", &compressor_verilog())
}

/// Generates `uut`'s Verilog and lints it with `verilator --lint-only -Wall`.
/// The one rule waived is DECLFILENAME: `lint_verilog` names the file after the
/// core while rust-hdl always names the module `top`.
#[cfg(test)]
pub(crate) fn lint_core<B: Block>(name: &str, uut: &B) {
    let v = generate_verilog(uut);
    crate::lint::lint_verilog(name, &v).unwrap();
}

#[cfg(test)]
pub(crate) mod testutil {
    use rust_hdl::prelude::*;

    /// One clock cycle: rising edge, settle, falling edge, settle.
    pub fn tick<B: Block>(uut: &mut B, clk: impl Fn(&mut B) -> &mut Signal<In, Clock>) {
        clk(uut).next = Clock { clk: true };
        assert!(simulate(uut, 1000), "logic did not settle");
        clk(uut).next = Clock { clk: false };
        assert!(simulate(uut, 1000), "logic did not settle");
    }
}
