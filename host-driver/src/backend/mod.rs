//! Device backends and how to open one as a [`CompressedPool`].
//!
//! Every backend is driven by the same [`DeviceClient`] through the
//! [`crate::device::DeviceBackend`] interface; only what answers BAR0 and DMA
//! differs.
//!
//! - `soft`: the device model (`pagepress_firmware::model`) with the
//!   reference codec.
//! - `sim` (cargo feature `rtl`): the whole device RTL in Verilator
//!   (`pagepress_sim::harness::SimDevice`), no Rust device model in the loop.
//! - `vfio`: not in this build.

#![deny(unsafe_code)]

use crate::device::{ClientConfig, DeviceClient};
use crate::pool::CompressedPool;
use pagepress_firmware::model::{SoftConfig, SoftDevice};
use std::sync::Arc;

/// Which device answers the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

impl BackendKind {
    /// Every backend, in the order the CLI lists them.
    pub const ALL: [BackendKind; 3] = [BackendKind::Soft, BackendKind::Sim, BackendKind::Vfio];

    /// The name on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            BackendKind::Soft => "soft",
            BackendKind::Sim => "sim",
            BackendKind::Vfio => "vfio",
        }
    }
}

impl std::str::FromStr for BackendKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown backend `{s}` (soft, sim or vfio)"))
    }
}

impl Default for DeviceConfig {
    fn default() -> Self {
        DeviceConfig {
            devmem_bytes: 64 << 20,
            max_slots: 1 << 20,
            queues: 4,
            queue_log2: 6,
        }
    }
}

impl DeviceConfig {
    /// The soft model's configuration for these parameters.
    pub fn soft_config(&self) -> SoftConfig {
        SoftConfig {
            devmem_bytes: self.devmem_bytes,
            max_slots: self.max_slots,
            num_queues: self.queues.max(1),
            max_queue_log2: self.queue_log2.max(SoftConfig::default().max_queue_log2),
            ..SoftConfig::default()
        }
    }

    /// The driver's configuration for these parameters.
    pub fn client_config(&self) -> ClientConfig {
        ClientConfig {
            queues: self.queues.max(1),
            queue_log2: self.queue_log2,
            ..ClientConfig::default()
        }
    }
}

/// Opens the soft device with explicit model and driver configurations;
/// returns the client and the device (for fault injection and inspection).
pub fn open_soft(
    soft: SoftConfig,
    client: &ClientConfig,
) -> Result<(Arc<DeviceClient>, Arc<SoftDevice>), String> {
    let dev = SoftDevice::new(soft);
    let backend: Arc<dyn pagepress_pcie::DeviceBackend> = dev.clone();
    let c = DeviceClient::open(backend, client).map_err(|e| format!("soft device: {e}"))?;
    Ok((Arc::new(c), dev))
}

/// What an opened backend gives the caller: the pool, and for the `sim`
/// backend the cycle figures of the Verilated device.
pub struct Opened {
    pub pool: Arc<dyn CompressedPool>,
    /// The simulated device's figures so far (`sim` only).
    pub sim_figures: Option<Box<dyn Fn() -> SimFigures + Send + Sync>>,
}

/// Cycle figures of the Verilated device (`run --json`'s `sim` object).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimFigures {
    /// The device clock the figures assume, MHz.
    pub clock_mhz: u32,
    /// Cycles simulated (the clock stops while the device is idle).
    pub device_cycles: u64,
    /// Doorbell-to-completion cycles per 4 KiB page of successful STOREs and
    /// LOADs, one sample per command.
    pub store_cycles: Vec<u64>,
    pub load_cycles: Vec<u64>,
}

/// The `sim` backend: the whole device RTL, Verilated (cargo feature `rtl`).
/// The device is built with `pagepress_firmware::params::SIM_DEVICE`; a
/// configuration asking for more than it has is refused.
#[cfg(feature = "rtl")]
fn open_sim(cfg: &DeviceConfig) -> Result<Opened, String> {
    use pagepress_firmware::params::SIM_DEVICE;
    use pagepress_sim::harness::{HarnessConfig, SimDevice};
    let p = SIM_DEVICE;
    if cfg.devmem_bytes > p.devmem_bytes || cfg.max_slots > p.max_slots {
        return Err(format!(
            "backend sim: the Verilated device has {} MiB of device memory and {} slots; \
             asked for {} bytes and {} slots",
            p.devmem_bytes >> 20,
            p.max_slots,
            cfg.devmem_bytes,
            cfg.max_slots
        ));
    }
    let client_cfg = ClientConfig {
        queues: cfg.queues.clamp(1, p.num_queues),
        ..cfg.client_config()
    };
    let dev = SimDevice::new(
        <pagepress_sim::Device as pagepress_sim::Model>::new(),
        HarnessConfig::default(),
    );
    let backend: Arc<dyn pagepress_pcie::DeviceBackend> = dev.clone();
    let client =
        DeviceClient::open(backend, &client_cfg).map_err(|e| format!("sim device: {e}"))?;
    let figures = move || {
        let s = dev.stats();
        SimFigures {
            clock_mhz: s.clock_mhz,
            device_cycles: s.device_cycles,
            store_cycles: s.store_cycles,
            load_cycles: s.load_cycles,
        }
    };
    Ok(Opened {
        pool: Arc::new(client),
        sim_figures: Some(Box::new(figures)),
    })
}

#[cfg(not(feature = "rtl"))]
fn open_sim(_: &DeviceConfig) -> Result<Opened, String> {
    Err(
        "backend sim needs the Verilated device: build with `--features rtl` \
         (requires Verilator)"
            .to_string(),
    )
}

/// Opens a backend.
pub fn open(kind: BackendKind, cfg: &DeviceConfig) -> Result<Opened, String> {
    match kind {
        BackendKind::Soft => {
            let (client, _dev) = open_soft(cfg.soft_config(), &cfg.client_config())?;
            Ok(Opened {
                pool: client,
                sim_figures: None,
            })
        }
        BackendKind::Sim => open_sim(cfg),
        BackendKind::Vfio => Err(
            "backend vfio is not available: it needs a VFIO-bound pagepress PCIe function \
             (/dev/vfio) and the VFIO DeviceBackend, which this build does not include"
                .to_string(),
        ),
    }
}
