//! The Verilator harness of the whole device, and the `sim` device backend.
//!
//! The device's top level (`PagepressDevice`, `module top` of
//! `device_verilog()`) has a register port, a DMA master port, a
//! device-memory port, interrupt pulses and an `idle` flag
//! (`docs/device-rtl.md`, "Top-level ports"). [`DeviceHarness`] drives one
//! device through [`DevicePorts`] cycle by cycle and plays everything around
//! it; [`SimDevice`] puts a harness behind `pagepress_pcie::DeviceBackend`
//! with a clock thread, so the driver runs against the RTL as against any
//! device.
//!
//! How the harness maps PCIe:
//! - **BAR0** accesses are register-port handshakes: the harness holds
//!   `reg_valid` until `reg_ready`, then (reads) waits for the `reg_rvalid`
//!   pulse, giving up after [`HarnessConfig::reg_timeout`] cycles with
//!   [`HarnessError::RegTimeout`]. The PCIe round trip of an MMIO access is not
//!   modelled: an access costs only its handshake cycles. A BAR0 write has
//!   landed in the device before `bar0_write` returns, so it is ordered after
//!   every host memory write before it (the harness lock orders them); no
//!   other posted-write ordering is modelled.
//! - **DMA** goes through the IOMMU model of `pagepress_pcie::DmaSpace`:
//!   whole-request translation, faults answered on the port, a fixed round
//!   trip latency, one 64-bit beat per cycle, answers in request order (the
//!   `host_port` module says exactly what is and is not modelled).
//! - **Device memory** is a `Vec<u64>` with a fixed read latency (`devmem`).
//! - **Interrupts**: each `irq` bit pulse raises the matching
//!   `pagepress_pcie::IrqLine` right after the edge it was sampled on. A DMA
//!   write lands on the edge of its last beat, before that edge's `irq` bits
//!   are raised, so a pulse no earlier than a completion's last beat (the
//!   device pulses after the completion's `bvalid`) wakes a host that then
//!   sees the completion.
//! - **Time** is simulated cycles only: latencies count cycles, and the
//!   clock stops while the device is idle, so cycle figures do not depend on
//!   how fast the host or the simulation runs.
//!
//! Cycle accounting (doorbell to completion per STORE/LOAD page) is in
//! [`SimStats`].

#![forbid(unsafe_code)]

mod accounting;
mod backend;
mod device_harness;
mod devmem;
mod host_port;
#[cfg(test)]
mod mock;
mod ports;
#[cfg(test)]
mod tests;

pub use backend::SimDevice;
pub use device_harness::DeviceHarness;
pub use devmem::MemCounters;
pub use host_port::DmaCounters;
pub use ports::{DevicePorts, IRQ_VECTORS, MAX_DMA_LEN, TOP_PORTS, check_ports};

/// One PCIe round trip (request out, completion back), nanoseconds.
pub const PCIE_ROUND_TRIP_NS: u64 = 850;
/// The device clock the latencies are converted at by default, MHz.
pub const DEFAULT_CLOCK_MHZ: u32 = 250;
/// Device-memory read latency by default, cycles (a DDR controller's order).
pub const DEFAULT_DEVMEM_LATENCY: u64 = 20;
/// Cycles a register access may wait for the device by default.
pub const DEFAULT_REG_TIMEOUT: u64 = 4096;
/// Cycles after a register write before the device's `idle` is believed.
pub const DEFAULT_IDLE_SETTLE: u64 = 16;

/// How the harness plays the world around the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HarnessConfig {
    /// The device clock, MHz (for converting cycles to time in reports).
    pub clock_mhz: u32,
    /// DMA round trip, cycles: read data and write responses come this long
    /// after the request (reads) or the last data beat (writes). At least 1.
    pub dma_latency: u64,
    /// Device-memory read latency, cycles. At least 1.
    pub devmem_latency: u64,
    /// Device memory, bytes (a multiple of 8, at most 4 GiB: `mem_req_addr`
    /// is 32 bits).
    pub devmem_bytes: u64,
    /// Cycles a register access may wait for `reg_ready`, and then for
    /// `reg_rvalid`, before it fails.
    pub reg_timeout: u64,
    /// Cycles after a register write during which the device counts as busy
    /// whatever its `idle` says: the device must show the effect of a write
    /// (a doorbell) on `idle` within this many cycles.
    pub idle_settle: u64,
}

impl HarnessConfig {
    /// The defaults at a device clock of `clock_mhz`: the DMA latency is one
    /// PCIe round trip ([`PCIE_ROUND_TRIP_NS`]) in cycles of that clock.
    pub fn at_clock(clock_mhz: u32) -> Self {
        HarnessConfig {
            clock_mhz,
            dma_latency: (PCIE_ROUND_TRIP_NS * clock_mhz as u64 / 1000).max(1),
            devmem_latency: DEFAULT_DEVMEM_LATENCY,
            devmem_bytes: pagepress_firmware::params::SIM_DEVICE.devmem_total_bytes(),
            reg_timeout: DEFAULT_REG_TIMEOUT,
            idle_settle: DEFAULT_IDLE_SETTLE,
        }
    }
}

impl Default for HarnessConfig {
    fn default() -> Self {
        Self::at_clock(DEFAULT_CLOCK_MHZ)
    }
}

/// Why the harness stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HarnessError {
    /// A register access got no `reg_ready` (or, for a read, no `reg_rvalid`)
    /// in time. The access was withdrawn; the harness keeps working.
    #[error("BAR0 {} at {offset:#x}: no answer from the device within {cycles} cycles", if *.write { "write" } else { "read" })]
    RegTimeout {
        offset: u32,
        write: bool,
        cycles: u64,
    },
    /// `run_until_idle` ran out of cycles.
    #[error("the device is still busy after {cycles} cycles")]
    NotIdle { cycles: u64 },
    /// The device broke a port's protocol (a DMA beat with no request, a bad
    /// length or address). The harness refuses to go on.
    #[error("the device broke the port protocol at cycle {cycle}: {what}")]
    Protocol { cycle: u64, what: String },
}

/// Cycle figures of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimStats {
    /// The device clock the figures are at, MHz.
    pub clock_mhz: u32,
    /// Clock cycles simulated (the clock stops while the device is idle).
    pub device_cycles: u64,
    /// Successful STOREs: cycles from the `SQ_TAIL_DB` write that submitted
    /// the command to the landing of its completion, divided by its
    /// `nr_pages`; one sample per command, in completion order.
    pub store_cycles: Vec<u64>,
    /// The same for successful LOADs (not `RAW_FRAME` loads).
    pub load_cycles: Vec<u64>,
    /// Completions the device wrote into a completion ring.
    pub completions: u64,
    /// DMA traffic.
    pub dma: DmaCounters,
    /// Device-memory accesses.
    pub devmem: MemCounters,
}

impl SimStats {
    /// `cycles` of the device clock in microseconds.
    pub fn cycles_to_us(&self, cycles: u64) -> f64 {
        cycles as f64 / self.clock_mhz.max(1) as f64
    }
}
