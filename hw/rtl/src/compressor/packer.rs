//! `BytePacker`: gathers chunks of 1..=8 bytes into full 8-byte output beats.
//!
//! Input: `in_data` (little-endian, the low `in_count` bytes valid) with
//! `in_valid`/`in_ready`; `in_end` marks the frame's last chunk. Output: 8-byte beats
//! with `out_valid`/`out_ready`; every beat carries 8 bytes except the frame's last,
//! which carries `out_bytes` (1..=8) and `out_last`. After a chunk with `in_end`,
//! no input is taken until the frame's last beat has left.
//!
//! A 16-byte buffer: input is taken while at most 8 bytes are held, or while a beat
//! leaves in the same clock (so `in_ready` depends on `out_ready`); one chunk in and one
//! beat out can both happen every clock (8 bytes/clock sustained).

use super::widen::ZeroExtend;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct BytePacker {
    pub clock: Signal<In, Clock>,
    pub in_data: Signal<In, Bits<64>>,
    pub in_count: Signal<In, Bits<4>>,
    pub in_end: Signal<In, bool>,
    pub in_valid: Signal<In, bool>,
    pub in_ready: Signal<Out, bool>,
    pub out_data: Signal<Out, Bits<64>>,
    pub out_bytes: Signal<Out, Bits<4>>,
    pub out_last: Signal<Out, bool>,
    pub out_valid: Signal<Out, bool>,
    pub out_ready: Signal<In, bool>,
    /// No byte held and no frame in progress.
    pub empty: Signal<Out, bool>,
    held: DFF<Bits<128>>,
    fill: DFF<Bits<8>>,
    fin: DFF<bool>,
    k0: Constant<Bits<8>>,
    k8: Constant<Bits<8>>,
    k16: Constant<Bits<8>>,
    k128: Constant<Bits<8>>,
    ones: Constant<Bits<128>>,
    data_ext: ZeroExtend<64, 128>,
    count_ext: ZeroExtend<4, 8>,
    take: Signal<Local, Bits<8>>,
    sbuf: Signal<Local, Bits<128>>,
    sfill: Signal<Local, Bits<8>>,
    fire_out: Signal<Local, bool>,
}

impl Default for BytePacker {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            in_data: Default::default(),
            in_count: Default::default(),
            in_end: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            out_data: Default::default(),
            out_bytes: Default::default(),
            out_last: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            empty: Default::default(),
            held: Default::default(),
            fill: Default::default(),
            fin: Default::default(),
            k0: Constant::new(0u64.to_bits()),
            k8: Constant::new(8u64.to_bits()),
            k16: Constant::new(16u64.to_bits()),
            k128: Constant::new(128u64.to_bits()),
            ones: Constant::new(!Bits::<128>::default()),
            data_ext: Default::default(),
            count_ext: Default::default(),
            take: Default::default(),
            sbuf: Default::default(),
            sfill: Default::default(),
            fire_out: Default::default(),
        }
    }
}

impl Logic for BytePacker {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, held, fill, fin);
        // Widen the ports first, in plain assignments.
        self.data_ext.narrow.next = self.in_data.val();
        self.count_ext.narrow.next = self.in_count.val();
        self.out_data.next = self.held.q.val().get_bits::<64>(0);
        self.out_valid.next = (self.fill.q.val() >= self.k8.val())
            | (self.fin.q.val() & (self.fill.q.val() != self.k0.val()));
        self.out_last.next = self.fin.q.val() & (self.fill.q.val() <= self.k8.val());
        if self.fill.q.val() >= self.k8.val() {
            self.take.next = self.k8.val();
        } else {
            self.take.next = self.fill.q.val();
        }
        self.out_bytes.next = self.take.val().get_bits::<4>(0);
        self.fire_out.next = self.out_valid.val() & self.out_ready.val();
        // Room for 8 more bytes: at most 8 held, or a beat leaves in this clock.
        self.in_ready.next = !self.fin.q.val()
            & ((self.fill.q.val() <= self.k8.val())
                | (self.out_ready.val() & (self.fill.q.val() <= self.k16.val())));
        self.empty.next = !self.fin.q.val() & (self.fill.q.val() == self.k0.val());

        if self.fire_out.val() {
            self.sbuf.next = self.held.q.val() >> 64;
            self.sfill.next = self.fill.q.val() - self.take.val();
        } else {
            self.sbuf.next = self.held.q.val();
            self.sfill.next = self.fill.q.val();
        }
        // The low `in_count` bytes of the chunk, placed after the held bytes.
        self.held.d.next = self.sbuf.val();
        self.fill.d.next = self.sfill.val();
        if self.in_valid.val() & self.in_ready.val() {
            self.held.d.next = self.sbuf.val()
                | ((self.data_ext.wide.val()
                    & (self.ones.val() >> (self.k128.val() - (self.count_ext.wide.val() << 3))))
                    << (self.sfill.val() << 3));
            self.fill.d.next = self.sfill.val() + self.count_ext.wide.val();
            if self.in_end.val() {
                self.fin.d.next = true;
            }
        }
        if self.fire_out.val() & self.out_last.val() {
            self.fin.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compressor::lint_core;
    use crate::compressor::testutil::tick;

    /// Feeds chunks of varying size with a stalling consumer; the beats carry the
    /// same bytes, 8 per beat, the last one short and flagged.
    #[test]
    fn packer_repacks_chunks() {
        let mut uut = BytePacker::default();
        uut.connect_all();
        let mut rng = 0x9876_5431u32;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            rng
        };
        for frame in 0..3 {
            let total = [83usize, 8, 1][frame];
            let bytes: Vec<u8> = (0..total).map(|i| (i * 31 + frame) as u8).collect();
            let mut sent = 0;
            let mut got = Vec::new();
            let mut done = false;
            for _ in 0..1000 {
                let n = ((next() % 8) as usize + 1).min(total - sent);
                if sent < total {
                    let mut chunk = [0xeeu8; 8]; // garbage above the count is masked
                    chunk[..n].copy_from_slice(&bytes[sent..sent + n]);
                    uut.in_data.next = u64::from_le_bytes(chunk).to_bits();
                    uut.in_count.next = (n as u64).to_bits();
                    uut.in_end.next = sent + n == total;
                    uut.in_valid.next = next() % 4 != 0;
                } else {
                    uut.in_valid.next = false;
                }
                uut.out_ready.next = next() % 3 != 0;
                assert!(simulate(&mut uut, 100));
                let took = uut.in_valid.val() && uut.in_ready.val();
                if uut.out_valid.val() && uut.out_ready.val() {
                    let nb = uut.out_bytes.val().index();
                    let w = uut.out_data.val().to_u64().to_le_bytes();
                    got.extend_from_slice(&w[..nb]);
                    if uut.out_last.val() {
                        done = true;
                    } else {
                        assert_eq!(nb, 8);
                    }
                }
                tick(&mut uut, |u| &mut u.clock);
                if took {
                    sent += n;
                }
                if done {
                    break;
                }
            }
            assert!(done);
            assert_eq!(got, bytes);
            assert!(uut.empty.val());
        }
    }

    #[test]
    fn packer_verilog_lints() {
        let mut uut = BytePacker::default();
        uut.connect_all();
        lint_core("compressor_packer", &uut);
    }
}
