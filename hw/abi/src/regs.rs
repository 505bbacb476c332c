//! BAR0: a self-describing chain of register blocks.
//!
//! Every block starts with the same three read-only words — `TYPE`, `VERSION`,
//! `NEXT` (BAR0 offset of the next block, 0 at the end of the chain) — so a
//! driver walks the chain from offset 0 and finds blocks by type, as Corundum's
//! register blocks work. All registers are 32 bits wide; 64-bit values are
//! LO/HI pairs (read LO first; the device latches HI on the LO read).
//!
//! The constants below are the single source of the register map: the device
//! models, the RTL CSR block, the host driver and `docs/regmap.md` use them.

/// Size of BAR0 in bytes.
pub const BAR0_SIZE: u32 = 0x4000;

/// Common header of every block.
pub mod header {
    /// Block type (`BLOCK_TYPE_*`).
    pub const TYPE: u32 = 0x00;
    /// Block version.
    pub const VERSION: u32 = 0x04;
    /// BAR0 offset of the next block; 0 ends the chain.
    pub const NEXT: u32 = 0x08;
}

pub const BLOCK_TYPE_IDENTITY: u32 = 0x0001;
pub const BLOCK_TYPE_CAPS: u32 = 0x0002;
pub const BLOCK_TYPE_CONTROL: u32 = 0x0003;
pub const BLOCK_TYPE_STATS: u32 = 0x0004;
pub const BLOCK_TYPE_QUEUES: u32 = 0x0005;

/// BAR0 offsets of the blocks as this ABI version lays them out. Drivers must
/// still find blocks by walking the chain; these fix where devices put them.
pub const IDENTITY_BASE: u32 = 0x0000;
pub const CAPS_BASE: u32 = 0x0100;
pub const CONTROL_BASE: u32 = 0x0200;
pub const STATS_BASE: u32 = 0x0300;
pub const QUEUES_BASE: u32 = 0x1000;

/// IDENTITY block (type 1, version 1): who the device is.
pub mod identity {
    /// [`crate::DEVICE_MAGIC`].
    pub const MAGIC: u32 = 0x0C;
    /// [`crate::ABI_VERSION`]: major << 16 | minor.
    pub const ABI_VERSION: u32 = 0x10;
    /// [`crate::DeviceKind`].
    pub const DEVICE_KIND: u32 = 0x14;
    /// Build identifier (RTL/model revision).
    pub const BUILD_ID: u32 = 0x18;
}

/// CAPS block (type 2, version 1): what the device can do. Read-only.
pub mod caps {
    /// Number of queue pairs.
    pub const NUM_QUEUES: u32 = 0x0C;
    /// log2 of the largest ring (entries) a queue accepts.
    pub const MAX_QUEUE_LOG2: u32 = 0x10;
    /// Device memory for compressed pages, bytes (LO/HI).
    pub const DEVMEM_SIZE_LO: u32 = 0x14;
    pub const DEVMEM_SIZE_HI: u32 = 0x18;
    /// Number of slots the index holds (valid slots are `0 .. MAX_SLOTS`).
    pub const MAX_SLOTS: u32 = 0x1C;
    /// Largest `nr_pages` in one command.
    pub const MAX_NR_PAGES: u32 = 0x20;
    /// Codec parameters: `STEP_WIDTH | HASH_BITS << 8 | MIN_MATCH << 16 | PAGE_SHIFT << 24`
    /// (see [`crate::format`]). A driver checks them against its own.
    pub const CODEC_PARAMS: u32 = 0x24;
    /// Engines: compressors in bits 0..8, decompressors in bits 8..16.
    pub const ENGINES: u32 = 0x28;
    /// Levels of the slot index below the on-chip top level.
    pub const INDEX_LEVELS: u32 = 0x2C;
    /// Device-memory allocation unit, bytes.
    pub const ALLOC_UNIT: u32 = 0x30;
}

/// CONTROL block (type 3, version 1): enable, reset, status, interrupts.
pub mod control {
    /// Read/write. Bit 0 `ENABLE`: the device processes queues. Bit 1 `RESET`
    /// (self-clearing): abort outstanding commands, drop every entry, disable
    /// every queue.
    pub const CTRL: u32 = 0x0C;
    /// Read-only. Bit 0 `READY`, bit 1 `FATAL`.
    pub const STATUS: u32 = 0x10;
    /// Read/write. Bit n masks queue n's completion interrupt.
    pub const IRQ_MASK: u32 = 0x14;
    /// Read-only. Cause of a fatal error (0 = none).
    pub const FATAL_CODE: u32 = 0x18;

    pub const CTRL_ENABLE: u32 = 1 << 0;
    pub const CTRL_RESET: u32 = 1 << 1;
    pub const STATUS_READY: u32 = 1 << 0;
    pub const STATUS_FATAL: u32 = 1 << 1;
}

/// STATS block (type 4, version 1): the counters of [`crate::stats::StatCounter`]
/// as LO/HI pairs from `COUNTERS`, 8 bytes apart.
pub mod stats {
    /// Number of counters in the block.
    pub const COUNT: u32 = 0x0C;
    /// Offset of counter 0's low word.
    pub const COUNTERS: u32 = 0x10;
}

/// QUEUES block (type 5, version 1): one register window per queue pair.
pub mod queues {
    /// Number of queue windows that follow.
    pub const COUNT: u32 = 0x0C;
    /// Bytes between queue windows.
    pub const STRIDE: u32 = 0x10;
    /// Offset of queue 0's window within the block.
    pub const FIRST: u32 = 0x40;
    /// The stride value devices report.
    pub const STRIDE_BYTES: u32 = 0x40;
    /// Largest number of queue windows that fit in BAR0.
    pub const MAX_QUEUES: u32 = (super::BAR0_SIZE - super::QUEUES_BASE - FIRST) / STRIDE_BYTES;

    /// BAR0 offset of register `reg` of queue `q`.
    pub const fn reg(q: u32, reg: u32) -> u32 {
        super::QUEUES_BASE + FIRST + q * STRIDE_BYTES + reg
    }

    // Registers within a queue window.
    /// Submission ring IOVA (LO/HI). Written while the queue is disabled.
    pub const SQ_BASE_LO: u32 = 0x00;
    pub const SQ_BASE_HI: u32 = 0x04;
    /// log2 of submission ring entries.
    pub const SQ_SIZE_LOG2: u32 = 0x08;
    /// Completion ring IOVA (LO/HI).
    pub const CQ_BASE_LO: u32 = 0x0C;
    pub const CQ_BASE_HI: u32 = 0x10;
    /// log2 of completion ring entries.
    pub const CQ_SIZE_LOG2: u32 = 0x14;
    /// Bit 0: queue enabled. Enabling resets the ring indices and phase.
    pub const ENABLE: u32 = 0x18;
    /// Read-only. Bit 0 enabled, bit 1 error (bad ring configuration).
    pub const QSTATUS: u32 = 0x1C;
    /// Write-only doorbell: the host's new submission tail.
    pub const SQ_TAIL_DB: u32 = 0x20;
    /// Write-only doorbell: the host's new completion head.
    pub const CQ_HEAD_DB: u32 = 0x24;
    /// Interrupt vector (MSI-X entry / eventfd index) of the completion ring.
    pub const IRQ_VECTOR: u32 = 0x28;

    pub const QSTATUS_ENABLED: u32 = 1 << 0;
    pub const QSTATUS_ERROR: u32 = 1 << 1;
}

const _: () = assert!(queues::MAX_QUEUES >= 64);
const _: () =
    assert!(STATS_BASE + stats::COUNTERS + 8 * crate::stats::STAT_COUNT as u32 <= QUEUES_BASE);
