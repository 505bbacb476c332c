//! `RangeWrite`: sets or clears the bits of units `first ..= last` in the
//! bitmap, one word per cycle.
//!
//! Each word is read, then written back the next cycle with the range's bits
//! of that word set (`set`) or cleared; the reads run one word ahead of the
//! writes, so a range of `w` words takes `w + 1` cycles after `start` and
//! `done` pulses (combinationally) with the last write. A read never meets
//! the write of the same word. Clearing `0 ..= units - 1` zeroes the whole
//! bitmap whatever it held: that is CLEAR and the power-up sweep.

use super::word_scan::{RangeMask, WORD_UNITS};
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct RangeWrite<const ADDR_BITS: usize> {
    pub clock: Signal<In, Clock>,
    /// Begin: units `first_word:first_bit ..= last_word:last_bit`, set (1)
    /// or clear (0).
    pub start: Signal<In, bool>,
    pub first_word: Signal<In, Bits<ADDR_BITS>>,
    pub first_bit: Signal<In, Bits<6>>,
    pub last_word: Signal<In, Bits<ADDR_BITS>>,
    pub last_bit: Signal<In, Bits<6>>,
    pub set: Signal<In, bool>,
    /// Bitmap read port: the word read this cycle, its data the next.
    pub rd_addr: Signal<Out, Bits<ADDR_BITS>>,
    pub rd_data: Signal<In, Bits<64>>,
    pub wr_addr: Signal<Out, Bits<ADDR_BITS>>,
    pub wr_data: Signal<Out, Bits<64>>,
    pub wr_en: Signal<Out, bool>,
    /// Pulse with the last word's write.
    pub done: Signal<Out, bool>,

    word_mask: RangeMask,
    word_one: Constant<Bits<ADDR_BITS>>,
    bit_zero: Constant<Bits<6>>,
    bit_last: Constant<Bits<6>>,

    // Read side.
    reading: DFF<bool>,
    rd_word: DFF<Bits<ADDR_BITS>>,
    rd_first: DFF<bool>,
    end_word: DFF<Bits<ADDR_BITS>>,
    lo_bit: DFF<Bits<6>>,
    hi_bit: DFF<Bits<6>>,
    setting: DFF<bool>,
    // Write side: the word whose data is on `rd_data`.
    w_valid: DFF<bool>,
    w_word: DFF<Bits<ADDR_BITS>>,
    w_first: DFF<bool>,
    w_last: DFF<bool>,
}

impl<const ADDR_BITS: usize> Default for RangeWrite<ADDR_BITS> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            start: Default::default(),
            first_word: Default::default(),
            first_bit: Default::default(),
            last_word: Default::default(),
            last_bit: Default::default(),
            set: Default::default(),
            rd_addr: Default::default(),
            rd_data: Default::default(),
            wr_addr: Default::default(),
            wr_data: Default::default(),
            wr_en: Default::default(),
            done: Default::default(),
            word_mask: Default::default(),
            word_one: Constant::new(1u64.to_bits()),
            bit_zero: Constant::new(0u64.to_bits()),
            bit_last: Constant::new((WORD_UNITS as u64 - 1).to_bits()),
            reading: Default::default(),
            rd_word: Default::default(),
            rd_first: Default::default(),
            end_word: Default::default(),
            lo_bit: Default::default(),
            hi_bit: Default::default(),
            setting: Default::default(),
            w_valid: Default::default(),
            w_word: Default::default(),
            w_first: Default::default(),
            w_last: Default::default(),
        }
    }
}

impl<const ADDR_BITS: usize> Logic for RangeWrite<ADDR_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, reading, rd_word, rd_first, end_word, lo_bit, hi_bit, setting, w_valid,
            w_word, w_first, w_last
        );
        // Write the word read last cycle.
        self.word_mask.lo.next = self.bit_zero.val();
        if self.w_first.q.val() {
            self.word_mask.lo.next = self.lo_bit.q.val();
        }
        self.word_mask.hi.next = self.bit_last.val();
        if self.w_last.q.val() {
            self.word_mask.hi.next = self.hi_bit.q.val();
        }
        self.wr_addr.next = self.w_word.q.val();
        self.wr_en.next = self.w_valid.q.val();
        self.wr_data.next = self.rd_data.val() & !self.word_mask.mask.val();
        if self.setting.q.val() {
            self.wr_data.next = self.rd_data.val() | self.word_mask.mask.val();
        }
        self.done.next = self.w_valid.q.val() && self.w_last.q.val();

        // Read the next word.
        self.rd_addr.next = self.rd_word.q.val();
        self.w_valid.d.next = self.reading.q.val();
        self.w_word.d.next = self.rd_word.q.val();
        self.w_first.d.next = self.rd_first.q.val();
        self.w_last.d.next = self.rd_word.q.val() == self.end_word.q.val();
        if self.reading.q.val() {
            self.rd_first.d.next = false;
            self.rd_word.d.next = self.rd_word.q.val() + self.word_one.val();
            if self.rd_word.q.val() == self.end_word.q.val() {
                self.reading.d.next = false;
            }
        }

        if self.start.val() {
            self.reading.d.next = true;
            self.rd_word.d.next = self.first_word.val();
            self.rd_first.d.next = true;
            self.end_word.d.next = self.last_word.val();
            self.lo_bit.d.next = self.first_bit.val();
            self.hi_bit.d.next = self.last_bit.val();
            self.setting.d.next = self.set.val();
        }
    }
}
