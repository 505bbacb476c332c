//! The device as the driver reaches it: one interface for every backend.
//!
//! Layers, bottom up:
//! - `pagepress_pcie`: what differs between the soft model, the Verilated RTL
//!   and a VFIO function ([`pagepress_pcie::DeviceBackend`]: 32-bit BAR0 access, DMA-able host
//!   memory mapped at IOVAs, interrupts) and the descriptor rings in DMA memory.
//! - [`queue`]: a queue pair with its command slots, bounce buffers, doorbells
//!   and completion reaping; submit-and-wait with a per-command timeout.
//! - [`client`]: [`DeviceClient`] walks the BAR0 block chain, checks the ABI,
//!   programs the queues and implements [`crate::pool::CompressedPool`] with the
//!   host-side fallbacks.
//!
//! Nothing here needs `unsafe`: DMA memory is atomics (`pagepress_pcie::dma`).

#![deny(unsafe_code)]

pub mod client;
pub mod queue;

pub use client::{ClientConfig, DeviceClient, HostCounter};
use pagepress_pcie::BackendError;

/// Why a device could not be opened or driven.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("BAR0 register-block chain is malformed: {0}")]
    BadChain(String),
    #[error("BAR0 has no {0} block")]
    MissingBlock(&'static str),
    #[error("device magic is {found:#010x}, expected {expected:#010x}")]
    BadMagic { found: u32, expected: u32 },
    #[error("device ABI major version {device} differs from the driver's {driver}")]
    AbiMismatch { device: u16, driver: u16 },
    #[error(
        "device codec parameters {device:#010x} differ from the driver's {driver:#010x} \
         (frames would not be bit-exact)"
    )]
    CodecMismatch { device: u32, driver: u32 },
    #[error("device reports no queues or no slots")]
    NoCapacity,
    #[error("device did not finish its reset")]
    ResetTimeout,
    #[error("device is not ready (status {0:#x})")]
    NotReady(u32),
    #[error("queue {queue} refused its configuration (qstatus {qstatus:#x})")]
    QueueSetup { queue: u32, qstatus: u32 },
    #[error("backend unavailable: {0}")]
    Unavailable(String),
    #[error("device backend failed")]
    Backend(#[from] BackendError),
}
