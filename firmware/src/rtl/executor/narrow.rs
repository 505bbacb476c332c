//! `Narrow<W, N>`: the low `N` bits of a `W`-bit value, as a leaf block.
//!
//! Inside a kernel, `get_bits` of a wider local leaves its high bits unread,
//! which Verilator's `-Wall` reports (UNUSEDSIGNAL). This leaf reads them into
//! a wire named `unused_*`, the name Verilator exempts, so a truncation that
//! is meant says so once, here.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct Narrow<const W: usize, const N: usize> {
    pub wide: Signal<In, Bits<W>>,
    pub narrow: Signal<Out, Bits<N>>,
}

impl<const W: usize, const N: usize> Logic for Narrow<W, N> {
    fn update(&mut self) {
        self.narrow.next = self.wide.val().get_bits::<N>(0);
    }

    fn connect(&mut self) {
        self.narrow.connect();
    }

    fn hdl(&self) -> Verilog {
        assert!(W > N, "Narrow must drop bits");
        Verilog::Custom(format!(
            "wire unused_high = &{{1'b0, wide[{hi}:{N}]}};\nalways @(*) narrow = wide[{lo}:0];",
            hi = W - 1,
            lo = N - 1
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::executor::testutil::{lint, settle};

    #[test]
    fn keeps_the_low_bits_and_lints() {
        let mut uut = Narrow::<32, 8>::default();
        uut.connect_all();
        uut.wide.next = 0x1234_56abu64.to_bits();
        settle(&mut uut);
        assert_eq!(uut.narrow.val().to_u64(), 0xab);
        lint("exec_narrow", &uut);
    }
}
