//! `Hash4Unit`: the match finder's position hash, combinational.
//!
//! `hash = (key * 0x9E3779B1) >> 20` on the low 32 bits of the product (`format::hash4`),
//! built from three 16x16 multiplies (the widest rust-hdl multiplier):
//! with `key = kh:kl` and `M = mh:ml`, `key*M mod 2^32 = kl*ml + ((kh*ml + kl*mh) << 16)`.
//!
//! The unit also outputs `tag`, the low 20 bits of the product. The multiplier is odd,
//! so `key -> key*M mod 2^32` is a bijection: `(hash, tag)` identifies the key exactly.
//! The hash table stores the tag instead of the 32-bit key, and a lookup verifies a
//! candidate by comparing tags (same table slot, so same hash) — 20 bits instead of 32.

use pagepress_abi::format::{HASH_BITS, HASH_MULTIPLIER};
use rust_hdl::prelude::*;

/// Bits of the stored verification tag (`32 - HASH_BITS`).
pub const TAG_BITS: usize = 32 - HASH_BITS as usize;

/// Reference model of the unit: `(hash, tag)` of `key`.
pub fn hash_and_tag(key: u32) -> (u32, u32) {
    let p = key.wrapping_mul(HASH_MULTIPLIER);
    (p >> TAG_BITS, p & ((1 << TAG_BITS) - 1))
}

#[derive(LogicBlock)]
pub struct Hash4Unit {
    /// The 4 bytes at a position, little-endian.
    pub key: Signal<In, Bits<32>>,
    /// `format::hash4(key)`.
    pub hash: Signal<Out, Bits<12>>,
    /// Low 20 bits of `key * HASH_MULTIPLIER`.
    pub tag: Signal<Out, Bits<20>>,
    mul_lo: Constant<Bits<16>>,
    mul_hi: Constant<Bits<16>>,
    lo: Signal<Local, Bits<32>>,
    cross_a: Signal<Local, Bits<32>>,
    cross_b: Signal<Local, Bits<32>>,
    product: Signal<Local, Bits<32>>,
}

impl Default for Hash4Unit {
    fn default() -> Self {
        Self {
            key: Default::default(),
            hash: Default::default(),
            tag: Default::default(),
            mul_lo: Constant::new(((HASH_MULTIPLIER & 0xffff) as u64).to_bits()),
            mul_hi: Constant::new(((HASH_MULTIPLIER >> 16) as u64).to_bits()),
            lo: Default::default(),
            cross_a: Default::default(),
            cross_b: Default::default(),
            product: Default::default(),
        }
    }
}

impl Logic for Hash4Unit {
    #[hdl_gen]
    fn update(&mut self) {
        self.lo.next = self.key.val().get_bits::<16>(0) * self.mul_lo.val();
        self.cross_a.next = self.key.val().get_bits::<16>(16) * self.mul_lo.val();
        self.cross_b.next = self.key.val().get_bits::<16>(0) * self.mul_hi.val();
        self.product.next = self.lo.val() + (self.cross_a.val() << 16) + (self.cross_b.val() << 16);
        self.hash.next = self.product.val().get_bits::<12>(20);
        self.tag.next = self.product.val().get_bits::<20>(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compressor::lint_core;

    #[test]
    fn hash_unit_matches_reference() {
        let mut uut = Hash4Unit::default();
        uut.connect_all();
        let mut x: u32 = 0x1234_5678;
        for i in 0..2000u32 {
            // xorshift keys plus a few edge values
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let key = match i {
                0 => 0,
                1 => u32::MAX,
                2 => 0x8000_0000,
                _ => x,
            };
            uut.key.next = (key as u64).to_bits();
            assert!(simulate(&mut uut, 10));
            let (h, t) = hash_and_tag(key);
            assert_eq!(h, pagepress_abi::format::hash4(key));
            assert_eq!(uut.hash.val().index() as u32, h, "key {key:#x}");
            assert_eq!(uut.tag.val().index() as u32, t, "key {key:#x}");
        }
    }

    #[test]
    fn hash_unit_verilog_lints() {
        let mut uut = Hash4Unit::default();
        uut.connect_all();
        lint_core("compressor_hash4", &uut);
    }
}
