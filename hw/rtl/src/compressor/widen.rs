//! Leaf helpers: `ZeroExtend<N, M>` (`wide = {0, narrow}` as one Verilog concatenation)
//! and `Mux2<N>`.
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

/// `Mux2<N>`: `y = sel ? b : a`, as a leaf block. Selecting between two sub-core outputs
/// inside a kernel would need a `Local` that then feeds other sub-cores, which Verilator
/// reports as a combinational loop through them (UNOPTFLAT); a leaf mux does not.
#[derive(LogicBlock, Default)]
pub struct Mux2<const N: usize> {
    pub sel: Signal<In, bool>,
    pub a: Signal<In, Bits<N>>,
    pub b: Signal<In, Bits<N>>,
    pub y: Signal<Out, Bits<N>>,
}

impl<const N: usize> Logic for Mux2<N> {
    fn update(&mut self) {
        self.y.next = if self.sel.val() {
            self.b.val()
        } else {
            self.a.val()
        };
    }

    fn connect(&mut self) {
        self.y.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom("always @(*) y = sel ? b : a;".into())
    }
}

#[cfg(test)]
mod mux_tests {
    use super::*;
    use crate::compressor::lint_core;

    #[test]
    fn mux2_selects() {
        let mut uut = Mux2::<16>::default();
        uut.connect_all();
        uut.a.next = 1u64.to_bits();
        uut.b.next = 2u64.to_bits();
        for sel in [false, true, false] {
            uut.sel.next = sel;
            assert!(simulate(&mut uut, 10));
            assert_eq!(uut.y.val().index(), if sel { 2 } else { 1 });
        }
    }

    #[test]
    fn mux2_verilog_lints() {
        let mut uut = Mux2::<16>::default();
        uut.connect_all();
        lint_core("compressor_mux2", &uut);
    }
}
