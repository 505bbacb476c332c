//! The backend interface: what a device transport provides to the driver.

use crate::dma::DmaRegion;
use std::time::Duration;

/// Why a backend could not provide a resource.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// DMA memory could not be allocated or mapped for the device.
    #[error("cannot map {len} bytes of DMA memory")]
    DmaMap {
        len: usize,
        #[source]
        source: std::io::Error,
    },
    /// The device behind the backend is gone (stopped, removed, failed).
    #[error("device is gone: {0}")]
    Gone(String),
}

/// One device function as the driver reaches it, whatever answers behind it
/// (soft model, Verilated RTL, VFIO). The shape follows cloud-hypervisor's
/// `Vfio` trait: register access, DMA mapping, interrupts.
///
/// Interrupts are modelled as eventfd-style counters, one per vector: a device
/// increments a vector's count when it posts a completion on a queue whose
/// interrupt is unmasked. A waiter reads the count, checks its completion ring,
/// and only then sleeps until the count moves past what it read, so a
/// completion posted between the check and the sleep is never missed.
pub trait DeviceBackend: Send + Sync {
    /// Short name for messages ("soft", "sim", "vfio").
    fn name(&self) -> &'static str;

    /// Reads the 32-bit register at BAR0 byte `offset` (4-aligned).
    fn bar0_read(&self, offset: u32) -> u32;

    /// Writes the 32-bit register at BAR0 byte `offset` (4-aligned). A write is
    /// posted in order after every host memory write that precedes it in
    /// program order and is ordered before it by a `Release` fence.
    fn bar0_write(&self, offset: u32, value: u32);

    /// Allocates `len` bytes of zeroed host memory mapped for the device.
    fn dma_alloc(&self, len: usize) -> Result<DmaRegion, BackendError>;

    /// The interrupt count of `vector`.
    fn interrupt_count(&self, vector: u32) -> u64;

    /// Waits until the count of `vector` differs from `seen` or `timeout`
    /// passes; returns the count then.
    fn wait_interrupt(&self, vector: u32, seen: u64, timeout: Duration) -> u64;
}
