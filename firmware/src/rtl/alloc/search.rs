//! `RunSearch`: the next-fit search of the allocator, one bitmap word per cycle.
//!
//! On `start` it takes the cursor and the run length `n` and reads the words of
//! pass 1 (`[cursor, units)`) and then of pass 2 (`[0, min(cursor + n, units))`)
//! back to back, one read per cycle, units outside the pass masked as busy. A
//! three-stage pipeline:
//!
//! 1. **issue**: `rd_addr` = the next word of the sweep, and the mask of its
//!    units inside the pass;
//! 2. **scan** (`rd_data` arrives): register the masked word's [`WordScan`]
//!    facts (runs of `n` inside the word, free units at both ends);
//! 3. **decide**: join the word to the pass's previous words. A run that
//!    crosses into the word from below ends at `need` = `max(n - 1 - c, 0)`
//!    (`c`: the free units that end the previous words) when that is below
//!    the word's `lead`; it ends before any run inside the word, so it wins.
//!    Otherwise the run ends at the lowest `hits` bit, if any. `found` (with
//!    `last_unit`, the run's last unit) or, after the sweep's last word,
//!    `missed` pulses combinationally and the search stops (the words in
//!    flight are dropped). `need` for the next word is `need - 64` (at least
//!    0) after an all-free word, else `max(n - 1 - trail, 0)`.
//!
//! The first fit of each pass is the model's: its unit-by-unit scan returns
//! the first unit `u` of the pass that ends `n` free units of the pass, and
//! every unit `u` of a word is looked at in one decision, in sweep order.
//!
//! The pulse comes `3 + k` cycles after the `start` cycle for a run ending in
//! the `k`-th word of the sweep (`k` from 0); a miss sweeps every word of
//! pass 1 and of pass 2.

use super::word_scan::{LowestSet, RangeMask, WORD_UNITS, WordScan};
use pagepress_rtl::compressor::widen::ZeroExtend;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct RunSearch<const ADDR_BITS: usize> {
    pub clock: Signal<In, Clock>,
    /// Begin a search with `cursor` and `n` (1 ..= 255).
    pub start: Signal<In, bool>,
    pub cursor: Signal<In, Bits<32>>,
    pub n: Signal<In, Bits<8>>,
    /// Bitmap read port: the word read this cycle, its data the next.
    pub rd_addr: Signal<Out, Bits<ADDR_BITS>>,
    pub rd_data: Signal<In, Bits<64>>,
    /// Pulse: a run was found; it ends at `last_unit`.
    pub found: Signal<Out, bool>,
    pub last_unit: Signal<Out, Bits<32>>,
    /// Pulse: no run in either pass.
    pub missed: Signal<Out, bool>,

    scan: WordScan,
    pass_mask: RangeMask,
    hit_pos: LowestSet,
    n_wide: ZeroExtend<8, 32>,
    word_wide: ZeroExtend<ADDR_BITS, 32>,
    pos_wide: ZeroExtend<8, 32>,

    units: Constant<Bits<32>>,
    last_word: Constant<Bits<ADDR_BITS>>,
    word_zero: Constant<Bits<ADDR_BITS>>,
    word_one: Constant<Bits<ADDR_BITS>>,
    unit_one: Constant<Bits<32>>,
    word_shift: Constant<Bits<6>>,
    first_bit: Constant<Bits<6>>,
    last_bit: Constant<Bits<6>>,
    count_one: Constant<Bits<8>>,
    count_zero: Constant<Bits<8>>,
    word_units: Constant<Bits<8>>,

    // Operation, latched at `start`.
    n_minus_1: DFF<Bits<8>>,
    /// Cursor's unit within its word: pass 1's first word starts there.
    cursor_bit: DFF<Bits<6>>,
    /// Last unit of pass 2, as word and unit within it.
    wrap_word: DFF<Bits<ADDR_BITS>>,
    wrap_bit: DFF<Bits<6>>,
    // Issue.
    issuing: DFF<bool>,
    iss_word: DFF<Bits<ADDR_BITS>>,
    iss_pass2: DFF<bool>,
    iss_first: DFF<bool>,
    // Scan: the word whose data is on `rd_data`.
    s1_valid: DFF<bool>,
    s1_word: DFF<Bits<ADDR_BITS>>,
    s1_first: DFF<bool>,
    s1_last: DFF<bool>,
    /// The word's units inside the pass.
    s1_pass_units: DFF<Bits<64>>,
    // Decide.
    s2_valid: DFF<bool>,
    s2_word: DFF<Bits<ADDR_BITS>>,
    s2_first: DFF<bool>,
    s2_last: DFF<bool>,
    s2_hits: DFF<Bits<64>>,
    s2_lead: DFF<Bits<8>>,
    s2_trail: DFF<Bits<8>>,
    s2_all_free: DFF<bool>,
    /// `need` for the next word.
    need: DFF<Bits<8>>,

    wrap_unit: Signal<Local, Bits<32>>,
    /// The word issued is the last of the sweep.
    iss_last: Signal<Local, bool>,
    need_in: Signal<Local, Bits<8>>,
    from_below: Signal<Local, bool>,
    stop: Signal<Local, bool>,
}

impl<const ADDR_BITS: usize> RunSearch<ADDR_BITS> {
    /// A search over units `0 .. units` (a multiple of 64, at most `64 << ADDR_BITS`).
    pub fn new(units: u32) -> Self {
        let words = units as usize / WORD_UNITS;
        assert!(
            units > 0 && (units as usize).is_multiple_of(WORD_UNITS) && words <= 1 << ADDR_BITS,
            "{units} units do not fill whole words of a {ADDR_BITS}-bit bitmap"
        );
        let k8 = |v: u64| Constant::new(v.to_bits());
        Self {
            clock: Default::default(),
            start: Default::default(),
            cursor: Default::default(),
            n: Default::default(),
            rd_addr: Default::default(),
            rd_data: Default::default(),
            found: Default::default(),
            last_unit: Default::default(),
            missed: Default::default(),
            scan: Default::default(),
            pass_mask: Default::default(),
            hit_pos: Default::default(),
            n_wide: Default::default(),
            word_wide: Default::default(),
            pos_wide: Default::default(),
            units: Constant::new((units as u64).to_bits()),
            last_word: Constant::new(((words - 1) as u64).to_bits()),
            word_zero: Constant::new(0u64.to_bits()),
            word_one: Constant::new(1u64.to_bits()),
            unit_one: Constant::new(1u64.to_bits()),
            word_shift: Constant::new((WORD_UNITS.trailing_zeros() as u64).to_bits()),
            first_bit: Constant::new(0u64.to_bits()),
            last_bit: Constant::new((WORD_UNITS as u64 - 1).to_bits()),
            count_one: k8(1),
            count_zero: k8(0),
            word_units: k8(WORD_UNITS as u64),
            n_minus_1: Default::default(),
            cursor_bit: Default::default(),
            wrap_word: Default::default(),
            wrap_bit: Default::default(),
            issuing: Default::default(),
            iss_word: Default::default(),
            iss_pass2: Default::default(),
            iss_first: Default::default(),
            s1_valid: Default::default(),
            s1_word: Default::default(),
            s1_first: Default::default(),
            s1_last: Default::default(),
            s1_pass_units: Default::default(),
            s2_valid: Default::default(),
            s2_word: Default::default(),
            s2_first: Default::default(),
            s2_last: Default::default(),
            s2_hits: Default::default(),
            s2_lead: Default::default(),
            s2_trail: Default::default(),
            s2_all_free: Default::default(),
            need: Default::default(),
            wrap_unit: Default::default(),
            iss_last: Default::default(),
            need_in: Default::default(),
            from_below: Default::default(),
            stop: Default::default(),
        }
    }
}

impl<const ADDR_BITS: usize> Logic for RunSearch<ADDR_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            n_minus_1,
            cursor_bit,
            wrap_word,
            wrap_bit,
            issuing,
            iss_word,
            iss_pass2,
            iss_first,
            s1_valid,
            s1_word,
            s1_first,
            s1_last,
            s1_pass_units,
            s2_valid,
            s2_word,
            s2_first,
            s2_last,
            s2_hits,
            s2_lead,
            s2_trail,
            s2_all_free,
            need
        );

        // Decide (stage 3). `need`: where in this word a run that crosses into
        // it from below ends, max(n - 1 - carried free units, 0).
        self.need_in.next = self.need.q.val();
        if self.s2_first.q.val() {
            self.need_in.next = self.n_minus_1.q.val();
        }
        self.from_below.next = self.s2_lead.q.val() > self.need_in.val();
        self.hit_pos.v.next = self.s2_hits.q.val();
        // Either is below 64 when `found`.
        self.pos_wide.narrow.next = self.hit_pos.index.val();
        if self.from_below.val() {
            self.pos_wide.narrow.next = self.need_in.val();
        }
        self.word_wide.narrow.next = self.s2_word.q.val();
        self.last_unit.next =
            (self.word_wide.wide.val() << self.word_shift.val()) | self.pos_wide.wide.val();
        self.found.next =
            self.s2_valid.q.val() && (self.from_below.val() || self.s2_hits.q.val().any());
        self.missed.next = self.s2_valid.q.val() && !self.found.val() && self.s2_last.q.val();
        self.stop.next = self.found.val() || self.missed.val();
        // The next word's: 64 fewer after a free word, else counted from
        // this word's top free units.
        self.need.d.next = self.count_zero.val();
        if self.s2_all_free.q.val() {
            if self.need_in.val() >= self.word_units.val() {
                self.need.d.next = self.need_in.val() - self.word_units.val();
            }
        } else if self.s2_trail.q.val() < self.n_minus_1.q.val() {
            self.need.d.next = self.n_minus_1.q.val() - self.s2_trail.q.val();
        }

        // Scan (stage 2).
        self.scan.busy.next = self.rd_data.val() | !self.s1_pass_units.q.val();
        self.scan.n_minus_1.next = self.n_minus_1.q.val();
        self.s2_valid.d.next = self.s1_valid.q.val() && !self.stop.val();
        self.s2_word.d.next = self.s1_word.q.val();
        self.s2_first.d.next = self.s1_first.q.val();
        self.s2_last.d.next = self.s1_last.q.val();
        self.s2_hits.d.next = self.scan.hits.val();
        self.s2_lead.d.next = self.scan.lead.val();
        self.s2_trail.d.next = self.scan.trail.val();
        self.s2_all_free.d.next = self.scan.all_free.val();

        // Issue (stage 1): pass 1 runs to the last word, pass 2 from word 0 to
        // the wrap word. The word's units in the pass are found here, off the
        // scan stage's path.
        self.iss_last.next =
            self.iss_pass2.q.val() && self.iss_word.q.val() == self.wrap_word.q.val();
        self.pass_mask.lo.next = self.first_bit.val();
        if self.iss_first.q.val() && !self.iss_pass2.q.val() {
            self.pass_mask.lo.next = self.cursor_bit.q.val();
        }
        self.pass_mask.hi.next = self.last_bit.val();
        if self.iss_last.val() {
            self.pass_mask.hi.next = self.wrap_bit.q.val();
        }
        self.rd_addr.next = self.iss_word.q.val();
        self.s1_valid.d.next = self.issuing.q.val() && !self.stop.val();
        self.s1_word.d.next = self.iss_word.q.val();
        self.s1_first.d.next = self.iss_first.q.val();
        self.s1_last.d.next = self.iss_last.val();
        self.s1_pass_units.d.next = self.pass_mask.mask.val();
        if self.issuing.q.val() {
            self.iss_first.d.next = false;
            self.iss_word.d.next = self.iss_word.q.val() + self.word_one.val();
            if !self.iss_pass2.q.val() && self.iss_word.q.val() == self.last_word.val() {
                self.iss_word.d.next = self.word_zero.val();
                self.iss_pass2.d.next = true;
                self.iss_first.d.next = true;
            }
            if self.iss_last.val() {
                self.issuing.d.next = false;
            }
        }
        if self.stop.val() {
            self.issuing.d.next = false;
        }

        // Start: latch the operation; pass 2 ends at min(cursor + n - 1, units - 1).
        self.n_wide.narrow.next = self.n.val();
        self.wrap_unit.next = self.cursor.val() + self.n_wide.wide.val() - self.unit_one.val();
        if self.start.val() {
            self.n_minus_1.d.next = self.n.val() - self.count_one.val();
            self.cursor_bit.d.next = self.cursor.val().get_bits::<6>(0);
            self.wrap_word.d.next = self.wrap_unit.val().get_bits::<ADDR_BITS>(6);
            self.wrap_bit.d.next = self.wrap_unit.val().get_bits::<6>(0);
            if self.wrap_unit.val() >= self.units.val() {
                self.wrap_word.d.next = self.last_word.val();
                self.wrap_bit.d.next = self.last_bit.val();
            }
            self.issuing.d.next = true;
            self.iss_word.d.next = self.cursor.val().get_bits::<ADDR_BITS>(6);
            self.iss_pass2.d.next = false;
            self.iss_first.d.next = true;
            self.s1_valid.d.next = false;
            self.s2_valid.d.next = false;
        }
    }
}
