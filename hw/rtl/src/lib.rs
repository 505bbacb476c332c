//! pagepress-rtl: the Rust-HDL cores of the device. One core per file, each with
//! its rust-hdl unit tests and a Verilog-generation + Verilator lint test beside it.

#![forbid(unsafe_code)]

pub mod compressor;
pub mod decompressor;
pub mod lint;
pub mod synth;
