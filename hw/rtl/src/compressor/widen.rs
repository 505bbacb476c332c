//! `ZeroExtend<N, M>`: `wide = {0, narrow}` as one Verilog concatenation.
//!
//! rust-hdl 0.46 kernels cannot widen a value lint-clean: `bit_cast` emits
//! `(x & M'hff..)`, whose operands differ in width (Verilator WIDTH), and `set_bits`
//! does not translate. This leaf block emits the concatenation directly; every
//! widening in the compressor goes through it.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct ZeroExtend<const N: usize, const M: usize> {
    pub narrow: Signal<In, Bits<N>>,
    pub wide: Signal<Out, Bits<M>>,
}

impl<const N: usize, const M: usize> Logic for ZeroExtend<N, M> {
    fn update(&mut self) {
        self.wide.next = bit_cast::<M, N>(self.narrow.val());
    }

    fn connect(&mut self) {
        self.wide.connect();
    }

    fn hdl(&self) -> Verilog {
        assert!(M > N, "ZeroExtend must widen");
        Verilog::Custom(format!(
            "always @(*) wide = {{{{{pad}{{1'b0}}}}, narrow}};",
            pad = M - N
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compressor::lint_core;

    #[test]
    fn zero_extend_widens() {
        let mut uut = ZeroExtend::<12, 100>::default();
        uut.connect_all();
        uut.narrow.next = 0xabcu64.to_bits();
        assert!(simulate(&mut uut, 10));
        assert_eq!(uut.wide.val(), bit_cast::<100, 12>(0xabcu64.to_bits()));
    }

    #[test]
    fn zero_extend_verilog_lints() {
        let mut uut = ZeroExtend::<12, 100>::default();
        uut.connect_all();
        lint_core("compressor_zero_extend", &uut);
    }
}
