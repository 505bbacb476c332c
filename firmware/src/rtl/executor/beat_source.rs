//! `BeatSource`: what the DMA engine writes to the host, one beat per index
//! with a RAM's one cycle of latency: the transfer buffer, the fill generator
//! or the statistics snapshot port.
//!
//! The transfer buffer (1024 x 64) holds a decoded page (512 beats, written
//! by the decompressor, sent only once the decoder said OK) or a stored frame
//! read for LOAD `RAW_FRAME` (up to 514 beats). One buffer serves both: a
//! command needs one at a time.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | |
//! | `restart` | in | 1 | the next buffer write is at beat 0 |
//! | `from_frame` | in | 1 | fill the buffer from `frame_*` (else from `dec_*`) |
//! | `dec_valid`, `dec_data` | in | 1, 64 | decompressor output beats |
//! | `frame_valid`, `frame_data` | in | 1, 64 | frame words read from device memory |
//! | `sel` | in | 2 | [`SRC_BUFFER`], [`SRC_FILL`] or [`SRC_STATS`] |
//! | `beat` | in | 10 | beat index ... |
//! | `data` | out | 64 | ... its data one cycle later |
//! | `stats_data` | in | 64 | the snapshot port's value (its index is `beat`, wired outside) |
//! | `fill_word`, `fill_frame` | in | 64, 1 | the fill generator's word and mode |
//! | `fill_len` | out | 16 | the fill frame's length |

use super::fill_frame::FillFrame;
use super::k;
use rust_hdl::prelude::*;

pub const SRC_BUFFER: u64 = 0;
pub const SRC_FILL: u64 = 1;
pub const SRC_STATS: u64 = 2;

#[derive(LogicBlock)]
pub struct BeatSource {
    pub clock: Signal<In, Clock>,
    pub restart: Signal<In, bool>,
    pub from_frame: Signal<In, bool>,
    pub dec_valid: Signal<In, bool>,
    pub dec_data: Signal<In, Bits<64>>,
    pub frame_valid: Signal<In, bool>,
    pub frame_data: Signal<In, Bits<64>>,
    pub sel: Signal<In, Bits<2>>,
    pub beat: Signal<In, Bits<10>>,
    pub data: Signal<Out, Bits<64>>,
    pub stats_data: Signal<In, Bits<64>>,
    pub fill_word: Signal<In, Bits<64>>,
    pub fill_frame: Signal<In, bool>,
    pub fill_len: Signal<Out, Bits<16>>,
    buffer: RAM<Bits<64>, 10>,
    fill: FillFrame,
    /// Next buffer beat written.
    wptr: DFF<Bits<10>>,
    src_buffer: Constant<Bits<2>>,
    src_fill: Constant<Bits<2>>,
    first_beat: Constant<Bits<10>>,
    one_beat: Constant<Bits<10>>,
    // Scratch.
    write: Signal<Local, bool>,
}

impl Default for BeatSource {
    fn default() -> Self {
        BeatSource {
            clock: Default::default(),
            restart: Default::default(),
            from_frame: Default::default(),
            dec_valid: Default::default(),
            dec_data: Default::default(),
            frame_valid: Default::default(),
            frame_data: Default::default(),
            sel: Default::default(),
            beat: Default::default(),
            data: Default::default(),
            stats_data: Default::default(),
            fill_word: Default::default(),
            fill_frame: Default::default(),
            fill_len: Default::default(),
            buffer: Default::default(),
            fill: Default::default(),
            wptr: Default::default(),
            src_buffer: k(SRC_BUFFER),
            src_fill: k(SRC_FILL),
            first_beat: k(0),
            one_beat: k(1),
            write: Default::default(),
        }
    }
}

impl Logic for BeatSource {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wptr);
        self.buffer.read_clock.next = self.clock.val();
        self.buffer.write_clock.next = self.clock.val();
        self.fill.clock.next = self.clock.val();

        self.buffer.write_address.next = self.wptr.q.val();
        self.buffer.write_data.next = self.dec_data.val();
        self.write.next = self.dec_valid.val();
        if self.from_frame.val() {
            self.buffer.write_data.next = self.frame_data.val();
            self.write.next = self.frame_valid.val();
        }
        self.buffer.write_enable.next = self.write.val();
        if self.write.val() {
            self.wptr.d.next = self.wptr.q.val() + self.one_beat.val();
        }
        if self.restart.val() {
            self.wptr.d.next = self.first_beat.val();
        }

        self.buffer.read_address.next = self.beat.val();
        self.fill.beat.next = self.beat.val();
        self.fill.word.next = self.fill_word.val();
        self.fill.frame.next = self.fill_frame.val();
        self.fill_len.next = self.fill.frame_len.val();

        self.data.next = self.stats_data.val();
        if self.sel.val() == self.src_buffer.val() {
            self.data.next = self.buffer.read_data.val();
        }
        if self.sel.val() == self.src_fill.val() {
            self.data.next = self.fill.data.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::executor::testutil::{lint, tick};
    use pagepress_codec::corpus::SplitMix64;

    #[test]
    fn serves_each_source_with_one_cycle_of_latency() {
        let mut uut = BeatSource::default();
        uut.connect_all();
        let mut rng = SplitMix64(0xbea7);
        for from_frame in [false, true, false] {
            let words: Vec<u64> = (0..514).map(|_| rng.next_u64()).collect();
            uut.restart.next = true;
            tick(&mut uut, |u| &mut u.clock);
            uut.restart.next = false;
            uut.from_frame.next = from_frame;
            let mut i = 0;
            while i < words.len() {
                // The other input's beats are ignored.
                let on = rng.below(3) != 0;
                let noise = rng.below(2) == 0;
                uut.dec_valid.next = if from_frame { noise } else { on };
                uut.frame_valid.next = if from_frame { on } else { noise };
                uut.dec_data.next = (if from_frame { !0 } else { words[i] }).to_bits();
                uut.frame_data.next = (if from_frame { words[i] } else { !0 }).to_bits();
                tick(&mut uut, |u| &mut u.clock);
                i += on as usize;
            }
            uut.dec_valid.next = false;
            uut.frame_valid.next = false;
            uut.sel.next = SRC_BUFFER.to_bits();
            for (b, w) in words.iter().enumerate().rev() {
                uut.beat.next = (b as u64).to_bits();
                tick(&mut uut, |u| &mut u.clock);
                assert_eq!(uut.data.val().to_u64(), *w, "buffer beat {b}");
            }
        }
        uut.sel.next = SRC_STATS.to_bits();
        uut.stats_data.next = 0x1234u64.to_bits();
        tick(&mut uut, |u| &mut u.clock);
        assert_eq!(uut.data.val().to_u64(), 0x1234);
        uut.sel.next = SRC_FILL.to_bits();
        uut.fill_word.next = 0x77u64.to_bits();
        uut.fill_frame.next = false;
        tick(&mut uut, |u| &mut u.clock);
        tick(&mut uut, |u| &mut u.clock);
        assert_eq!(uut.data.val().to_u64(), 0x77);
    }

    #[test]
    fn beat_source_verilog_lints() {
        let mut uut = BeatSource::default();
        uut.connect_all();
        lint("exec_beat_source", &uut);
    }
}
