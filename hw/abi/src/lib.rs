//! pagepress-abi: the hardware/software contract of the pagepress device.
//!
//! Everything that both sides of the PCIe link must agree on lives here and
//! nowhere else: the BAR0 register-block chain, the command and completion
//! descriptors, opcodes and status codes, the statistics counters, and the
//! compressed-page format constants shared by the reference codec and the RTL.
//! The RTL, the device models, the host driver and `docs/regmap.md` all import
//! (or are generated from) these definitions.
//!
//! The crate is `no_std`, has no dependencies and contains no `unsafe`: wire
//! structures are serialised field by field, little-endian, so their layout does
//! not depend on the host.

#![no_std]
#![forbid(unsafe_code)]

pub mod desc;
pub mod format;
pub mod regmap;
pub mod regs;
pub mod stats;
pub mod status;

pub use desc::{Command, Completion, Opcode};
pub use status::Status;

/// ABI major version: bumped on any incompatible change to registers,
/// descriptors or the page format. A driver refuses a device whose major differs.
pub const ABI_VERSION_MAJOR: u16 = 1;
/// ABI minor version: bumped on compatible additions.
pub const ABI_VERSION_MINOR: u16 = 0;
/// The value of the IDENTITY block's `ABI_VERSION` register.
pub const ABI_VERSION: u32 = ((ABI_VERSION_MAJOR as u32) << 16) | ABI_VERSION_MINOR as u32;

/// Magic value of the IDENTITY block's `MAGIC` register: ASCII "PGPR".
pub const DEVICE_MAGIC: u32 = 0x5047_5052;

/// What implements the device behind BAR0 (IDENTITY `DEVICE_KIND` register).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum DeviceKind {
    /// The pure-Rust device model.
    Soft = 1,
    /// The RTL in Verilator.
    Sim = 2,
    /// A real FPGA.
    Hardware = 3,
}

impl DeviceKind {
    pub const fn from_u32(v: u32) -> Option<Self> {
        match v {
            1 => Some(Self::Soft),
            2 => Some(Self::Sim),
            3 => Some(Self::Hardware),
            _ => None,
        }
    }
}

/// The kinds of entry the device index holds for a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum EntryKind {
    Empty = 0,
    /// The whole page is one 64-bit word repeated; the word lives in the index
    /// entry and no device memory is used.
    SameFilled = 1,
    /// A compressed zstd frame in device memory.
    Compressed = 2,
}
