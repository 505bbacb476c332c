//! Device statistics counters: readable as 64-bit register pairs in the STATS
//! block and as a snapshot written to host memory by the STATS command, in the
//! same order.

/// One device counter. The discriminant is the counter's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum StatCounter {
    StoreCmds = 0,
    StoredPages = 1,
    /// Compressed bytes written to device memory by successful stores.
    StoredBytes = 2,
    /// Uncompressed bytes of successfully stored pages.
    StoredInputBytes = 3,
    SameFilledPages = 4,
    LoadCmds = 5,
    LoadedPages = 6,
    WritebackPages = 7,
    InvalidatedPages = 8,
    RejectIncompressible = 9,
    RejectNoSpace = 10,
    ErrNotFound = 11,
    ErrBadSlot = 12,
    ErrDmaFault = 13,
    ErrCorrupt = 14,
    ErrBadCommand = 15,
    /// Entries currently held (gauge).
    Entries = 16,
    /// Device-memory bytes currently allocated (gauge).
    DevmemUsed = 17,
    /// Index memory accesses (node reads and writes below the on-chip level).
    IndexAccesses = 18,
    /// Engine cycles spent compressing (0 on the soft model).
    CompressCycles = 19,
    /// Engine cycles spent decompressing (0 on the soft model).
    DecompressCycles = 20,
}

/// Number of counters.
pub const STAT_COUNT: usize = 21;
/// Bytes of a STATS snapshot.
pub const STATS_SNAPSHOT_SIZE: usize = STAT_COUNT * 8;

impl StatCounter {
    pub const ALL: [StatCounter; STAT_COUNT] = [
        StatCounter::StoreCmds,
        StatCounter::StoredPages,
        StatCounter::StoredBytes,
        StatCounter::StoredInputBytes,
        StatCounter::SameFilledPages,
        StatCounter::LoadCmds,
        StatCounter::LoadedPages,
        StatCounter::WritebackPages,
        StatCounter::InvalidatedPages,
        StatCounter::RejectIncompressible,
        StatCounter::RejectNoSpace,
        StatCounter::ErrNotFound,
        StatCounter::ErrBadSlot,
        StatCounter::ErrDmaFault,
        StatCounter::ErrCorrupt,
        StatCounter::ErrBadCommand,
        StatCounter::Entries,
        StatCounter::DevmemUsed,
        StatCounter::IndexAccesses,
        StatCounter::CompressCycles,
        StatCounter::DecompressCycles,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            StatCounter::StoreCmds => "STORE_CMDS",
            StatCounter::StoredPages => "STORED_PAGES",
            StatCounter::StoredBytes => "STORED_BYTES",
            StatCounter::StoredInputBytes => "STORED_INPUT_BYTES",
            StatCounter::SameFilledPages => "SAME_FILLED_PAGES",
            StatCounter::LoadCmds => "LOAD_CMDS",
            StatCounter::LoadedPages => "LOADED_PAGES",
            StatCounter::WritebackPages => "WRITEBACK_PAGES",
            StatCounter::InvalidatedPages => "INVALIDATED_PAGES",
            StatCounter::RejectIncompressible => "REJECT_INCOMPRESSIBLE",
            StatCounter::RejectNoSpace => "REJECT_NO_SPACE",
            StatCounter::ErrNotFound => "ERR_NOT_FOUND",
            StatCounter::ErrBadSlot => "ERR_BAD_SLOT",
            StatCounter::ErrDmaFault => "ERR_DMA_FAULT",
            StatCounter::ErrCorrupt => "ERR_CORRUPT",
            StatCounter::ErrBadCommand => "ERR_BAD_COMMAND",
            StatCounter::Entries => "ENTRIES",
            StatCounter::DevmemUsed => "DEVMEM_USED",
            StatCounter::IndexAccesses => "INDEX_ACCESSES",
            StatCounter::CompressCycles => "COMPRESS_CYCLES",
            StatCounter::DecompressCycles => "DECOMPRESS_CYCLES",
        }
    }

    /// Byte offset of this counter's low word within the STATS register block.
    pub const fn reg_offset(self) -> u32 {
        crate::regs::stats::COUNTERS + 8 * self as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_are_dense() {
        for (i, c) in StatCounter::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i);
        }
    }
}
