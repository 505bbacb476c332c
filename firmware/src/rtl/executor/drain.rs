//! `FrameDrain`: decides whose the compressor's output frames are. The
//! executor streams every page of a STORE into the compressor, but keeps only
//! the frames of pages it stores compressed; the others (same-filled pages,
//! raw frames, frames that found no room) are dropped whole, in order, with
//! `out_ready` held high, whenever they come out.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | |
//! | `out_valid`, `out_last` | in | 1, 1 | the compressor's output beat |
//! | `out_ready` | out | 1 | to the compressor |
//! | `discard` | in | 1 | pulse: drop one more frame (the next one not yet dropped, which may be at the head already) |
//! | `frame_valid` | out | 1 | the head beat is a kept frame's |
//! | `sink_ready` | in | 1 | the kept frame's consumer takes the head beat |

use super::k;
use rust_hdl::prelude::*;

/// Frames waiting to be dropped: at most one per page of a STORE, 512.
type Pending = Bits<10>;

#[derive(LogicBlock)]
pub struct FrameDrain {
    pub clock: Signal<In, Clock>,
    pub out_valid: Signal<In, bool>,
    pub out_last: Signal<In, bool>,
    pub out_ready: Signal<Out, bool>,
    pub discard: Signal<In, bool>,
    pub frame_valid: Signal<Out, bool>,
    pub sink_ready: Signal<In, bool>,
    /// Frames to drop, the one at the head (if any) first.
    skip: DFF<Pending>,
    none: Constant<Pending>,
    one: Constant<Pending>,
}

impl Default for FrameDrain {
    fn default() -> Self {
        FrameDrain {
            clock: Default::default(),
            out_valid: Default::default(),
            out_last: Default::default(),
            out_ready: Default::default(),
            discard: Default::default(),
            frame_valid: Default::default(),
            sink_ready: Default::default(),
            skip: Default::default(),
            none: k(0),
            one: k(1),
        }
    }
}

impl Logic for FrameDrain {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, skip);
        // No shared scratch signals: each output is its own statement, so
        // Verilator orders `out_valid -> frame_valid` and `sink_ready ->
        // out_ready` apart (the compressor's `out_valid` and `out_ready`, and
        // the frame port's `in_valid` and `in_ready`, loop through here otherwise).
        self.out_ready.next = (self.skip.q.val() != self.none.val()) | self.sink_ready.val();
        self.frame_valid.next = self.out_valid.val() & (self.skip.q.val() == self.none.val());
        if self.discard.val()
            & !((self.skip.q.val() != self.none.val()) & self.out_valid.val() & self.out_last.val())
        {
            self.skip.d.next = self.skip.q.val() + self.one.val();
        }
        if !self.discard.val()
            & (self.skip.q.val() != self.none.val())
            & self.out_valid.val()
            & self.out_last.val()
        {
            self.skip.d.next = self.skip.q.val() - self.one.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::executor::testutil::{lint, settle, tick};
    use pagepress_codec::corpus::SplitMix64;

    /// A producer of numbered frames with gaps; each frame is kept or dropped
    /// at random. A dropped frame is announced (`discard`) once every frame
    /// before it is taken or announced: ahead of time or while at the head.
    /// The kept frames must arrive whole and in order, the dropped ones never.
    #[test]
    fn drops_exactly_the_discarded_frames() {
        let mut uut = FrameDrain::default();
        uut.connect_all();
        let mut rng = SplitMix64(0xd7a1);
        let frames: Vec<(Vec<u64>, bool)> = (0..80u64)
            .map(|f| {
                let n = 1 + rng.below(6) as usize;
                (
                    (0..n as u64).map(|b| f << 8 | b).collect(),
                    rng.below(2) == 0,
                )
            })
            .collect();
        let want: Vec<Vec<u64>> = frames.iter().filter(|f| f.1).map(|f| f.0.clone()).collect();
        // Producer position, and frames [fi, announced) are announced drops.
        let (mut fi, mut bi, mut announced) = (0usize, 0usize, 0usize);
        let mut got: Vec<Vec<u64>> = Vec::new();
        let mut cur = Vec::new();
        for _ in 0..6000 {
            if fi == frames.len() {
                break;
            }
            announced = announced.max(fi);
            let offer = rng.below(4) != 0;
            uut.out_valid.next = offer;
            uut.out_last.next = offer && bi + 1 == frames[fi].0.len();
            let discard = announced < frames.len() && !frames[announced].1 && rng.below(3) == 0;
            uut.discard.next = discard;
            if discard {
                announced += 1;
            }
            uut.sink_ready.next = frames[fi].1 && rng.below(3) != 0;
            settle(&mut uut);
            if offer && uut.out_ready.val() {
                if uut.frame_valid.val() {
                    assert!(frames[fi].1, "dropped frame {fi} reached the sink");
                    cur.push(frames[fi].0[bi]);
                } else {
                    assert!(!frames[fi].1, "kept frame {fi} was dropped");
                }
                bi += 1;
                if bi == frames[fi].0.len() {
                    if frames[fi].1 {
                        got.push(std::mem::take(&mut cur));
                    }
                    (fi, bi) = (fi + 1, 0);
                }
            }
            tick(&mut uut, |u| &mut u.clock);
        }
        assert_eq!(fi, frames.len(), "frames left");
        assert_eq!(got, want);
    }

    #[test]
    fn drain_verilog_lints() {
        let mut uut = FrameDrain::default();
        uut.connect_all();
        lint("exec_drain", &uut);
    }
}
