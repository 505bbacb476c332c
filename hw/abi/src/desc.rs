//! Command and completion descriptors (NVMe-style rings in host memory).
//!
//! A queue pair is a submission ring of [`Command`]s (`2^SQ_SIZE_LOG2` entries of
//! [`COMMAND_SIZE`] bytes) and a completion ring of [`Completion`]s
//! (`2^CQ_SIZE_LOG2` entries of [`COMPLETION_SIZE`] bytes), both in host memory
//! at the IOVAs programmed into the queue registers.
//!
//! Producer/consumer protocol:
//! - The host writes commands at its SQ tail, issues a write barrier, then
//!   writes the new tail to `SQ_TAIL_DB`. The device fetches commands up to the
//!   tail and reports how far it fetched in each completion's `sq_head`.
//! - The device writes completions at its CQ tail with the `PHASE` flag set to
//!   the ring's current phase (1 on the first pass, inverted on each wrap). The
//!   host consumes entries while their phase matches the phase it expects, then
//!   writes its new head to `CQ_HEAD_DB` so the device may reuse the entries.
//! - The device never posts a completion into an entry the host has not
//!   released; a host keeps at most `CQ entries - 1` commands outstanding.
//! - A device executes each queue's commands in submission order (a
//!   command's effects are complete before the next one's begin) and posts
//!   their completions in that order. (Commands on
//!   different queues are not ordered with each other.) A host relies on this
//!   to follow a command it gave up waiting for with one that undoes it, e.g.
//!   an INVALIDATE behind a timed-out STORE of the same range.
//!
//! All fields are little-endian; [`Command::to_bytes`] / [`Command::from_bytes`]
//! define the wire layout and the size asserts below pin it.

/// Bytes per submission-queue entry.
pub const COMMAND_SIZE: usize = 32;
/// Bytes per completion-queue entry.
pub const COMPLETION_SIZE: usize = 16;

/// Command opcodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Opcode {
    /// Does nothing; completes OK. Used to probe a queue.
    Nop = 0,
    /// Compress `nr_pages` pages read from `addr` and store them under slots
    /// `slot .. slot + nr_pages`. All or nothing: on any page's failure no page
    /// of the command is stored, every older entry in the range is removed, and
    /// `info` names the failing page. Same-filled pages are kept in the index
    /// entry itself. `result` = compressed bytes stored (same-filled pages count 0),
    /// `info` on success = number of same-filled pages.
    Store = 1,
    /// Decompress slots `slot .. slot + nr_pages` into `addr`. With
    /// [`CMD_FLAG_EXCLUSIVE`] the entries are removed once the data has been
    /// written. With [`CMD_FLAG_RAW_FRAME`] (`nr_pages` must be 1) the stored
    /// frame itself is written, `len` is the buffer size, `result` is the frame
    /// length. Fails whole (nothing removed) if any slot has no entry.
    Load = 2,
    /// Remove the entries of slots `slot .. slot + nr_pages`. Slots without an
    /// entry are skipped; `result` = entries removed. Never fails for a valid range.
    Invalidate = 3,
    /// Like a non-exclusive LOAD, but counted as writeback traffic: the host is
    /// about to write the pages to its backing file and invalidate them.
    ReadForWriteback = 4,
    /// Write the statistics counters (`stats::STAT_COUNT` little-endian u64s) to
    /// `addr`; `len` must be at least their size. `result` = counters written.
    Stats = 5,
    /// Drop every entry and free all device memory. Outstanding commands on
    /// other queues complete before or after it, never half-way.
    Reset = 6,
}

impl Opcode {
    pub const ALL: [Opcode; 7] = [
        Opcode::Nop,
        Opcode::Store,
        Opcode::Load,
        Opcode::Invalidate,
        Opcode::ReadForWriteback,
        Opcode::Stats,
        Opcode::Reset,
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
            Opcode::Nop => "NOP",
            Opcode::Store => "STORE",
            Opcode::Load => "LOAD",
            Opcode::Invalidate => "INVALIDATE",
            Opcode::ReadForWriteback => "READ_FOR_WRITEBACK",
            Opcode::Stats => "STATS",
            Opcode::Reset => "RESET",
        }
    }
}

/// LOAD: remove the entries after the data has been written to the host.
pub const CMD_FLAG_EXCLUSIVE: u8 = 1 << 0;
/// LOAD: return the stored frame instead of the decompressed page.
pub const CMD_FLAG_RAW_FRAME: u8 = 1 << 1;
/// Flags a device accepts; any other bit set is `BAD_COMMAND`.
pub const CMD_FLAGS_VALID: u8 = CMD_FLAG_EXCLUSIVE | CMD_FLAG_RAW_FRAME;

/// Completion flag: the phase bit.
pub const CPL_FLAG_PHASE: u8 = 1 << 0;

/// A submission-queue entry. Wire layout (offset: field):
/// `0 opcode u8 | 1 flags u8 | 2 cid u16 | 4 nr_pages u16 | 6 rsvd u16 |
///  8 slot u32 | 12 rsvd u32 | 16 addr u64 | 24 len u32 | 28 rsvd u32`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Command {
    /// An [`Opcode`] value.
    pub opcode: u8,
    /// `CMD_FLAG_*` bits.
    pub flags: u8,
    /// Command identifier, echoed in the completion.
    pub cid: u16,
    /// Pages covered by the command (consecutive slots, contiguous host pages).
    pub nr_pages: u16,
    pub rsvd0: u16,
    /// First slot (device index key).
    pub slot: u32,
    pub rsvd1: u32,
    /// Host DMA address (IOVA) of the page(s) or buffer.
    pub addr: u64,
    /// Buffer length in bytes (RAW_FRAME loads, STATS); 0 otherwise.
    pub len: u32,
    pub rsvd2: u32,
}

const _: () = assert!(core::mem::size_of::<Command>() == COMMAND_SIZE);
const _: () = assert!(core::mem::align_of::<Command>() <= 8);

impl Command {
    pub fn new(opcode: Opcode, cid: u16, slot: u32, nr_pages: u16, addr: u64) -> Self {
        Command {
            opcode: opcode as u8,
            cid,
            slot,
            nr_pages,
            addr,
            ..Default::default()
        }
    }

    pub fn to_bytes(&self) -> [u8; COMMAND_SIZE] {
        let mut b = [0u8; COMMAND_SIZE];
        b[0] = self.opcode;
        b[1] = self.flags;
        b[2..4].copy_from_slice(&self.cid.to_le_bytes());
        b[4..6].copy_from_slice(&self.nr_pages.to_le_bytes());
        b[6..8].copy_from_slice(&self.rsvd0.to_le_bytes());
        b[8..12].copy_from_slice(&self.slot.to_le_bytes());
        b[12..16].copy_from_slice(&self.rsvd1.to_le_bytes());
        b[16..24].copy_from_slice(&self.addr.to_le_bytes());
        b[24..28].copy_from_slice(&self.len.to_le_bytes());
        b[28..32].copy_from_slice(&self.rsvd2.to_le_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; COMMAND_SIZE]) -> Self {
        Command {
            opcode: b[0],
            flags: b[1],
            cid: u16::from_le_bytes([b[2], b[3]]),
            nr_pages: u16::from_le_bytes([b[4], b[5]]),
            rsvd0: u16::from_le_bytes([b[6], b[7]]),
            slot: u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
            rsvd1: u32::from_le_bytes([b[12], b[13], b[14], b[15]]),
            addr: u64::from_le_bytes([b[16], b[17], b[18], b[19], b[20], b[21], b[22], b[23]]),
            len: u32::from_le_bytes([b[24], b[25], b[26], b[27]]),
            rsvd2: u32::from_le_bytes([b[28], b[29], b[30], b[31]]),
        }
    }
}

/// A completion-queue entry. Wire layout (offset: field):
/// `0 cid u16 | 2 status u8 | 3 flags u8 | 4 sq_head u16 | 6 sq_id u16 |
///  8 result u32 | 12 info u32`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Completion {
    /// The command's `cid`.
    pub cid: u16,
    /// A [`crate::Status`] value.
    pub status: u8,
    /// `CPL_FLAG_*` bits (the phase bit).
    pub flags: u8,
    /// The device's submission-queue head after fetching this command.
    pub sq_head: u16,
    /// The submission queue the command came from.
    pub sq_id: u16,
    /// Opcode-specific result (see [`Opcode`]).
    pub result: u32,
    /// Opcode-specific detail; for a failed multi-page command, the index of the
    /// page that failed.
    pub info: u32,
}

const _: () = assert!(core::mem::size_of::<Completion>() == COMPLETION_SIZE);

impl Completion {
    pub fn phase(&self) -> bool {
        self.flags & CPL_FLAG_PHASE != 0
    }

    pub fn to_bytes(&self) -> [u8; COMPLETION_SIZE] {
        let mut b = [0u8; COMPLETION_SIZE];
        b[0..2].copy_from_slice(&self.cid.to_le_bytes());
        b[2] = self.status;
        b[3] = self.flags;
        b[4..6].copy_from_slice(&self.sq_head.to_le_bytes());
        b[6..8].copy_from_slice(&self.sq_id.to_le_bytes());
        b[8..12].copy_from_slice(&self.result.to_le_bytes());
        b[12..16].copy_from_slice(&self.info.to_le_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; COMPLETION_SIZE]) -> Self {
        Completion {
            cid: u16::from_le_bytes([b[0], b[1]]),
            status: b[2],
            flags: b[3],
            sq_head: u16::from_le_bytes([b[4], b[5]]),
            sq_id: u16::from_le_bytes([b[6], b[7]]),
            result: u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
            info: u32::from_le_bytes([b[12], b[13], b[14], b[15]]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_wire_layout() {
        let c = Command {
            opcode: 2,
            flags: CMD_FLAG_EXCLUSIVE,
            cid: 0x1234,
            nr_pages: 16,
            rsvd0: 0,
            slot: 0xdead_beef,
            rsvd1: 0,
            addr: 0x0102_0304_0506_0708,
            len: 4096,
            rsvd2: 0,
        };
        let b = c.to_bytes();
        assert_eq!(b[0], 2);
        assert_eq!(b[1], 1);
        assert_eq!(&b[2..4], &[0x34, 0x12]);
        assert_eq!(&b[4..6], &[16, 0]);
        assert_eq!(&b[8..12], &[0xef, 0xbe, 0xad, 0xde]);
        assert_eq!(&b[16..24], &[8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(&b[24..28], &[0, 0x10, 0, 0]);
        assert_eq!(Command::from_bytes(&b), c);
    }

    #[test]
    fn completion_wire_layout() {
        let c = Completion {
            cid: 7,
            status: 3,
            flags: CPL_FLAG_PHASE,
            sq_head: 9,
            sq_id: 2,
            result: 0x11223344,
            info: 5,
        };
        let b = c.to_bytes();
        assert_eq!(&b[0..4], &[7, 0, 3, 1]);
        assert_eq!(&b[8..12], &[0x44, 0x33, 0x22, 0x11]);
        assert_eq!(Completion::from_bytes(&b), c);
        assert!(c.phase());
    }

    #[test]
    fn opcodes_round_trip() {
        for (i, op) in Opcode::ALL.iter().enumerate() {
            assert_eq!(*op as u8 as usize, i);
            assert_eq!(Opcode::from_u8(i as u8), Some(*op));
        }
        assert_eq!(Opcode::from_u8(Opcode::ALL.len() as u8), None);
    }
}
