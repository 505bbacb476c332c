//! Completion status codes. Every command ends with exactly one of these; a
//! device never hangs on bad input, it completes with an error status.

/// Status of a completed command (the `status` byte of [`crate::Completion`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// STORE: a page did not compress below the page size (the frame would be a
    /// raw block). Nothing is stored; any older entry of the slot is removed.
    Incompressible = 1,
    /// STORE: device memory or index capacity is exhausted. Nothing is stored;
    /// any older entry of the slot is removed.
    NoSpace = 2,
    /// LOAD / READ_FOR_WRITEBACK / INVALIDATE: no entry for the slot.
    NotFound = 3,
    /// The slot range is outside the device's `MAX_SLOTS`.
    BadSlot = 4,
    /// A host-memory access (descriptor, page or buffer) failed.
    DmaFault = 5,
    /// The stored frame failed to decode (device memory corruption or a
    /// decompressor fault). The entry is kept so the host can fetch the raw
    /// frame (LOAD with `RAW_FRAME`) and decode it on the CPU.
    Corrupt = 6,
    /// Unknown opcode, bad flags, `nr_pages` of 0 or above `MAX_NR_PAGES`.
    BadCommand = 7,
    /// The command was discarded by a device reset before it ran.
    Aborted = 8,
    /// LOAD with `RAW_FRAME`: the host buffer (`len`) is smaller than the frame.
    BufferTooSmall = 9,
}

impl Status {
    /// Every status, in code order (for tables and exhaustive tests).
    pub const ALL: [Status; 10] = [
        Status::Ok,
        Status::Incompressible,
        Status::NoSpace,
        Status::NotFound,
        Status::BadSlot,
        Status::DmaFault,
        Status::Corrupt,
        Status::BadCommand,
        Status::Aborted,
        Status::BufferTooSmall,
    ];

    pub const fn from_u8(v: u8) -> Option<Self> {
        if (v as usize) < Self::ALL.len() {
            Some(Self::ALL[v as usize])
        } else {
            None
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Incompressible => "INCOMPRESSIBLE",
            Status::NoSpace => "NO_SPACE",
            Status::NotFound => "NOT_FOUND",
            Status::BadSlot => "BAD_SLOT",
            Status::DmaFault => "DMA_FAULT",
            Status::Corrupt => "CORRUPT",
            Status::BadCommand => "BAD_COMMAND",
            Status::Aborted => "ABORTED",
            Status::BufferTooSmall => "BUFFER_TOO_SMALL",
        }
    }

    pub const fn doc(self) -> &'static str {
        match self {
            Status::Ok => "success",
            Status::Incompressible => {
                "STORE: page does not compress; nothing stored, old entry removed"
            }
            Status::NoSpace => {
                "STORE: device memory or index full; nothing stored, old entry removed"
            }
            Status::NotFound => "no entry for the slot",
            Status::BadSlot => "slot range outside MAX_SLOTS",
            Status::DmaFault => "host memory access failed",
            Status::Corrupt => "stored frame failed to decode; entry kept for RAW_FRAME fetch",
            Status::BadCommand => "unknown opcode, bad flags or nr_pages",
            Status::Aborted => "discarded by a device reset",
            Status::BufferTooSmall => "LOAD RAW_FRAME: host buffer smaller than the frame",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for (i, s) in Status::ALL.iter().enumerate() {
            assert_eq!(*s as u8 as usize, i);
            assert_eq!(Status::from_u8(i as u8), Some(*s));
        }
        assert_eq!(Status::from_u8(Status::ALL.len() as u8), None);
    }
}
