//! pagepress-pcie: the PCIe boundary that the host driver and every device
//! implementation share.
//!
//! - [`backend`]: [`DeviceBackend`], one PCIe function as the driver reaches
//!   it — 32-bit BAR0 access, DMA-able memory, interrupt vectors. The soft
//!   model, the Verilated RTL and a VFIO function each implement it.
//! - [`dma`]: host memory mapped for a device, and the IOVA space (the IOMMU
//!   domain) through which a device reaches it; an access outside every mapping
//!   is a [`DmaFault`].
//! - [`irq`]: an interrupt vector as an event count a host thread can sleep on.
//! - [`ring`]: the submission and completion rings of `pagepress_abi::desc`,
//!   host half and device half; [`raw_queue`]: one queue pair driven at the
//!   ring level, for tools and tests that put arbitrary commands on the wire.
//!
//! Nothing here needs `unsafe`: DMA memory is an array of atomics.

#![forbid(unsafe_code)]

pub mod backend;
pub mod dma;
pub mod irq;
pub mod raw_queue;
pub mod ring;

pub use backend::{BackendError, DeviceBackend};
pub use dma::{DmaFault, DmaRegion, DmaSpace, Iotlb};
pub use irq::IrqLine;
