//! `PageBuffer`: the 4 KiB page in block RAM, written one 8-byte beat per clock,
//! read as an 8-byte window starting at ANY byte position per clock.
//!
//! Eight byte-lane banks (`RAM<Bits<8>, 9>`, 512 deep): byte `p` lives in bank
//! `p % 8` at address `p / 8`. A window read at `p` addresses bank `b` at
//! `p/8 + (b < p%8)`, and the bank outputs are rotated by `p%8` bytes one clock later.
//! Window bytes past the page end wrap to the page start; users mask them.
//! Read latency: one clock (the address presented in cycle t, data valid in t+1).

use super::widen::ZeroExtend;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct PageBuffer {
    pub clock: Signal<In, Clock>,
    /// Beat index (`byte address / 8`) written when `wr_en`.
    pub wr_beat: Signal<In, Bits<9>>,
    /// Page bytes `8*wr_beat ..+ 8`, little-endian.
    pub wr_data: Signal<In, Bits<64>>,
    pub wr_en: Signal<In, bool>,
    /// Byte position of the window to read.
    pub rd_pos: Signal<In, Bits<12>>,
    /// Bytes `rd_pos ..+ 8` of the previous clock's `rd_pos`, little-endian.
    pub rd_data: Signal<Out, Bits<64>>,
    banks: [RAM<Bits<8>, 9>; 8],
    lane: [Constant<Bits<3>>; 7],
    one: Constant<Bits<9>>,
    lo_shift: [Constant<Bits<6>>; 8],
    /// `rot_of[8j + b]`: the rotation at which bank `b` supplies window byte `j`.
    rot_of: [Constant<Bits<3>>; 64],
    zero64: Constant<Bits<64>>,
    bank_ext: [ZeroExtend<8, 64>; 8],
    rot: DFF<Bits<3>>,
}

impl Default for PageBuffer {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            wr_beat: Default::default(),
            wr_data: Default::default(),
            wr_en: Default::default(),
            rd_pos: Default::default(),
            rd_data: Default::default(),
            banks: Default::default(),
            lane: std::array::from_fn(|i| Constant::new((i as u64).to_bits())),
            one: Constant::new(1u64.to_bits()),
            lo_shift: std::array::from_fn(|i| Constant::new((8 * i as u64).to_bits())),
            rot_of: std::array::from_fn(|i| {
                let (j, b) = (i / 8, i % 8);
                Constant::new((((b + 8 - j) % 8) as u64).to_bits())
            }),
            zero64: Constant::new(0u64.to_bits()),
            bank_ext: Default::default(),
            rot: Default::default(),
        }
    }
}

impl Logic for PageBuffer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, rot);
        self.rot.d.next = self.rd_pos.val().get_bits::<3>(0);
        self.rd_data.next = self.zero64.val();
        for b in 0..8 {
            self.banks[b].write_clock.next = self.clock.val();
            self.banks[b].read_clock.next = self.clock.val();
            self.banks[b].write_address.next = self.wr_beat.val();
            self.banks[b].write_data.next = self.wr_data.val().get_bits::<8>(8 * b);
            self.banks[b].write_enable.next = self.wr_en.val();
            // Bank b holds window byte j = (b - rd_pos) mod 8; it is at the next
            // address when b < rd_pos % 8 (never for bank 7).
            self.banks[b].read_address.next = self.rd_pos.val().get_bits::<9>(3);
            self.bank_ext[b].narrow.next = self.banks[b].read_data.val();
        }
        for b in 0..7 {
            if self.rd_pos.val().get_bits::<3>(0) > self.lane[b].val() {
                self.banks[b].read_address.next =
                    self.rd_pos.val().get_bits::<9>(3) + self.one.val();
            }
        }
        // Window byte j comes from bank (j + rot) mod 8.
        for j in 0..8 {
            for b in 0..8 {
                if self.rot.q.val() == self.rot_of[8 * j + b].val() {
                    self.rd_data.next = self.rd_data.val()
                        | (self.bank_ext[b].wide.val() << self.lo_shift[j].val());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compressor::lint_core;
    use crate::compressor::testutil::tick;

    #[test]
    fn page_buffer_reads_any_window() {
        let mut uut = PageBuffer::default();
        uut.connect_all();
        let page: Vec<u8> = (0..4096u32).map(|i| (i * 7 + (i >> 8)) as u8).collect();
        for beat in 0..512 {
            let w = u64::from_le_bytes(page[beat * 8..beat * 8 + 8].try_into().unwrap());
            uut.wr_beat.next = (beat as u64).to_bits();
            uut.wr_data.next = w.to_bits();
            uut.wr_en.next = true;
            tick(&mut uut, |u| &mut u.clock);
        }
        uut.wr_en.next = false;
        for pos in (0..4096usize).step_by(13).chain([4088, 4089, 4095]) {
            uut.rd_pos.next = (pos as u64).to_bits();
            tick(&mut uut, |u| &mut u.clock);
            let got = uut.rd_data.val().to_u64().to_le_bytes();
            for (j, &g) in got.iter().enumerate() {
                assert_eq!(g, page[(pos + j) % 4096], "pos {pos} byte {j}");
            }
        }
    }

    #[test]
    fn page_buffer_verilog_lints() {
        let mut uut = PageBuffer::default();
        uut.connect_all();
        lint_core("compressor_page_buffer", &uut);
    }
}
