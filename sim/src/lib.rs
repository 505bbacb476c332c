//! pagepress-sim: the pagepress cores, cycle-accurate, through Verilator.
//!
//! `build.rs` generates each core's Verilog with `pagepress-rtl`, Verilates it
//! (`verilator --cc -O3 --trace`), compiles a small C++ shim of `extern "C"`
//! functions and binds it here. Every model is a Rust type implementing
//! [`Model`]; its ports are typed methods `get_<port>()` / `set_<port>(v)`
//! (ports wider than 64 bits as `[u32; N]`, least significant word first) plus
//! by-name [`Model::get`] / [`Model::set`].
//!
//! Stepping: set inputs, then [`Model::step`] runs one clock cycle (falling
//! edge, rising edge); registered outputs read afterwards show the state after
//! that edge. Inputs are sampled at the rising edge.
//!
//! Tracing: [`Model::open`] with a path writes a VCD of every signal; [`Model::new`]
//! does so when `PAGEPRESS_VCD` names a directory (one `<core>-<pid>-<n>.vcd` per
//! model). Tracing costs speed; leave it off for long runs.
//!
//! - [`engines`]: frame/page level drivers of the cores (decompress a frame,
//!   compress a page) with cycle counts.
//! - [`pages`]: real, synthetic and generated page sets for tests and reports.
//! - [`diff`]: one random command stream on the model and a device under
//!   test, compared command by command.
//! - [`harness`]: the Verilator harness of the whole device (register, DMA
//!   and device-memory ports, interrupts, cycle accounting) and [`harness::SimDevice`],
//!   the `sim` device backend.

pub mod diff;
pub mod engines;
pub mod harness;
pub mod pages;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// One port of a model's top module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: &'static str,
    pub output: bool,
    pub width: u32,
}

/// A Verilated core.
pub trait Model: Sized {
    /// The core's name (`decompressor`, ...).
    const NAME: &'static str;
    /// Its ports, as declared in `module top`.
    const PORTS: &'static [Port];

    /// Creates the model, writing a VCD trace to `vcd` if given.
    fn open(vcd: Option<&Path>) -> Result<Self, String>;

    /// Creates the model; traces to `$PAGEPRESS_VCD/<core>-<pid>-<n>.vcd` when
    /// that variable is set.
    fn new() -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let path = std::env::var_os("PAGEPRESS_VCD").map(|dir| {
            let n = N.fetch_add(1, Ordering::Relaxed);
            Path::new(&dir).join(format!("{}-{}-{n}.vcd", Self::NAME, std::process::id()))
        });
        Self::open(path.as_deref()).expect("creating a Verilated model")
    }

    /// Settles combinational logic after inputs changed (no clock edge).
    fn eval(&mut self);

    /// Runs `n` clock cycles with the inputs held.
    fn step_n(&mut self, n: u64);

    /// Runs one clock cycle.
    #[inline]
    fn step(&mut self) {
        self.step_n(1)
    }

    /// Clock cycles run since the model was created.
    fn cycles(&self) -> u64;

    /// Value of a port by name (`None` for an unknown port or one wider than 64 bits).
    fn get(&self, port: &str) -> Option<u64>;

    /// Drives an input port by name; false for an unknown or output port.
    fn set(&mut self, port: &str, value: u64) -> bool;
}

/// The Verilog each model was built from (module `top`), by model name.
pub const VERILOG: &[(&str, &str)] = &[
    (
        "decompressor",
        include_str!(concat!(env!("OUT_DIR"), "/decompressor/decompressor.v")),
    ),
    (
        "compressor",
        include_str!(concat!(env!("OUT_DIR"), "/compressor/compressor.v")),
    ),
    (
        "device",
        include_str!(concat!(env!("OUT_DIR"), "/device/device.v")),
    ),
];

include!(concat!(env!("OUT_DIR"), "/models.rs"));

// The Verilated device top level reaches the harness through its ports.
impl_device_ports!(Device);
