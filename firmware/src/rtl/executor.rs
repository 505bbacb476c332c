//! WIP
#[cfg(test)]
#[macro_use]
pub(crate) mod testutil;

pub mod beat_source;
pub mod decode;
pub mod dma;
pub mod drain;
pub mod entries;
pub mod fill_frame;
pub mod frame_port;
pub mod narrow;
pub mod same_fill;

use rust_hdl::prelude::*;

/// A sized constant (a Verilog localparam of exactly `N` bits).
pub(crate) fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.to_bits())
}
