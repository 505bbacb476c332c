//! The compressed pool as the swap protocol sees it.
//!
//! A [`CompressedPool`] is the device behind its queue pairs: every method is one
//! command (STORE, LOAD, INVALIDATE, READ_FOR_WRITEBACK, STATS) submitted on the
//! calling thread's queue and waited for. Implementations are shared by all
//! threads (`Send + Sync`) and must not hold a lock across the wait that another
//! thread needs to submit.

use pagepress_abi::Status;
use pagepress_abi::stats::{STAT_COUNT, StatCounter};

/// Result of a successful STORE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreInfo {
    /// Compressed bytes now held in device memory for these pages.
    pub compressed_bytes: u32,
    /// Pages kept as same-filled index entries.
    pub same_filled: u32,
}

/// A snapshot of the device counters, indexed by [`StatCounter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceStats(pub [u64; STAT_COUNT]);

impl DeviceStats {
    pub fn get(&self, c: StatCounter) -> u64 {
        self.0[c as usize]
    }
}

/// Why a pool operation failed. `page` is the index within the command of the
/// page the device reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("page {page} does not compress")]
    Incompressible { page: u32 },
    #[error("device memory full (page {page})")]
    NoSpace { page: u32 },
    #[error("slot has no entry on the device (page {page})")]
    NotFound { page: u32 },
    #[error("slot out of the device's range")]
    BadSlot,
    #[error("device DMA fault")]
    DmaFault,
    #[error("stored frame is corrupt (page {page})")]
    Corrupt { page: u32 },
    #[error("device rejected the command")]
    BadCommand,
    #[error("command aborted by a device reset")]
    Aborted,
    #[error("buffer too small for the stored frame")]
    BufferTooSmall,
    #[error("device did not complete the command in time")]
    Timeout,
    #[error("device is gone")]
    DeviceGone,
    #[error("device reported unknown status {0}")]
    UnknownStatus(u8),
}

impl PoolError {
    /// The error for a completion's status and info; `None` for `Status::Ok`.
    pub fn from_status(status: u8, info: u32) -> Option<PoolError> {
        let page = info;
        Some(match Status::from_u8(status) {
            Some(Status::Ok) => return None,
            Some(Status::Incompressible) => PoolError::Incompressible { page },
            Some(Status::NoSpace) => PoolError::NoSpace { page },
            Some(Status::NotFound) => PoolError::NotFound { page },
            Some(Status::BadSlot) => PoolError::BadSlot,
            Some(Status::DmaFault) => PoolError::DmaFault,
            Some(Status::Corrupt) => PoolError::Corrupt { page },
            Some(Status::BadCommand) => PoolError::BadCommand,
            Some(Status::Aborted) => PoolError::Aborted,
            Some(Status::BufferTooSmall) => PoolError::BufferTooSmall,
            None => PoolError::UnknownStatus(status),
        })
    }
}

/// Compressed storage addressed by slot, as provided by a device backend.
pub trait CompressedPool: Send + Sync {
    /// Stores `pages.len() / PAGE_SIZE` pages under consecutive slots from
    /// `slot`. All or nothing: on error no page is stored and every older entry
    /// of the range is gone (the caller must put the data elsewhere).
    fn store(&self, slot: u32, pages: &[u8]) -> Result<StoreInfo, PoolError>;

    /// Loads consecutive slots from `slot` into `out` (a whole number of pages).
    /// With `exclusive` the entries are removed once the data is in `out`.
    /// On error nothing is removed. A device-side decode failure is retried by
    /// fetching the raw frame and decoding it on the CPU before it is reported.
    fn load(&self, slot: u32, out: &mut [u8], exclusive: bool) -> Result<(), PoolError>;

    /// Like a non-exclusive load, counted as writeback traffic.
    fn read_for_writeback(&self, slot: u32, out: &mut [u8]) -> Result<(), PoolError>;

    /// Removes the entries of `nr` slots from `slot`; returns how many existed.
    fn invalidate(&self, slot: u32, nr: u32) -> Result<u32, PoolError>;

    /// The device counters.
    fn stats(&self) -> Result<DeviceStats, PoolError>;

    /// Slots the device index holds (valid slots are `0 .. max_slots()`).
    fn max_slots(&self) -> u32;

    /// Host-side counters of fallbacks taken (CPU decode, retries), as
    /// `(name, value)` pairs for the CLI's table.
    fn host_counters(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }
}
