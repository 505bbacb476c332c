//! `Stats`: the device's statistics counters (`pagepress_abi::stats::StatCounter`),
//! 64 bits each, with two read ports.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | |
//! | `bump_valid` | in | 1 | add `bump_n` to counter `bump_idx` at this edge |
//! | `bump_idx` | in | 5 | a `StatCounter` index (bumps of the two gauges are ignored) |
//! | `bump_n` | in | 32 | |
//! | `clear` | in | 1 | zero every counter at this edge (wins over a bump) |
//! | `entries` | in | 32 | gauge `Entries`: index entries held (live) |
//! | `used_units` | in | 32 | gauge `DevmemUsed` in allocation units (live); reads as bytes |
//! | `rd_idx` | in | 5 | CSR read port: counter index ... |
//! | `rd_value` | out | 64 | ... its value one cycle later |
//! | `snap_idx` | in | 5 | STATS snapshot read port: counter index ... |
//! | `snap_value` | out | 64 | ... its value one cycle later |
//!
//! Two read ports because the CSR may read a counter while the executor writes a
//! STATS snapshot (the contract's single `rd_idx` port would make one wait). An
//! index of 21 or more reads 0. The gauges are read live, so `clear` leaves them
//! as the index and allocator report them; every other counter is a register
//! bumped through one shared 64-bit adder (one bump per cycle).

use pagepress_abi::stats::{STAT_COUNT, StatCounter};
use pagepress_rtl::compressor::widen::ZeroExtend;
use rust_hdl::prelude::*;

/// Counter index width.
pub type StatIdx = Bits<5>;

const _: () = assert!(STAT_COUNT <= 1 << 5);

#[derive(LogicBlock)]
pub struct Stats {
    pub clock: Signal<In, Clock>,
    pub bump_valid: Signal<In, bool>,
    pub bump_idx: Signal<In, StatIdx>,
    pub bump_n: Signal<In, Bits<32>>,
    pub clear: Signal<In, bool>,
    pub entries: Signal<In, Bits<32>>,
    pub used_units: Signal<In, Bits<32>>,
    pub rd_idx: Signal<In, StatIdx>,
    pub rd_value: Signal<Out, Bits<64>>,
    pub snap_idx: Signal<In, StatIdx>,
    pub snap_value: Signal<Out, Bits<64>>,
    count: [DFF<Bits<64>>; STAT_COUNT],
    rd_q: DFF<Bits<64>>,
    snap_q: DFF<Bits<64>>,
    /// `idx[i]` = i, the counter index as a sized constant.
    idx: [Constant<StatIdx>; STAT_COUNT],
    /// False for the two gauges: their registers are never bumped.
    is_counter: [Constant<bool>; STAT_COUNT],
    entries_idx: Constant<StatIdx>,
    devmem_used_idx: Constant<StatIdx>,
    /// log2 of the allocation unit: `DevmemUsed = used_units << unit_shift`.
    unit_shift: Constant<Bits<6>>,
    zero: Constant<Bits<64>>,
    bump_wide: ZeroExtend<32, 64>,
    entries_wide: ZeroExtend<32, 64>,
    used_wide: ZeroExtend<32, 64>,
    /// Scratch: the counter a bump adds to, and the two gauges in bytes.
    bumped: Signal<Local, Bits<64>>,
    devmem_used: Signal<Local, Bits<64>>,
}

impl Stats {
    /// Counters for a device whose allocation unit is `alloc_unit` bytes (a power of two).
    pub fn new(alloc_unit: u32) -> Self {
        assert!(alloc_unit.is_power_of_two());
        let gauge =
            |i: usize| i == StatCounter::Entries as usize || i == StatCounter::DevmemUsed as usize;
        Stats {
            clock: Default::default(),
            bump_valid: Default::default(),
            bump_idx: Default::default(),
            bump_n: Default::default(),
            clear: Default::default(),
            entries: Default::default(),
            used_units: Default::default(),
            rd_idx: Default::default(),
            rd_value: Default::default(),
            snap_idx: Default::default(),
            snap_value: Default::default(),
            count: Default::default(),
            rd_q: Default::default(),
            snap_q: Default::default(),
            idx: std::array::from_fn(|i| Constant::new((i as u64).to_bits())),
            is_counter: std::array::from_fn(|i| Constant::new(!gauge(i))),
            entries_idx: Constant::new((StatCounter::Entries as u64).to_bits()),
            devmem_used_idx: Constant::new((StatCounter::DevmemUsed as u64).to_bits()),
            unit_shift: Constant::new((alloc_unit.trailing_zeros() as u64).to_bits()),
            zero: Constant::new(0u64.to_bits()),
            bump_wide: Default::default(),
            entries_wide: Default::default(),
            used_wide: Default::default(),
            bumped: Default::default(),
            devmem_used: Default::default(),
        }
    }
}

impl Logic for Stats {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, rd_q, snap_q);
        self.bump_wide.narrow.next = self.bump_n.val();
        self.entries_wide.narrow.next = self.entries.val();
        self.used_wide.narrow.next = self.used_units.val();
        self.devmem_used.next = self.used_wide.wide.val() << self.unit_shift.val();
        self.bumped.next = self.zero.val();
        self.rd_q.d.next = self.zero.val();
        self.snap_q.d.next = self.zero.val();
        for i in 0..STAT_COUNT {
            self.count[i].clock.next = self.clock.val();
            self.count[i].d.next = self.count[i].q.val();
            if self.bump_idx.val() == self.idx[i].val() {
                self.bumped.next = self.count[i].q.val();
            }
            if self.rd_idx.val() == self.idx[i].val() {
                self.rd_q.d.next = self.count[i].q.val();
            }
            if self.snap_idx.val() == self.idx[i].val() {
                self.snap_q.d.next = self.count[i].q.val();
            }
        }
        for i in 0..STAT_COUNT {
            if self.bump_valid.val()
                & (self.bump_idx.val() == self.idx[i].val())
                & self.is_counter[i].val()
            {
                self.count[i].d.next = self.bumped.val() + self.bump_wide.wide.val();
            }
            if self.clear.val() {
                self.count[i].d.next = self.zero.val();
            }
        }
        // The gauges are read live.
        if self.rd_idx.val() == self.entries_idx.val() {
            self.rd_q.d.next = self.entries_wide.wide.val();
        }
        if self.rd_idx.val() == self.devmem_used_idx.val() {
            self.rd_q.d.next = self.devmem_used.val();
        }
        if self.snap_idx.val() == self.entries_idx.val() {
            self.snap_q.d.next = self.entries_wide.wide.val();
        }
        if self.snap_idx.val() == self.devmem_used_idx.val() {
            self.snap_q.d.next = self.devmem_used.val();
        }
        self.rd_value.next = self.rd_q.q.val();
        self.snap_value.next = self.snap_q.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::executor::testutil::{lint, tick};
    use pagepress_codec::corpus::SplitMix64;

    const ALLOC_UNIT: u32 = 64;

    fn stats() -> Box<Stats> {
        let mut uut = Box::new(Stats::new(ALLOC_UNIT));
        uut.connect_all();
        uut
    }

    /// Reads counter `rd` through the CSR port and `snap` through the snapshot port.
    fn read(uut: &mut Stats, rd: usize, snap: usize) -> (u64, u64) {
        uut.rd_idx.next = (rd as u64).to_bits();
        uut.snap_idx.next = (snap as u64).to_bits();
        tick(uut, |u| &mut u.clock);
        (uut.rd_value.val().to_u64(), uut.snap_value.val().to_u64())
    }

    /// Random bumps, gauge changes and clears against an array of u64; every
    /// counter read back through both ports after each step.
    #[test]
    fn counts_bumps_and_gauges_like_an_array() {
        let mut uut = stats();
        let mut rng = SplitMix64(7);
        let mut want = [0u64; STAT_COUNT];
        for step in 0..300 {
            let i = rng.below(STAT_COUNT as u64) as usize;
            let n = match rng.below(3) {
                0 => rng.next_u64() as u32,
                1 => u32::MAX,
                _ => rng.below(5) as u32,
            };
            let clear = rng.below(40) == 0;
            uut.bump_valid.next = true;
            uut.bump_idx.next = (i as u64).to_bits();
            uut.bump_n.next = (n as u64).to_bits();
            uut.clear.next = clear;
            let entries = rng.next_u64() as u32;
            let used = rng.below(1 << 20) as u32;
            uut.entries.next = (entries as u64).to_bits();
            uut.used_units.next = (used as u64).to_bits();
            tick(&mut *uut, |u| &mut u.clock);
            uut.bump_valid.next = false;
            uut.clear.next = false;
            if clear {
                want = [0; STAT_COUNT];
            } else {
                want[i] = want[i].wrapping_add(n as u64);
            }
            want[StatCounter::Entries as usize] = entries as u64;
            want[StatCounter::DevmemUsed as usize] = used as u64 * ALLOC_UNIT as u64;
            if step % 10 == 0 {
                for c in 0..STAT_COUNT {
                    let (r, s) = read(&mut uut, c, STAT_COUNT - 1 - c);
                    assert_eq!(r, want[c], "step {step}: counter {c} via rd");
                    assert_eq!(s, want[STAT_COUNT - 1 - c], "step {step}: via snap");
                }
            }
        }
        // Past the last counter reads 0.
        assert_eq!(read(&mut uut, STAT_COUNT + 3, 31), (0, 0));
    }

    #[test]
    fn stats_verilog_lints() {
        lint("exec_stats", &*stats());
    }
}
