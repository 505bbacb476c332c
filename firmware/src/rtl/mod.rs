//! The device top level in Rust-HDL. `docs/device-rtl.md` is the block
//! contract: ports, timing and the command algorithm the model shares.

pub mod alloc;
pub mod control_plane;
pub mod csr;
pub mod device;
pub mod executor;
pub mod index;
pub mod queue_engine;
pub mod stats;
