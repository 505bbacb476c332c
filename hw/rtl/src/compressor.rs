//! The compressor core (under construction).

pub mod hash;
pub mod packer;
pub mod page_buffer;
pub mod seq_codes;
pub mod seq_encoder;
pub mod widen;

#[cfg(test)]
use rust_hdl::prelude::*;

/// Generates `uut`'s Verilog and lints it with `verilator --lint-only -Wall`.
/// The one rule waived is DECLFILENAME: `lint_verilog` names the file after the
/// core while rust-hdl always names the module `top`.
#[cfg(test)]
pub(crate) fn lint_core<B: Block>(name: &str, uut: &B) {
    let v = generate_verilog(uut);
    crate::lint::lint_verilog(name, &format!("/* verilator lint_off DECLFILENAME */\n{v}"))
        .unwrap();
}

#[cfg(test)]
pub(crate) mod testutil {
    use rust_hdl::prelude::*;

    /// One clock cycle: rising edge, settle, falling edge, settle.
    pub fn tick<B: Block>(uut: &mut B, clk: impl Fn(&mut B) -> &mut Signal<In, Clock>) {
        clk(uut).next = Clock { clk: true };
        assert!(simulate(uut, 100), "logic did not settle");
        clk(uut).next = Clock { clk: false };
        assert!(simulate(uut, 100), "logic did not settle");
    }
}
