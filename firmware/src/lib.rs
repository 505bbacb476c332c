//! pagepress-firmware: the device side of pagepress.
//!
//! - [`params`]: the parameters of one device build (queues, memory, slots,
//!   engines), shared by the model and the RTL so both report the same CAPS.
//! - [`model`]: the behavioural model of the device, the golden reference of
//!   the top level (as `pagepress-codec` is for the cores).
//! - `rtl` (cargo feature `rtl`): the FPGA top level in Rust-HDL — register
//!   block, queue engine, command executor, slot index, allocator — built on
//!   the codec cores of `pagepress-rtl`.

#![forbid(unsafe_code)]

pub mod model;
pub mod params;
#[cfg(feature = "rtl")]
pub mod rtl;
