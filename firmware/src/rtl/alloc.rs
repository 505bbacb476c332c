//! `UnitAlloc`: the device-memory allocator — a bitmap of allocation units in
//! on-chip RAM with next-fit search, giving for every sequence of operations
//! exactly the results of the model [`UnitAllocator`](crate::model::alloc::UnitAllocator)
//! (`docs/device-rtl.md`, "UnitAlloc").
//!
//! # Ports
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | |
//! | `op_valid`/`op_ready` | in/out | 1 | `op_ready` is high when idle |
//! | `op` | in | 2 | [`OP_ALLOC`], [`OP_FREE`], [`OP_CLEAR`]; 3 completes at once, changing nothing |
//! | `op_start` | in | 32 | FREE: first unit |
//! | `op_n` | in | 8 | ALLOC/FREE: units (frames need 1 ..= 66; any 1 ..= 255 works) |
//! | `done` | out | 1 | pulse: the operation finished |
//! | `ok` | out | 1 | ALLOC: found a run (0 on failure); holds until the next ALLOC |
//! | `unit` | out | 32 | ALLOC: first unit of the run (0 on failure) |
//! | `used` | out | 32 | units in use (live) |
//!
//! - **ALLOC** `n`: fails at once when `n > units - used` (or `n` is 0, which
//!   the model does not take); else the first run of `n` free units in
//!   `[cursor, units)`, then in `[0, min(cursor + n, units))` (runs do not wrap
//!   past the end); on success the units are marked used and the cursor moves
//!   one past the run (0 at the end).
//! - **FREE** `(start, n)`: clears units `start .. start + n` (an earlier
//!   allocation: freeing free units is the caller's error, as in the model);
//!   `used` drops at once. A range that does not end before `units` (or `n`
//!   = 0) completes at once and changes nothing.
//! - **CLEAR**: zeroes the bitmap, `used` and the cursor.
//!
//! After power-up the block clears the bitmap (RAM contents are not
//! initialised in hardware): `op_ready` is low for `units / 64 + 2` cycles and
//! no `done` pulses; it then behaves as after CLEAR.
//!
//! # Microarchitecture
//!
//! The bitmap is `RAM<Bits<64>, ADDR_BITS>` (bit `u % 64` of word `u / 64` set:
//! unit `u` in use), one read and one write port. [`RunSearch`] sweeps it one
//! word per cycle through a three-stage pipeline (issue, scan, decide) and
//! carries from word to word where a run crossing into the next word would
//! end, so a run may span any number of words; [`RangeWrite`] then sets the run's bits by read-modify-write
//! of each word it touches, also one word per cycle (FREE clears them, CLEAR and
//! power-up clear every word). `UnitAlloc` itself holds `used`, the cursor and
//! the state machine, and gives the RAM's read port to whichever of the two
//! is running.
//!
//! **Critical path** (yosys `synth; abc -lut 6; ltp`, adders mapped to LUTs
//! rather than carry chains, so an upper bound): 8 LUT levels, in two places —
//! [`RunSearch`]'s decide stage (the registered word facts, the crossing-run
//! compare, `found`/`missed` into the state register and the search's issue
//! control) and the 32-bit `used` arithmetic. The scan stage (RAM read data,
//! the pass mask made a cycle earlier, [`WordScan`](word_scan::WordScan)'s
//! doubling windows and run extension) is 6 levels; [`RangeWrite`] 3.
//!
//! **Area** of the device build (`UnitAlloc<11>`, 131072 units, yosys
//! `synth_xilinx`; the ignored `device_size_area` test): 4 RAMB36 (the 2048 x
//! 64 bitmap), 1728 LUTs, 386 flip-flops, 121 CARRY4.
//!
//! # Timing
//!
//! Cycles from the cycle `op_valid && op_ready` to the cycle `done` is high
//! (`op_ready` is high again in that cycle); `words = units / 64`. All are
//! checked exactly by the tests.
//!
//! | operation | cycles |
//! |---|---|
//! | ALLOC whose run ends in the `k`-th word swept (from 0) and spans `w` words | `6 + k + w` |
//! | ALLOC, best: a run inside the cursor's word | 7 |
//! | ALLOC refused by the free-space check (`n > units - used`) | 1 |
//! | ALLOC finding no run, worst: sweeps `s` words (pass 1 from the cursor's word to the end, pass 2 from 0 to `min(cursor + n, units) - 1`) | `3 + s`; `s <= words + 3` for runs of up to 66 units |
//! | FREE of a range spanning `w` words | `2 + w` |
//! | CLEAR | `words + 2` |
//!
//! Power-up: `op_ready` rises `words + 2` cycles after the first edge. Next
//! fit keeps ALLOC near its best while memory has room, because the cursor
//! sits at the start of the free space after the last run: on the random
//! workload of the tests (memory filled to exhaustion and drained again,
//! runs of 1 ..= 255 units, 10 words), successful ALLOCs took 7 cycles at best,
//! 8.0 on average and 18 at worst.

mod range_write;
mod search;
#[cfg(test)]
mod tests;
pub mod word_scan;

use pagepress_rtl::compressor::widen::ZeroExtend;
pub use range_write::RangeWrite;
use rust_hdl::prelude::*;
pub use search::RunSearch;
use word_scan::WORD_UNITS;

/// `op`: allocate `op_n` contiguous units.
pub const OP_ALLOC: u8 = 0;
/// `op`: free `op_n` units from `op_start`.
pub const OP_FREE: u8 = 1;
/// `op`: free every unit, cursor to 0.
pub const OP_CLEAR: u8 = 2;

// States. rust-hdl's enum-typed DFFs do not lint clean (a 64-bit initialiser
// and unused localparams in the DFF module; checked with this block's lint
// test), so the state register is `Bits<3>` compared with named constants.
/// First cycle after power-up (0, the DFF's initial value): start the sweep.
const S_POWER_UP: u64 = 0;
/// The power-up sweep (no `done` at its end).
const S_BOOTING: u64 = 1;
const S_IDLE: u64 = 2;
/// `RunSearch` is sweeping.
const S_SEARCHING: u64 = 3;
/// A run was found: account it, start marking it.
const S_PLACING: u64 = 4;
/// `RangeWrite` is marking, freeing or clearing.
const S_WRITING: u64 = 5;

/// The allocator; `ADDR_BITS` sizes the bitmap RAM (`64 << ADDR_BITS` units at most).
#[derive(LogicBlock)]
pub struct UnitAlloc<const ADDR_BITS: usize> {
    pub clock: Signal<In, Clock>,
    pub op_valid: Signal<In, bool>,
    pub op_ready: Signal<Out, bool>,
    pub op: Signal<In, Bits<2>>,
    pub op_start: Signal<In, Bits<32>>,
    pub op_n: Signal<In, Bits<8>>,
    pub done: Signal<Out, bool>,
    pub ok: Signal<Out, bool>,
    pub unit: Signal<Out, Bits<32>>,
    pub used: Signal<Out, Bits<32>>,

    bitmap: RAM<Bits<64>, ADDR_BITS>,
    search: RunSearch<ADDR_BITS>,
    writer: RangeWrite<ADDR_BITS>,
    n_wide: ZeroExtend<8, 32>,

    op_alloc: Constant<Bits<2>>,
    op_free: Constant<Bits<2>>,
    op_clear: Constant<Bits<2>>,
    s_power_up: Constant<Bits<3>>,
    s_booting: Constant<Bits<3>>,
    s_idle: Constant<Bits<3>>,
    s_searching: Constant<Bits<3>>,
    s_placing: Constant<Bits<3>>,
    s_writing: Constant<Bits<3>>,
    units: Constant<Bits<32>>,
    last_unit: Constant<Bits<32>>,
    unit_zero: Constant<Bits<32>>,
    unit_one: Constant<Bits<32>>,
    count_zero: Constant<Bits<8>>,
    word_zero: Constant<Bits<ADDR_BITS>>,
    last_word: Constant<Bits<ADDR_BITS>>,
    first_bit: Constant<Bits<6>>,
    last_bit: Constant<Bits<6>>,

    state: DFF<Bits<3>>,
    used_q: DFF<Bits<32>>,
    cursor: DFF<Bits<32>>,
    /// The ALLOC's `n`, for `Placing`.
    alloc_n: DFF<Bits<32>>,
    /// Last unit of the run found.
    run_last: DFF<Bits<32>>,
    done_q: DFF<bool>,
    ok_q: DFF<bool>,
    unit_q: DFF<Bits<32>>,

    free_last: Signal<Local, Bits<32>>,
    run_first: Signal<Local, Bits<32>>,
}

impl<const ADDR_BITS: usize> UnitAlloc<ADDR_BITS> {
    /// An allocator of `units` units (a multiple of 64, at most `64 << ADDR_BITS`).
    pub fn new(units: u32) -> Self {
        Self::with_bitmap(units, RAM::default())
    }

    /// As [`new`](Self::new), with the bitmap RAM's power-up contents given
    /// (the simulator's RAM starts at 0, hardware's does not).
    fn with_bitmap(units: u32, bitmap: RAM<Bits<64>, ADDR_BITS>) -> Self {
        fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
            Constant::new(v.to_bits())
        }
        Self {
            clock: Default::default(),
            op_valid: Default::default(),
            op_ready: Default::default(),
            op: Default::default(),
            op_start: Default::default(),
            op_n: Default::default(),
            done: Default::default(),
            ok: Default::default(),
            unit: Default::default(),
            used: Default::default(),
            bitmap,
            search: RunSearch::new(units),
            writer: Default::default(),
            n_wide: Default::default(),
            op_alloc: k(OP_ALLOC as u64),
            op_free: k(OP_FREE as u64),
            op_clear: k(OP_CLEAR as u64),
            s_power_up: k(S_POWER_UP),
            s_booting: k(S_BOOTING),
            s_idle: k(S_IDLE),
            s_searching: k(S_SEARCHING),
            s_placing: k(S_PLACING),
            s_writing: k(S_WRITING),
            units: k(units as u64),
            last_unit: k(units as u64 - 1),
            unit_zero: k(0),
            unit_one: k(1),
            count_zero: k(0),
            word_zero: k(0),
            last_word: k(units as u64 / WORD_UNITS as u64 - 1),
            first_bit: k(0),
            last_bit: k(WORD_UNITS as u64 - 1),
            state: Default::default(),
            used_q: Default::default(),
            cursor: Default::default(),
            alloc_n: Default::default(),
            run_last: Default::default(),
            done_q: Default::default(),
            ok_q: Default::default(),
            unit_q: Default::default(),
            free_last: Default::default(),
            run_first: Default::default(),
        }
    }
}

impl<const ADDR_BITS: usize> Logic for UnitAlloc<ADDR_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, used_q, cursor, alloc_n, run_last, done_q, ok_q, unit_q
        );
        self.op_ready.next = self.state.q.val() == self.s_idle.val();
        self.done.next = self.done_q.q.val();
        self.ok.next = self.ok_q.q.val();
        self.unit.next = self.unit_q.q.val();
        self.used.next = self.used_q.q.val();
        self.done_q.d.next = false;

        // The bitmap: the writer owns the write port, the read port goes to
        // the search while it runs.
        self.bitmap.read_clock.next = self.clock.val();
        self.bitmap.write_clock.next = self.clock.val();
        self.bitmap.read_address.next = self.writer.rd_addr.val();
        if self.state.q.val() == self.s_searching.val() {
            self.bitmap.read_address.next = self.search.rd_addr.val();
        }
        self.bitmap.write_address.next = self.writer.wr_addr.val();
        self.bitmap.write_data.next = self.writer.wr_data.val();
        self.bitmap.write_enable.next = self.writer.wr_en.val();
        self.search.clock.next = self.clock.val();
        self.search.rd_data.next = self.bitmap.read_data.val();
        self.writer.clock.next = self.clock.val();
        self.writer.rd_data.next = self.bitmap.read_data.val();

        self.search.start.next = false;
        self.search.cursor.next = self.cursor.q.val();
        self.search.n.next = self.op_n.val();
        self.n_wide.narrow.next = self.op_n.val();
        self.free_last.next = self.op_start.val() + self.n_wide.wide.val() - self.unit_one.val();
        self.run_first.next = self.run_last.q.val() + self.unit_one.val() - self.alloc_n.q.val();
        // The writer clears every unit unless an operation says otherwise.
        self.writer.start.next = false;
        self.writer.first_word.next = self.word_zero.val();
        self.writer.first_bit.next = self.first_bit.val();
        self.writer.last_word.next = self.last_word.val();
        self.writer.last_bit.next = self.last_bit.val();
        self.writer.set.next = false;

        if self.state.q.val() == self.s_power_up.val() {
            self.writer.start.next = true;
            self.state.d.next = self.s_booting.val();
        }
        if self.state.q.val() == self.s_booting.val() && self.writer.done.val() {
            self.state.d.next = self.s_idle.val();
        }
        if self.state.q.val() == self.s_idle.val() && self.op_valid.val() {
            // Operations that find nothing to do answer at once.
            self.done_q.d.next = true;
            if self.op.val() == self.op_alloc.val() {
                self.ok_q.d.next = false;
                self.unit_q.d.next = self.unit_zero.val();
                self.alloc_n.d.next = self.n_wide.wide.val();
                if self.op_n.val() != self.count_zero.val()
                    && self.n_wide.wide.val() <= self.units.val() - self.used_q.q.val()
                {
                    self.done_q.d.next = false;
                    self.search.start.next = true;
                    self.state.d.next = self.s_searching.val();
                }
            }
            // A FREE past the last unit is refused rather than wrapping
            // onto other words.
            if self.op.val() == self.op_free.val()
                && self.op_n.val() != self.count_zero.val()
                && self.op_start.val() < self.units.val()
                && self.free_last.val() < self.units.val()
            {
                self.done_q.d.next = false;
                self.used_q.d.next = self.used_q.q.val() - self.n_wide.wide.val();
                self.writer.first_word.next = self.op_start.val().get_bits::<ADDR_BITS>(6);
                self.writer.first_bit.next = self.op_start.val().get_bits::<6>(0);
                self.writer.last_word.next = self.free_last.val().get_bits::<ADDR_BITS>(6);
                self.writer.last_bit.next = self.free_last.val().get_bits::<6>(0);
                self.writer.start.next = true;
                self.state.d.next = self.s_writing.val();
            }
            if self.op.val() == self.op_clear.val() {
                self.done_q.d.next = false;
                self.used_q.d.next = self.unit_zero.val();
                self.cursor.d.next = self.unit_zero.val();
                self.writer.start.next = true;
                self.state.d.next = self.s_writing.val();
            }
        }
        if self.state.q.val() == self.s_searching.val() {
            if self.search.found.val() {
                self.run_last.d.next = self.search.last_unit.val();
                self.state.d.next = self.s_placing.val();
            }
            if self.search.missed.val() {
                self.done_q.d.next = true;
                self.state.d.next = self.s_idle.val();
            }
        }
        if self.state.q.val() == self.s_placing.val() {
            self.ok_q.d.next = true;
            self.unit_q.d.next = self.run_first.val();
            self.used_q.d.next = self.used_q.q.val() + self.alloc_n.q.val();
            self.cursor.d.next = self.run_last.q.val() + self.unit_one.val();
            if self.run_last.q.val() == self.last_unit.val() {
                self.cursor.d.next = self.unit_zero.val();
            }
            self.writer.first_word.next = self.run_first.val().get_bits::<ADDR_BITS>(6);
            self.writer.first_bit.next = self.run_first.val().get_bits::<6>(0);
            self.writer.last_word.next = self.run_last.q.val().get_bits::<ADDR_BITS>(6);
            self.writer.last_bit.next = self.run_last.q.val().get_bits::<6>(0);
            self.writer.set.next = true;
            self.writer.start.next = true;
            self.state.d.next = self.s_writing.val();
        }
        if self.state.q.val() == self.s_writing.val() && self.writer.done.val() {
            self.done_q.d.next = true;
            self.state.d.next = self.s_idle.val();
        }
    }
}

/// The Verilog (`module top`) of an allocator of `units` units.
pub fn unit_alloc_verilog<const ADDR_BITS: usize>(units: u32) -> String {
    let mut uut = UnitAlloc::<ADDR_BITS>::new(units);
    uut.connect_all();
    generate_verilog(&uut)
}
