//! Test helpers shared by the executor's blocks.

use rust_hdl::prelude::*;

/// One clock cycle: settle the inputs set since the last edge, rising edge,
/// settle, falling edge, settle.
pub fn tick<B: Block>(uut: &mut B, clk: impl Fn(&mut B) -> &mut Signal<In, Clock>) {
    assert!(simulate(uut, 1000), "logic did not settle");
    clk(uut).next = Clock { clk: true };
    assert!(simulate(uut, 1000), "logic did not settle");
    clk(uut).next = Clock { clk: false };
    assert!(simulate(uut, 1000), "logic did not settle");
}

/// Settles the combinational logic after inputs changed (no clock edge).
pub fn settle<B: Block>(uut: &mut B) {
    assert!(simulate(uut, 1000), "logic did not settle");
}

/// Generates `uut`'s Verilog and lints it with `verilator --lint-only -Wall`.
/// DECLFILENAME is waived: rust-hdl names every top module `top`.
pub fn lint<B: Block>(name: &str, uut: &B) {
    let v = generate_verilog(uut);
    pagepress_rtl::lint::lint_verilog(name, &format!("/* verilator lint_off DECLFILENAME */\n{v}"))
        .unwrap();
}
