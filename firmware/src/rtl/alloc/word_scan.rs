//! Combinational word logic of the allocator: what one 64-unit bitmap word
//! tells the search ([`WordScan`]), and the two helpers it and the range
//! writer share ([`LowestSet`], [`RangeMask`]).

use rust_hdl::prelude::*;

/// Units per bitmap word.
pub const WORD_UNITS: usize = 64;

/// `LowestSet`: the position of the lowest set bit of `v`, 64 when `v` is 0.
///
/// `v & -v` isolates the bit on the carry chain; index bit `k` is then the OR
/// of the positions whose number has bit `k` (a 32-input OR, 2 LUT levels).
#[derive(LogicBlock)]
pub struct LowestSet {
    pub v: Signal<In, Bits<64>>,
    /// 0..=64 (8 bits: it meets 8-bit run lengths).
    pub index: Signal<Out, Bits<8>>,
    /// `stripe[k]`: the positions whose number has bit `k` set.
    stripe: [Constant<Bits<64>>; 6],
    /// `weight[k]` = `1 << k`.
    weight: [Constant<Bits<8>>; 6],
    one: Constant<Bits<64>>,
    zero: Constant<Bits<8>>,
    no_bit_set: Constant<Bits<8>>,
    isolated: Signal<Local, Bits<64>>,
}

impl Default for LowestSet {
    fn default() -> Self {
        let stripe = |k: usize| {
            (0..64)
                .filter(|p| p >> k & 1 == 1)
                .fold(0u64, |m, p| m | 1 << p)
        };
        Self {
            v: Default::default(),
            index: Default::default(),
            stripe: std::array::from_fn(|k| Constant::new(stripe(k).to_bits())),
            weight: std::array::from_fn(|k| Constant::new((1u64 << k).to_bits())),
            one: Constant::new(1u64.to_bits()),
            zero: Constant::new(0u64.to_bits()),
            no_bit_set: Constant::new((WORD_UNITS as u64).to_bits()),
            isolated: Default::default(),
        }
    }
}

impl Logic for LowestSet {
    #[hdl_gen]
    fn update(&mut self) {
        self.isolated.next = self.v.val() & (!self.v.val() + self.one.val());
        self.index.next = self.no_bit_set.val();
        if self.v.val().any() {
            self.index.next = self.zero.val();
            for k in 0..6 {
                if (self.isolated.val() & self.stripe[k].val()).any() {
                    self.index.next = self.index.val() | self.weight[k].val();
                }
            }
        }
    }
}

/// `RangeMask`: bits `lo ..= hi` set — the units of a range that fall in one
/// word. `63 - hi` is `!hi` on 6 bits.
#[derive(LogicBlock)]
pub struct RangeMask {
    pub lo: Signal<In, Bits<6>>,
    pub hi: Signal<In, Bits<6>>,
    pub mask: Signal<Out, Bits<64>>,
    all: Constant<Bits<64>>,
}

impl Default for RangeMask {
    fn default() -> Self {
        Self {
            lo: Default::default(),
            hi: Default::default(),
            mask: Default::default(),
            all: Constant::new(u64::MAX.to_bits()),
        }
    }
}

impl Logic for RangeMask {
    #[hdl_gen]
    fn update(&mut self) {
        self.mask.next = (self.all.val() << self.lo.val()) & (self.all.val() >> !self.hi.val());
    }
}

/// `WordScan`: the facts about one bitmap word that the run search needs.
///
/// `hits` bit `p`: units `p + 1 - n ..= p` are all free, i.e. a run of `n`
/// free units that lies inside the word ends at `p`. It is built by doubling:
/// `window[b]` bit `p` says the `2^b` units ending at `p` are free
/// (`window[b+1] = window[b] & window[b] << 2^b`), and for each set bit `b` of
/// `n - 1` the run so far is extended by `2^b` units with one AND of a shifted
/// copy — six AND-and-select levels after the `window`s, the deepest logic of
/// the allocator. Runs of more than 64 units never lie inside a word.
///
/// `lead`/`trail`: the free units at the bottom (from bit 0 up) and at the top
/// (from bit 63 down) of the word, which join runs across words.
#[derive(LogicBlock)]
pub struct WordScan {
    /// The units that may not be allocated: in use, or outside the range searched.
    pub busy: Signal<In, Bits<64>>,
    /// Length of the run sought, minus one.
    pub n_minus_1: Signal<In, Bits<8>>,
    pub hits: Signal<Out, Bits<64>>,
    pub lead: Signal<Out, Bits<8>>,
    pub trail: Signal<Out, Bits<8>>,
    pub all_free: Signal<Out, bool>,
    lead_count: LowestSet,
    trail_count: LowestSet,
    /// `span[b]` = `2^b`, the shift of doubling step `b`.
    span: [Constant<Bits<6>>; 6],
    /// `mirror[i]`: bit `63 - i`, where bit `i` lands in the mirrored word.
    mirror: [Constant<Bits<64>>; 64],
    zero: Constant<Bits<64>>,
    free: Signal<Local, Bits<64>>,
    window: [Signal<Local, Bits<64>>; 6],
    run: Signal<Local, Bits<64>>,
    busy_mirrored: Signal<Local, Bits<64>>,
}

impl Default for WordScan {
    fn default() -> Self {
        Self {
            busy: Default::default(),
            n_minus_1: Default::default(),
            hits: Default::default(),
            lead: Default::default(),
            trail: Default::default(),
            all_free: Default::default(),
            lead_count: Default::default(),
            trail_count: Default::default(),
            span: std::array::from_fn(|b| Constant::new((1u64 << b).to_bits())),
            mirror: std::array::from_fn(|i| Constant::new((1u64 << (63 - i)).to_bits())),
            zero: Constant::new(0u64.to_bits()),
            free: Default::default(),
            window: Default::default(),
            run: Default::default(),
            busy_mirrored: Default::default(),
        }
    }
}

impl Logic for WordScan {
    #[hdl_gen]
    fn update(&mut self) {
        self.free.next = !self.busy.val();
        self.window[0].next = self.free.val();
        for b in 0..5 {
            self.window[b + 1].next =
                self.window[b].val() & (self.window[b].val() << self.span[b].val());
        }
        // Run of 1 + (n - 1) units: extend by 2^b for each set bit b of n - 1.
        self.run.next = self.free.val();
        for b in 0..6 {
            if self.n_minus_1.val().get_bit(b) {
                self.run.next = self.window[b].val() & (self.run.val() << self.span[b].val());
            }
        }
        self.hits.next = self.run.val();
        if self.n_minus_1.val().get_bits::<2>(6).any() {
            self.hits.next = self.zero.val();
        }

        self.lead_count.v.next = self.busy.val();
        self.lead.next = self.lead_count.index.val();
        // Wiring only: the top run of free units is the bottom run of the mirror.
        self.busy_mirrored.next = self.zero.val();
        for i in 0..64 {
            if self.busy.val().get_bit(i) {
                self.busy_mirrored.next = self.busy_mirrored.val() | self.mirror[i].val();
            }
        }
        self.trail_count.v.next = self.busy_mirrored.val();
        self.trail.next = self.trail_count.index.val();
        self.all_free.next = !self.busy.val().any();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pagepress_codec::corpus::SplitMix64;

    /// Reference: (hits, lead, trail) of a busy word for runs of `n`.
    fn reference(busy: u64, n: u32) -> (u64, u32, u32) {
        let free = !busy;
        let mut hits = 0u64;
        for p in 0..64u32 {
            if p + 1 >= n && (p + 1 - n..=p).all(|u| free >> u & 1 == 1) {
                hits |= 1 << p;
            }
        }
        (hits, free.trailing_ones(), free.leading_ones())
    }

    /// Words with long free and busy stretches, where runs and edges are.
    fn random_word(rng: &mut SplitMix64) -> u64 {
        match rng.below(6) {
            0 => 0,
            1 => u64::MAX,
            2 => rng.next_u64(),
            _ => {
                let (a, b) = (rng.below(64), rng.below(64));
                let stretch = if a == 0 { u64::MAX } else { u64::MAX << a } & (u64::MAX >> b);
                stretch
                    ^ if rng.below(2) == 0 {
                        0
                    } else {
                        1 << rng.below(64)
                    }
            }
        }
    }

    #[test]
    fn word_scan_matches_the_reference() {
        let mut uut = WordScan::default();
        uut.connect_all();
        let mut rng = SplitMix64(7);
        for i in 0..3000 {
            let busy = random_word(&mut rng);
            let n = match i % 4 {
                0 => 1 + rng.below(4) as u32,
                1 => 1 + rng.below(66) as u32,
                2 => 1 + rng.below(255) as u32,
                _ => 60 + rng.below(8) as u32,
            };
            uut.busy.next = busy.to_bits();
            uut.n_minus_1.next = ((n - 1) as u64).to_bits();
            assert!(simulate(&mut uut, 100));
            let (hits, lead, trail) = reference(busy, n);
            let ctx = format!("busy {busy:#018x} n {n}");
            assert_eq!(uut.hits.val().to_u64(), hits, "{ctx}");
            assert_eq!(uut.lead.val().to_u64(), lead as u64, "{ctx}");
            assert_eq!(uut.trail.val().to_u64(), trail as u64, "{ctx}");
            assert_eq!(uut.all_free.val(), busy == 0, "{ctx}");
        }
    }

    #[test]
    fn lowest_set_and_range_mask() {
        let mut low = LowestSet::default();
        low.connect_all();
        let mut mask = RangeMask::default();
        mask.connect_all();
        let mut rng = SplitMix64(11);
        for _ in 0..500 {
            let v = random_word(&mut rng);
            low.v.next = v.to_bits();
            assert!(simulate(&mut low, 100));
            assert_eq!(
                low.index.val().to_u64(),
                v.trailing_zeros() as u64,
                "{v:#x}"
            );
            let lo = rng.below(64);
            let hi = lo + rng.below(64 - lo);
            mask.lo.next = lo.to_bits();
            mask.hi.next = hi.to_bits();
            assert!(simulate(&mut mask, 100));
            let want = (lo..=hi).fold(0u64, |m, u| m | 1 << u);
            assert_eq!(mask.mask.val().to_u64(), want, "{lo}..={hi}");
        }
    }
}
