//! Device backends and how to open one as a [`CompressedPool`].

use crate::pool::CompressedPool;
use std::sync::Arc;

/// Which device answers the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// The pure-Rust device model (default).
    Soft,
    /// The device RTL in Verilator (cargo feature `rtl`).
    Sim,
    /// A PCIe function through VFIO.
    Vfio,
}

/// Device parameters chosen by the user of a model backend.
#[derive(Clone, Debug)]
pub struct DeviceConfig {
    /// Device memory for compressed pages, bytes.
    pub devmem_bytes: u64,
    /// Slots the index holds.
    pub max_slots: u32,
    /// Queue pairs.
    pub queues: u32,
    /// log2 of entries per ring.
    pub queue_log2: u32,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        DeviceConfig { devmem_bytes: 64 << 20, max_slots: 1 << 20, queues: 4, queue_log2: 6 }
    }
}

/// Opens a backend as a pool.
pub fn open(kind: BackendKind, cfg: &DeviceConfig) -> Result<Arc<dyn CompressedPool>, String> {
    let _ = cfg;
    Err(format!("backend {kind:?} is not available in this build"))
}
