//! `FillFrame`: the beats the executor writes for a same-filled entry. In page
//! mode every beat is the fill word; in frame mode (LOAD `RAW_FRAME`) they are
//! the model's `fill_frame`: an RLE frame when all 8 bytes of the word are
//! equal, else a raw frame of the filled page.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | |
//! | `word` | in | 64 | the fill word |
//! | `frame` | in | 1 | frame mode |
//! | `beat` | in | 10 | beat index ... |
//! | `data` | out | 64 | ... its 8 bytes one cycle later (a RAM's timing) |
//! | `frame_len` | out | 16 | frame mode: the frame's length, 11 or 4106 |
//!
//! Frame layout: bytes 0..7 the frame header, 7..10 the block header, then the
//! body (the one byte, or the page). So beat 0 is the frame header and the
//! block header's low byte, beat 1 the block header's two high bytes and the
//! first 6 body bytes, and every later beat of a raw frame the word rotated by
//! 2 bytes (body byte `8j + b - 10` is word byte `(b + 6) % 8`). Bytes past
//! the frame's end are don't-cares.

use super::k;
use pagepress_abi::format::{
    self as f, BLOCK_HEADER_SIZE, FRAME_HEADER, FRAME_HEADER_SIZE, MAX_FRAME_SIZE, PAGE_SIZE,
    RLE_FRAME_SIZE,
};
use rust_hdl::prelude::*;

/// The 3-byte block header of a last block of `block_type` for the page.
fn block_header(block_type: u8) -> u64 {
    1 | (block_type as u64) << 1 | (PAGE_SIZE as u64) << 3
}

/// Beat 0: the frame header, then the block header's first byte.
fn beat0(block_type: u8) -> u64 {
    let hdr = FRAME_HEADER
        .iter()
        .rev()
        .fold(0u64, |acc, &b| acc << 8 | b as u64);
    hdr | block_header(block_type) << (8 * FRAME_HEADER_SIZE)
}

const _: () = assert!(FRAME_HEADER_SIZE + BLOCK_HEADER_SIZE == 10);

#[derive(LogicBlock)]
pub struct FillFrame {
    pub clock: Signal<In, Clock>,
    pub word: Signal<In, Bits<64>>,
    pub frame: Signal<In, bool>,
    pub beat: Signal<In, Bits<10>>,
    pub data: Signal<Out, Bits<64>>,
    pub frame_len: Signal<Out, Bits<16>>,
    data_q: DFF<Bits<64>>,
    beat0_rle: Constant<Bits<64>>,
    beat0_raw: Constant<Bits<64>>,
    /// The block header's two high bytes, in the low bytes of beat 1.
    beat1_rle: Constant<Bits<64>>,
    beat1_raw: Constant<Bits<64>>,
    len_rle: Constant<Bits<16>>,
    len_raw: Constant<Bits<16>>,
    beat_first: Constant<Bits<10>>,
    beat_second: Constant<Bits<10>>,
    // Scratch.
    bytes_equal: Signal<Local, bool>,
}

impl Default for FillFrame {
    fn default() -> Self {
        FillFrame {
            clock: Default::default(),
            word: Default::default(),
            frame: Default::default(),
            beat: Default::default(),
            data: Default::default(),
            frame_len: Default::default(),
            data_q: Default::default(),
            beat0_rle: k(beat0(f::BLOCK_TYPE_RLE)),
            beat0_raw: k(beat0(f::BLOCK_TYPE_RAW)),
            beat1_rle: k(block_header(f::BLOCK_TYPE_RLE) >> 8),
            beat1_raw: k(block_header(f::BLOCK_TYPE_RAW) >> 8),
            len_rle: k(RLE_FRAME_SIZE as u64),
            len_raw: k(MAX_FRAME_SIZE as u64),
            beat_first: k(0),
            beat_second: k(1),
            bytes_equal: Default::default(),
        }
    }
}

impl Logic for FillFrame {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, data_q);
        self.bytes_equal.next = true;
        for b in 1..8 {
            if self.word.val().get_bits::<8>(8 * b) != self.word.val().get_bits::<8>(0) {
                self.bytes_equal.next = false;
            }
        }
        self.frame_len.next = self.len_raw.val();
        if self.bytes_equal.val() {
            self.frame_len.next = self.len_rle.val();
        }
        self.data_q.d.next = self.word.val();
        if self.frame.val() {
            if self.beat.val() == self.beat_first.val() {
                self.data_q.d.next = self.beat0_raw.val();
                if self.bytes_equal.val() {
                    self.data_q.d.next = self.beat0_rle.val();
                }
            } else if self.beat.val() == self.beat_second.val() {
                self.data_q.d.next = self.beat1_raw.val() | (self.word.val() << 16);
                if self.bytes_equal.val() {
                    self.data_q.d.next = self.beat1_rle.val() | (self.word.val() << 16);
                }
            } else {
                self.data_q.d.next = (self.word.val() >> 48) | (self.word.val() << 16);
            }
        }
        self.data.next = self.data_q.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::executor::testutil::{lint, tick};
    use pagepress_codec::decompress_page;

    fn beats(uut: &mut FillFrame, word: u64, frame: bool, n: usize) -> Vec<u8> {
        uut.word.next = word.to_bits();
        uut.frame.next = frame;
        let mut out = Vec::new();
        for b in 0..n {
            uut.beat.next = (b as u64).to_bits();
            tick(uut, |u| &mut u.clock);
            out.extend_from_slice(&uut.data.val().to_u64().to_le_bytes());
        }
        out
    }

    #[test]
    fn fill_frames_decode_to_the_filled_page() {
        let mut uut = FillFrame::default();
        uut.connect_all();
        for word in [
            0u64,
            0x4242_4242_4242_4242,
            0x0102_0304_0506_0708,
            0xff00_0000_0000_00ff,
        ] {
            let page: Vec<u8> = word.to_le_bytes().repeat(PAGE_SIZE / 8);
            uut.word.next = word.to_bits();
            tick(&mut uut, |u| &mut u.clock);
            let len = uut.frame_len.val().index();
            let rle = word.to_le_bytes().iter().all(|&b| b == word as u8);
            assert_eq!(len, if rle { RLE_FRAME_SIZE } else { MAX_FRAME_SIZE });
            let mut frame = beats(&mut uut, word, true, len.div_ceil(8));
            frame.truncate(len);
            let mut out = [0u8; PAGE_SIZE];
            decompress_page(&frame, &mut out).expect("fill frame decodes");
            assert!(out[..] == page[..], "{word:#x}: decoded page differs");
            assert_eq!(frame[FRAME_HEADER_SIZE] >> 1 & 3, if rle { 1 } else { 0 });
            assert!(beats(&mut uut, word, false, 512) == page, "page mode");
        }
    }

    #[test]
    fn fill_frame_verilog_lints() {
        let mut uut = FillFrame::default();
        uut.connect_all();
        lint("exec_fill_frame", &uut);
    }
}
