//! `SameFill`: watches a page's beats go by and tells whether every 64-bit word
//! equals the first (the model's `same_filled`), and that word.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | |
//! | `start` | in | 1 | the next beat is a page's first |
//! | `valid`, `data` | in | 1, 64 | a page beat |
//! | `filled` | out | 1 | every beat since `start` equals the first |
//! | `word` | out | 64 | the first beat since `start` |
//!
//! Both outputs are registered: they cover the last beat from the cycle after it.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct SameFill {
    pub clock: Signal<In, Clock>,
    pub start: Signal<In, bool>,
    pub valid: Signal<In, bool>,
    pub data: Signal<In, Bits<64>>,
    pub filled: Signal<Out, bool>,
    pub word: Signal<Out, Bits<64>>,
    /// The next beat is the page's first.
    first: DFF<bool>,
    word_q: DFF<Bits<64>>,
    filled_q: DFF<bool>,
}

impl Logic for SameFill {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, first, word_q, filled_q);
        if self.valid.val() {
            if self.first.q.val() {
                self.word_q.d.next = self.data.val();
                self.filled_q.d.next = true;
                self.first.d.next = false;
            } else if self.data.val() != self.word_q.q.val() {
                self.filled_q.d.next = false;
            }
        }
        if self.start.val() {
            self.first.d.next = true;
        }
        self.filled.next = self.filled_q.q.val();
        self.word.next = self.word_q.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::executor::testutil::{lint, tick};
    use pagepress_codec::corpus::{SplitMix64, SyntheticClass};
    use pagepress_codec::same_filled;

    #[test]
    fn agrees_with_the_model_on_pages() {
        let mut uut = SameFill::default();
        uut.connect_all();
        let mut rng = SplitMix64(0x5a3e);
        let mut pages: Vec<Box<[u8; 4096]>> = Vec::new();
        for class in SyntheticClass::ALL {
            pages.push(class.page(1));
        }
        // Filled pages with one word changed, first or last or inside.
        for at in [0usize, 4088, 2048] {
            let mut p = SyntheticClass::SameFilled.page(2);
            p[at] ^= 1;
            pages.push(p);
        }
        for p in &pages {
            uut.start.next = true;
            tick(&mut uut, |u| &mut u.clock);
            uut.start.next = false;
            for beat in p.chunks_exact(8) {
                // Gaps between beats change nothing.
                while rng.below(3) == 0 {
                    uut.valid.next = false;
                    tick(&mut uut, |u| &mut u.clock);
                }
                uut.valid.next = true;
                uut.data.next = u64::from_le_bytes(beat.try_into().unwrap()).to_bits();
                tick(&mut uut, |u| &mut u.clock);
            }
            uut.valid.next = false;
            tick(&mut uut, |u| &mut u.clock);
            let want = same_filled(&p[..]);
            assert_eq!(uut.filled.val(), want.is_some());
            if let Some(w) = want {
                assert_eq!(uut.word.val().to_u64(), w);
            }
        }
    }

    #[test]
    fn same_fill_verilog_lints() {
        let mut uut = SameFill::default();
        uut.connect_all();
        lint("exec_same_fill", &uut);
    }
}
